/*
 * Encoders of the TM packet data fields (PROTOCOL.md section 7): acknowledgement,
 * housekeeping, events. Offsets and lengths come from rover_mcu_dictionary.h. Pure.
 */
#ifndef FW_TELEMETRY_H
#define FW_TELEMETRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rover_mcu_dictionary.h"

#define FW_TM_MAX_DATA_LEN ROVER_MCU_HK_LEN /* the largest TM data field */

typedef struct {
    uint32_t uptime_ms;
    uint8_t key_id;
    uint8_t robot_id;
    uint32_t seq;
    uint16_t opcode;
    uint8_t status; /* ROVER_MCU_ACK_STATUS_* */
    uint8_t flags;  /* ROVER_MCU_ACK_FLAG_*_MASK bits */
    uint16_t detail;
    uint32_t highest_seq;
} fw_ack;

typedef struct {
    uint32_t uptime_ms;
    uint8_t robot_id;
    uint8_t mode;
    float battery_v;
    float battery_soc_pct;
    float bus_current_a;
    float left_wheel_mps;
    float right_wheel_mps;
    float odometer_m;
    float board_temp_c;
    uint8_t rails;
    uint16_t hk_period_ms;
    uint16_t commands_accepted;
    uint16_t commands_rejected;
    uint16_t commands_duplicate;
    uint8_t last_rejected_reason;
    uint16_t last_rejected_opcode;
    uint32_t last_command_seq;
    uint16_t rx_frames_ok;
    uint16_t rx_frames_bad;
    uint16_t rx_packets_dropped;
    uint16_t tm_packets_sent;
} fw_housekeeping;

/* Each encoder writes the whole data field and returns its length. */
size_t fw_tm_encode_ack(const fw_ack *ack, uint8_t out[ROVER_MCU_ACK_LEN]);
size_t fw_tm_encode_housekeeping(const fw_housekeeping *hk, uint8_t out[ROVER_MCU_HK_LEN]);

size_t fw_tm_event_boot(uint8_t *out, uint32_t uptime_ms, uint8_t reset_cause,
                        uint16_t firmware_version);
size_t fw_tm_event_cmd_rejected(uint8_t *out, uint32_t uptime_ms, uint8_t key_id, uint32_t seq,
                                uint16_t opcode, uint8_t status);
size_t fw_tm_event_brownout(uint8_t *out, uint32_t uptime_ms, float battery_v);
size_t fw_tm_event_rail_switched(uint8_t *out, uint32_t uptime_ms, uint8_t rail, bool on);
size_t fw_tm_event_drive_done(uint8_t *out, uint32_t uptime_ms, float odometer_m,
                              bool stopped_early);
size_t fw_tm_event_limit_violation(uint8_t *out, uint32_t uptime_ms, uint8_t point_index,
                                   float value);

#endif
