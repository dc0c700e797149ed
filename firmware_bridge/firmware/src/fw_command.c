#include "fw_command.h"

#include "fw_bytes.h"

bool fw_tc_split(const uint8_t *data, size_t data_len, fw_tc *out)
{
    if (data_len < ROVER_MCU_TC_FIXED_LEN) {
        return false;
    }
    out->key_id = data[ROVER_MCU_TC_KEY_ID_OFFSET];
    out->robot_id = data[ROVER_MCU_TC_ROBOT_ID_OFFSET];
    out->seq = fw_get_u32(data + ROVER_MCU_TC_SEQ_OFFSET);
    out->opcode = fw_get_u16(data + ROVER_MCU_TC_OPCODE_OFFSET);
    out->args = data + ROVER_MCU_TC_ARGS_OFFSET;
    out->args_len = data_len - ROVER_MCU_TC_FIXED_LEN;
    return true;
}

/* Read an integer argument of any integer wire type, sign-extended. */
static int64_t read_int(uint8_t type, const uint8_t *p)
{
    switch (type) {
    case ROVER_MCU_TYPE_U8:
    case ROVER_MCU_TYPE_BOOL:
        return p[0];
    case ROVER_MCU_TYPE_U16:
        return fw_get_u16(p);
    case ROVER_MCU_TYPE_U32:
        return fw_get_u32(p);
    case ROVER_MCU_TYPE_I8:
        return (int8_t)p[0];
    case ROVER_MCU_TYPE_I16:
        return (int16_t)fw_get_u16(p);
    case ROVER_MCU_TYPE_I32:
        return (int32_t)fw_get_u32(p);
    default:
        return 0;
    }
}

static bool arg_valid(const rover_mcu_arg_info_t *arg, const uint8_t *args)
{
    const uint8_t *p = args + arg->offset;
    if (arg->type == ROVER_MCU_TYPE_F32) {
        const float x = fw_get_f32(p);
        if (arg->check == ROVER_MCU_CHECK_RANGE) {
            return x >= arg->min_f32 && x <= arg->max_f32; /* false for NaN */
        }
        return arg->check == ROVER_MCU_CHECK_NONE;
    }
    const int64_t v = read_int(arg->type, p);
    switch (arg->check) {
    case ROVER_MCU_CHECK_NONE:
        return true;
    case ROVER_MCU_CHECK_RANGE:
        return v >= arg->min_int && v <= arg->max_int;
    case ROVER_MCU_CHECK_BOOL:
        return v == 0 || v == 1;
    case ROVER_MCU_CHECK_ENUM:
        for (unsigned i = 0; i < arg->enum_count; ++i) {
            if ((int64_t)arg->enum_values[i] == v) {
                return true;
            }
        }
        return false;
    default:
        return false;
    }
}

int fw_command_first_bad_arg(int cmd_index, const uint8_t *args)
{
    const rover_mcu_command_info_t *cmd = &ROVER_MCU_COMMANDS[cmd_index];
    for (unsigned i = 0; i < cmd->arg_count; ++i) {
        if (!arg_valid(&cmd->args[i], args)) {
            return (int)i;
        }
    }
    return -1;
}

fw_check_result fw_command_check(const fw_tc *tc, uint8_t this_robot_id, uint8_t partner_id)
{
    fw_check_result r = {ROVER_MCU_ACK_STATUS_EXECUTED, 0, -1};
    if (tc->robot_id != this_robot_id) {
        r.status = ROVER_MCU_ACK_STATUS_WRONG_TARGET;
        r.detail = tc->robot_id;
        return r;
    }
    r.cmd_index = rover_mcu_command_index(tc->opcode);
    if (r.cmd_index < 0) {
        r.status = ROVER_MCU_ACK_STATUS_UNKNOWN_OPCODE;
        return r;
    }
    if (!rover_mcu_is_authorized(partner_id, this_robot_id, r.cmd_index)) {
        r.status = ROVER_MCU_ACK_STATUS_NOT_AUTHORIZED;
        return r;
    }
    const rover_mcu_command_info_t *cmd = &ROVER_MCU_COMMANDS[r.cmd_index];
    if (tc->args_len != cmd->args_len) {
        r.status = ROVER_MCU_ACK_STATUS_BAD_LENGTH;
        r.detail = (uint16_t)(ROVER_MCU_TC_FIXED_LEN + cmd->args_len);
        return r;
    }
    const int bad = fw_command_first_bad_arg(r.cmd_index, tc->args);
    if (bad >= 0) {
        r.status = ROVER_MCU_ACK_STATUS_ARG_OUT_OF_RANGE;
        r.detail = (uint16_t)bad;
    }
    return r;
}
