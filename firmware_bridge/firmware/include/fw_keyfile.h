/*
 * Parser of the key file (PROTOCOL.md section 6): text, one key per line,
 * "<key_id decimal> <64 hex digits>"; blank lines and lines starting with '#' are ignored;
 * a key_id may appear once and must be in the dictionary. Pure: parses a buffer, no I/O.
 */
#ifndef FW_KEYFILE_H
#define FW_KEYFILE_H

#include <stddef.h>
#include <stdint.h>

#include "rover_mcu_dictionary.h"

typedef enum {
    FW_KEYFILE_OK = 0,
    FW_KEYFILE_SYNTAX,           /* not "<decimal> <64 hex digits>" */
    FW_KEYFILE_KEY_ID_RANGE,     /* key_id > 255 */
    FW_KEYFILE_NOT_IN_DICTIONARY,
    FW_KEYFILE_DUPLICATE,
    FW_KEYFILE_TOO_MANY,         /* more keys than `cap` */
} fw_keyfile_status;

typedef struct {
    uint8_t key_id;
    uint8_t key[ROVER_MCU_KEY_LEN];
} fw_key_entry;

/* Parse `len` bytes of key-file text into out[0..cap). On success *count is the number of
 * keys; on failure *error_line is the 1-based line at fault. */
fw_keyfile_status fw_keyfile_parse(const char *text, size_t len, fw_key_entry *out, size_t cap,
                                   size_t *count, size_t *error_line);
/* A short English description of a status. */
const char *fw_keyfile_status_text(fw_keyfile_status status);

#endif
