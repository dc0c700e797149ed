/*
 * Telecommand data field parsing and the dictionary checks (PROTOCOL.md section 2 and section 3
 * steps 5..9), driven by the tables generated in rover_mcu_dictionary.h. Pure functions.
 *
 *   0 key_id u8 | 1 robot_id u8 | 2 seq u32 | 6 opcode u16 | 8 args (N) | 8+N mac (16)
 */
#ifndef FW_COMMAND_H
#define FW_COMMAND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rover_mcu_dictionary.h"

typedef struct {
    uint8_t key_id;
    uint8_t robot_id;
    uint32_t seq;
    uint16_t opcode;
    const uint8_t *args; /* points into the data field */
    size_t args_len;     /* N = data field length - 24 */
} fw_tc;

/* Split a data field of at least ROVER_MCU_TC_FIXED_LEN bytes; false if it is shorter. */
bool fw_tc_split(const uint8_t *data, size_t data_len, fw_tc *out);

typedef struct {
    uint8_t status;  /* ROVER_MCU_ACK_STATUS_*; EXECUTED here means "passed every check" */
    uint16_t detail; /* per PROTOCOL.md 7.1 */
    int cmd_index;   /* index in ROVER_MCU_COMMANDS when the opcode is known, else -1 */
} fw_check_result;

/* Steps 5..9 for an authenticated TC: WRONG_TARGET, UNKNOWN_OPCODE, NOT_AUTHORIZED,
 * BAD_LENGTH, ARG_OUT_OF_RANGE, in that order; EXECUTED if all pass. */
fw_check_result fw_command_check(const fw_tc *tc, uint8_t this_robot_id, uint8_t partner_id);

/* Check the argument block of command `cmd_index` against its ranges, enums and bools.
 * Returns -1 if all are valid, else the 0-based index of the first bad argument.
 * `args` must hold ROVER_MCU_COMMANDS[cmd_index].args_len bytes. */
int fw_command_first_bad_arg(int cmd_index, const uint8_t *args);

#endif
