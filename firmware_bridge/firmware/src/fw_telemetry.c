#include "fw_telemetry.h"

#include "fw_bytes.h"

size_t fw_tm_encode_ack(const fw_ack *ack, uint8_t out[ROVER_MCU_ACK_LEN])
{
    fw_put_u32(out + ROVER_MCU_ACK_UPTIME_MS_OFFSET, ack->uptime_ms);
    out[ROVER_MCU_ACK_KEY_ID_OFFSET] = ack->key_id;
    out[ROVER_MCU_ACK_ROBOT_ID_OFFSET] = ack->robot_id;
    fw_put_u32(out + ROVER_MCU_ACK_SEQ_OFFSET, ack->seq);
    fw_put_u16(out + ROVER_MCU_ACK_OPCODE_OFFSET, ack->opcode);
    out[ROVER_MCU_ACK_STATUS_OFFSET] = ack->status;
    out[ROVER_MCU_ACK_FLAGS_OFFSET] = ack->flags;
    fw_put_u16(out + ROVER_MCU_ACK_DETAIL_OFFSET, ack->detail);
    fw_put_u32(out + ROVER_MCU_ACK_HIGHEST_SEQ_OFFSET, ack->highest_seq);
    return ROVER_MCU_ACK_LEN;
}

size_t fw_tm_encode_housekeeping(const fw_housekeeping *hk, uint8_t out[ROVER_MCU_HK_LEN])
{
    fw_put_u32(out + ROVER_MCU_HK_UPTIME_MS_OFFSET, hk->uptime_ms);
    out[ROVER_MCU_HK_ROBOT_ID_OFFSET] = hk->robot_id;
    out[ROVER_MCU_HK_MODE_OFFSET] = hk->mode;
    fw_put_f32(out + ROVER_MCU_HK_BATTERY_V_OFFSET, hk->battery_v);
    fw_put_f32(out + ROVER_MCU_HK_BATTERY_SOC_PCT_OFFSET, hk->battery_soc_pct);
    fw_put_f32(out + ROVER_MCU_HK_BUS_CURRENT_A_OFFSET, hk->bus_current_a);
    fw_put_f32(out + ROVER_MCU_HK_LEFT_WHEEL_MPS_OFFSET, hk->left_wheel_mps);
    fw_put_f32(out + ROVER_MCU_HK_RIGHT_WHEEL_MPS_OFFSET, hk->right_wheel_mps);
    fw_put_f32(out + ROVER_MCU_HK_ODOMETER_M_OFFSET, hk->odometer_m);
    fw_put_f32(out + ROVER_MCU_HK_BOARD_TEMP_C_OFFSET, hk->board_temp_c);
    out[ROVER_MCU_HK_RAILS_OFFSET] = hk->rails;
    fw_put_u16(out + ROVER_MCU_HK_HK_PERIOD_MS_OFFSET, hk->hk_period_ms);
    fw_put_u16(out + ROVER_MCU_HK_COMMANDS_ACCEPTED_OFFSET, hk->commands_accepted);
    fw_put_u16(out + ROVER_MCU_HK_COMMANDS_REJECTED_OFFSET, hk->commands_rejected);
    fw_put_u16(out + ROVER_MCU_HK_COMMANDS_DUPLICATE_OFFSET, hk->commands_duplicate);
    out[ROVER_MCU_HK_LAST_REJECTED_REASON_OFFSET] = hk->last_rejected_reason;
    fw_put_u16(out + ROVER_MCU_HK_LAST_REJECTED_OPCODE_OFFSET, hk->last_rejected_opcode);
    fw_put_u32(out + ROVER_MCU_HK_LAST_COMMAND_SEQ_OFFSET, hk->last_command_seq);
    fw_put_u16(out + ROVER_MCU_HK_RX_FRAMES_OK_OFFSET, hk->rx_frames_ok);
    fw_put_u16(out + ROVER_MCU_HK_RX_FRAMES_BAD_OFFSET, hk->rx_frames_bad);
    fw_put_u16(out + ROVER_MCU_HK_RX_PACKETS_DROPPED_OFFSET, hk->rx_packets_dropped);
    fw_put_u16(out + ROVER_MCU_HK_TM_PACKETS_SENT_OFFSET, hk->tm_packets_sent);
    return ROVER_MCU_HK_LEN;
}

static void event_header(uint8_t *out, uint32_t uptime_ms, uint16_t id, uint8_t severity)
{
    fw_put_u32(out + ROVER_MCU_EVT_UPTIME_MS_OFFSET, uptime_ms);
    fw_put_u16(out + ROVER_MCU_EVT_ID_OFFSET, id);
    out[ROVER_MCU_EVT_SEVERITY_OFFSET] = severity;
}

size_t fw_tm_event_boot(uint8_t *out, uint32_t uptime_ms, uint8_t reset_cause,
                        uint16_t firmware_version)
{
    event_header(out, uptime_ms, ROVER_MCU_EVT_BOOT_ID, ROVER_MCU_EVT_BOOT_SEVERITY);
    out[ROVER_MCU_EVT_BOOT_RESET_CAUSE_OFFSET] = reset_cause;
    fw_put_u16(out + ROVER_MCU_EVT_BOOT_FIRMWARE_VERSION_OFFSET, firmware_version);
    fw_put_u16(out + ROVER_MCU_EVT_BOOT_DICTIONARY_VERSION_OFFSET,
               (uint16_t)ROVER_MCU_DICTIONARY_VERSION);
    return ROVER_MCU_EVT_BOOT_LEN;
}

size_t fw_tm_event_cmd_rejected(uint8_t *out, uint32_t uptime_ms, uint8_t key_id, uint32_t seq,
                                uint16_t opcode, uint8_t status)
{
    event_header(out, uptime_ms, ROVER_MCU_EVT_CMD_REJECTED_ID,
                 ROVER_MCU_EVT_CMD_REJECTED_SEVERITY);
    out[ROVER_MCU_EVT_CMD_REJECTED_KEY_ID_OFFSET] = key_id;
    fw_put_u32(out + ROVER_MCU_EVT_CMD_REJECTED_SEQ_OFFSET, seq);
    fw_put_u16(out + ROVER_MCU_EVT_CMD_REJECTED_OPCODE_OFFSET, opcode);
    out[ROVER_MCU_EVT_CMD_REJECTED_STATUS_OFFSET] = status;
    return ROVER_MCU_EVT_CMD_REJECTED_LEN;
}

size_t fw_tm_event_brownout(uint8_t *out, uint32_t uptime_ms, float battery_v)
{
    event_header(out, uptime_ms, ROVER_MCU_EVT_BROWNOUT_ID, ROVER_MCU_EVT_BROWNOUT_SEVERITY);
    fw_put_f32(out + ROVER_MCU_EVT_BROWNOUT_BATTERY_V_OFFSET, battery_v);
    return ROVER_MCU_EVT_BROWNOUT_LEN;
}

size_t fw_tm_event_rail_switched(uint8_t *out, uint32_t uptime_ms, uint8_t rail, bool on)
{
    event_header(out, uptime_ms, ROVER_MCU_EVT_RAIL_SWITCHED_ID,
                 ROVER_MCU_EVT_RAIL_SWITCHED_SEVERITY);
    out[ROVER_MCU_EVT_RAIL_SWITCHED_RAIL_OFFSET] = rail;
    out[ROVER_MCU_EVT_RAIL_SWITCHED_ON_OFFSET] = on ? 1u : 0u;
    return ROVER_MCU_EVT_RAIL_SWITCHED_LEN;
}

size_t fw_tm_event_drive_done(uint8_t *out, uint32_t uptime_ms, float odometer_m,
                              bool stopped_early)
{
    event_header(out, uptime_ms, ROVER_MCU_EVT_DRIVE_DONE_ID, ROVER_MCU_EVT_DRIVE_DONE_SEVERITY);
    fw_put_f32(out + ROVER_MCU_EVT_DRIVE_DONE_ODOMETER_M_OFFSET, odometer_m);
    out[ROVER_MCU_EVT_DRIVE_DONE_STOPPED_EARLY_OFFSET] = stopped_early ? 1u : 0u;
    return ROVER_MCU_EVT_DRIVE_DONE_LEN;
}

size_t fw_tm_event_limit_violation(uint8_t *out, uint32_t uptime_ms, uint8_t point_index,
                                   float value)
{
    event_header(out, uptime_ms, ROVER_MCU_EVT_LIMIT_VIOLATION_ID,
                 ROVER_MCU_EVT_LIMIT_VIOLATION_SEVERITY);
    out[ROVER_MCU_EVT_LIMIT_VIOLATION_POINT_INDEX_OFFSET] = point_index;
    fw_put_f32(out + ROVER_MCU_EVT_LIMIT_VIOLATION_VALUE_OFFSET, value);
    return ROVER_MCU_EVT_LIMIT_VIOLATION_LEN;
}
