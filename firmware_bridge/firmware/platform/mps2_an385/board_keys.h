/* The command keys built into the board image (generated from a key file by keyfile2c). */
#ifndef FW_BOARD_KEYS_H
#define FW_BOARD_KEYS_H

#include <stddef.h>

#include "fw_keyfile.h"

extern const fw_key_entry board_keys[];
extern const size_t board_key_count;

#endif
