/* rover_mcu_dictionary.h - GENERATED from rover_mcu.yaml by
 *   python -m firmware_bridge.codegen
 * Do not edit: change the dictionary and regenerate.
 * Byte layouts: firmware_bridge/PROTOCOL.md.
 * Every multi-byte field on the wire is big-endian. */
#ifndef ROVER_MCU_DICTIONARY_H
#define ROVER_MCU_DICTIONARY_H

#include <stdint.h>

#if defined(__GNUC__) || defined(__clang__)
#define ROVER_MCU_MAYBE_UNUSED __attribute__((unused))
#else
#define ROVER_MCU_MAYBE_UNUSED
#endif

#define ROVER_MCU_DICTIONARY_VERSION 1u

/* ---- APIDs ----------------------------------------------------------------------------------- */
#define ROVER_MCU_APID_COMMAND 0x100u
#define ROVER_MCU_APID_ACK 0x101u
#define ROVER_MCU_APID_HOUSEKEEPING 0x102u
#define ROVER_MCU_APID_EVENT 0x103u

/* ---- Telecommand data field (PROTOCOL.md 2) -------------------------------------------------- */
#define ROVER_MCU_TC_KEY_ID_OFFSET 0u  /* u8 */
#define ROVER_MCU_TC_ROBOT_ID_OFFSET 1u  /* u8 */
#define ROVER_MCU_TC_SEQ_OFFSET 2u  /* u32 */
#define ROVER_MCU_TC_OPCODE_OFFSET 6u  /* u16 */
#define ROVER_MCU_TC_ARGS_OFFSET 8u
#define ROVER_MCU_TC_SECURITY_HEADER_LEN 6u
#define ROVER_MCU_TC_FIXED_LEN 24u  /* data field bytes besides the arguments */
#define ROVER_MCU_MAC_LEN 16u  /* HMAC-SHA256 truncated to its first 16 bytes */
#define ROVER_MCU_KEY_LEN 32u
#define ROVER_MCU_REPLAY_WINDOW 64u  /* sequence numbers */
#define ROVER_MCU_MAC_HEADER_MASK_BYTE2 0xC0u  /* MAC input: h[2] & mask, h[3] -> 0 */
#define ROVER_MCU_NO_OPCODE 0xFFFFu
#define ROVER_MCU_MAX_ARGS_LEN 12u
#define ROVER_MCU_MAX_TC_DATA_LEN 36u
#define ROVER_MCU_MAX_TC_PACKET_LEN 42u  /* primary header included */

/* ---- Enums (for enums used as bitmasks, *_MASK is 1 << value) -------------------------------- */
/* rail (u8): Switched power rails of the rover. */
#define ROVER_MCU_RAIL_PAYLOAD 0u
#define ROVER_MCU_RAIL_PAYLOAD_MASK 0x01u
#define ROVER_MCU_RAIL_HEATER 1u
#define ROVER_MCU_RAIL_HEATER_MASK 0x02u
#define ROVER_MCU_RAIL_RADIO 2u
#define ROVER_MCU_RAIL_RADIO_MASK 0x04u
#define ROVER_MCU_RAIL_CAMERA 3u
#define ROVER_MCU_RAIL_CAMERA_MASK 0x08u
#define ROVER_MCU_RAIL_COUNT 4u  /* number of values */
/* mode (u8): MCU operating mode. */
#define ROVER_MCU_MODE_IDLE 0u
#define ROVER_MCU_MODE_DRIVING 1u
#define ROVER_MCU_MODE_SAFE 2u
#define ROVER_MCU_MODE_COUNT 3u  /* number of values */
/* ack_status (u8): Result of one command packet, carried in the acknowledgement. */
#define ROVER_MCU_ACK_STATUS_EXECUTED 0u
#define ROVER_MCU_ACK_STATUS_ACCEPTED 1u
#define ROVER_MCU_ACK_STATUS_BAD_MAC 2u
#define ROVER_MCU_ACK_STATUS_REPLAY 3u
#define ROVER_MCU_ACK_STATUS_UNKNOWN_KEY 4u
#define ROVER_MCU_ACK_STATUS_WRONG_TARGET 5u
#define ROVER_MCU_ACK_STATUS_NOT_AUTHORIZED 6u
#define ROVER_MCU_ACK_STATUS_UNKNOWN_OPCODE 7u
#define ROVER_MCU_ACK_STATUS_BAD_LENGTH 8u
#define ROVER_MCU_ACK_STATUS_ARG_OUT_OF_RANGE 9u
#define ROVER_MCU_ACK_STATUS_EXECUTION_FAILED 10u
#define ROVER_MCU_ACK_STATUS_COUNT 11u  /* number of values */
/* ack_flag (u8): Bits of the ack flags field (bit n = value n). */
#define ROVER_MCU_ACK_FLAG_REPEAT 0u
#define ROVER_MCU_ACK_FLAG_REPEAT_MASK 0x01u
#define ROVER_MCU_ACK_FLAG_COUNT 1u  /* number of values */
/* severity (u8): Event severity. */
#define ROVER_MCU_SEVERITY_DEBUG 0u
#define ROVER_MCU_SEVERITY_INFO 1u
#define ROVER_MCU_SEVERITY_WARNING 2u
#define ROVER_MCU_SEVERITY_ERROR 3u
#define ROVER_MCU_SEVERITY_FATAL 4u
#define ROVER_MCU_SEVERITY_COUNT 5u  /* number of values */
/* reset_cause (u8): Why the MCU last started. */
#define ROVER_MCU_RESET_CAUSE_POWER_ON 0u
#define ROVER_MCU_RESET_CAUSE_WATCHDOG 1u
#define ROVER_MCU_RESET_CAUSE_SOFTWARE 2u
#define ROVER_MCU_RESET_CAUSE_BROWNOUT 3u
#define ROVER_MCU_RESET_CAUSE_UNKNOWN 255u
#define ROVER_MCU_RESET_CAUSE_COUNT 5u  /* number of values */

/* ---- Commands: opcodes, argument sizes, offsets (in the argument block), ranges -------------- */
#define ROVER_MCU_CMD_COUNT 7u
/* NOOP: Does nothing; acknowledged EXECUTED. Link check. */
#define ROVER_MCU_OP_NOOP 0x0001u
#define ROVER_MCU_CMD_NOOP_INDEX 0u
#define ROVER_MCU_CMD_NOOP_ARGS_LEN 0u
#define ROVER_MCU_CMD_NOOP_DATA_LEN 24u  /* TC data field */
/* DRIVE: Drive the wheels at the given speeds for duration_ms, then stop. duration_ms = 0 stops. Acknowledged ACCEPTED when motion starts; EXECUTION_FAILED (detail 1) in SAFE mode. */
#define ROVER_MCU_OP_DRIVE 0x0010u
#define ROVER_MCU_CMD_DRIVE_INDEX 1u
#define ROVER_MCU_CMD_DRIVE_ARGS_LEN 12u
#define ROVER_MCU_CMD_DRIVE_DATA_LEN 36u  /* TC data field */
#define ROVER_MCU_CMD_DRIVE_ARG_LEFT_MPS_OFFSET 0u  /* f32, m/s */
#define ROVER_MCU_CMD_DRIVE_ARG_LEFT_MPS_MIN (-0.5f)  /* m/s */
#define ROVER_MCU_CMD_DRIVE_ARG_LEFT_MPS_MAX 0.5f  /* m/s */
#define ROVER_MCU_CMD_DRIVE_ARG_RIGHT_MPS_OFFSET 4u  /* f32, m/s */
#define ROVER_MCU_CMD_DRIVE_ARG_RIGHT_MPS_MIN (-0.5f)  /* m/s */
#define ROVER_MCU_CMD_DRIVE_ARG_RIGHT_MPS_MAX 0.5f  /* m/s */
#define ROVER_MCU_CMD_DRIVE_ARG_DURATION_MS_OFFSET 8u  /* u32, ms */
#define ROVER_MCU_CMD_DRIVE_ARG_DURATION_MS_MIN 0u  /* ms */
#define ROVER_MCU_CMD_DRIVE_ARG_DURATION_MS_MAX 600000u  /* ms */
/* STOP: Stop both wheels now. Acknowledged EXECUTED. */
#define ROVER_MCU_OP_STOP 0x0011u
#define ROVER_MCU_CMD_STOP_INDEX 2u
#define ROVER_MCU_CMD_STOP_ARGS_LEN 0u
#define ROVER_MCU_CMD_STOP_DATA_LEN 24u  /* TC data field */
/* CLEAR_SAFE: Leave SAFE mode for IDLE. Acknowledged EXECUTED (also when not in SAFE mode); EXECUTION_FAILED (detail 2) while battery_v is below its yellow_low limit. */
#define ROVER_MCU_OP_CLEAR_SAFE 0x0012u
#define ROVER_MCU_CMD_CLEAR_SAFE_INDEX 3u
#define ROVER_MCU_CMD_CLEAR_SAFE_ARGS_LEN 0u
#define ROVER_MCU_CMD_CLEAR_SAFE_DATA_LEN 24u  /* TC data field */
/* SET_POWER: Switch one power rail on or off. Acknowledged EXECUTED. */
#define ROVER_MCU_OP_SET_POWER 0x0020u
#define ROVER_MCU_CMD_SET_POWER_INDEX 4u
#define ROVER_MCU_CMD_SET_POWER_ARGS_LEN 2u
#define ROVER_MCU_CMD_SET_POWER_DATA_LEN 26u  /* TC data field */
#define ROVER_MCU_CMD_SET_POWER_ARG_RAIL_OFFSET 0u  /* u8 enum rail */
#define ROVER_MCU_CMD_SET_POWER_ARG_ON_OFFSET 1u  /* bool */
/* REQUEST_HOUSEKEEPING: Acknowledged EXECUTED, then one housekeeping packet is sent at once. */
#define ROVER_MCU_OP_REQUEST_HOUSEKEEPING 0x0030u
#define ROVER_MCU_CMD_REQUEST_HOUSEKEEPING_INDEX 5u
#define ROVER_MCU_CMD_REQUEST_HOUSEKEEPING_ARGS_LEN 0u
#define ROVER_MCU_CMD_REQUEST_HOUSEKEEPING_DATA_LEN 24u  /* TC data field */
/* SET_HK_PERIOD: Set the period of unsolicited housekeeping. Acknowledged EXECUTED. */
#define ROVER_MCU_OP_SET_HK_PERIOD 0x0031u
#define ROVER_MCU_CMD_SET_HK_PERIOD_INDEX 6u
#define ROVER_MCU_CMD_SET_HK_PERIOD_ARGS_LEN 2u
#define ROVER_MCU_CMD_SET_HK_PERIOD_DATA_LEN 26u  /* TC data field */
#define ROVER_MCU_CMD_SET_HK_PERIOD_ARG_PERIOD_MS_OFFSET 0u  /* u16, ms */
#define ROVER_MCU_CMD_SET_HK_PERIOD_ARG_PERIOD_MS_MIN 100u  /* ms */
#define ROVER_MCU_CMD_SET_HK_PERIOD_ARG_PERIOD_MS_MAX 60000u  /* ms */

/* ---- ack packet (APID 0x101): offsets in the data field -------------------------------------- */
#define ROVER_MCU_ACK_LEN 20u  /* data field bytes */
#define ROVER_MCU_ACK_UPTIME_MS_OFFSET 0u  /* u32, ms */
#define ROVER_MCU_ACK_KEY_ID_OFFSET 4u  /* u8 */
#define ROVER_MCU_ACK_ROBOT_ID_OFFSET 5u  /* u8 */
#define ROVER_MCU_ACK_SEQ_OFFSET 6u  /* u32 */
#define ROVER_MCU_ACK_OPCODE_OFFSET 10u  /* u16 */
#define ROVER_MCU_ACK_STATUS_OFFSET 12u  /* u8 enum ack_status */
#define ROVER_MCU_ACK_FLAGS_OFFSET 13u  /* u8 bitmask ack_flag */
#define ROVER_MCU_ACK_DETAIL_OFFSET 14u  /* u16 */
#define ROVER_MCU_ACK_HIGHEST_SEQ_OFFSET 16u  /* u32 */

/* ---- housekeeping packet (APID 0x102): offsets in the data field ----------------------------- */
#define ROVER_MCU_HK_LEN 58u  /* data field bytes */
#define ROVER_MCU_HK_UPTIME_MS_OFFSET 0u  /* u32, ms */
#define ROVER_MCU_HK_ROBOT_ID_OFFSET 4u  /* u8 */
#define ROVER_MCU_HK_MODE_OFFSET 5u  /* u8 enum mode */
#define ROVER_MCU_HK_BATTERY_V_OFFSET 6u  /* f32, V */
#define ROVER_MCU_HK_BATTERY_V_RED_LOW 22.0f  /* V */
#define ROVER_MCU_HK_BATTERY_V_YELLOW_LOW 24.0f  /* V */
#define ROVER_MCU_HK_BATTERY_V_YELLOW_HIGH 33.0f  /* V */
#define ROVER_MCU_HK_BATTERY_V_RED_HIGH 34.0f  /* V */
#define ROVER_MCU_HK_BATTERY_SOC_PCT_OFFSET 10u  /* f32, % */
#define ROVER_MCU_HK_BATTERY_SOC_PCT_RED_LOW 10.0f  /* % */
#define ROVER_MCU_HK_BATTERY_SOC_PCT_YELLOW_LOW 20.0f  /* % */
#define ROVER_MCU_HK_BATTERY_SOC_PCT_YELLOW_HIGH 100.0f  /* % */
#define ROVER_MCU_HK_BATTERY_SOC_PCT_RED_HIGH 100.5f  /* % */
#define ROVER_MCU_HK_BUS_CURRENT_A_OFFSET 14u  /* f32, A */
#define ROVER_MCU_HK_BUS_CURRENT_A_RED_LOW (-10.0f)  /* A */
#define ROVER_MCU_HK_BUS_CURRENT_A_YELLOW_LOW (-8.0f)  /* A */
#define ROVER_MCU_HK_BUS_CURRENT_A_YELLOW_HIGH 8.0f  /* A */
#define ROVER_MCU_HK_BUS_CURRENT_A_RED_HIGH 10.0f  /* A */
#define ROVER_MCU_HK_LEFT_WHEEL_MPS_OFFSET 18u  /* f32, m/s */
#define ROVER_MCU_HK_RIGHT_WHEEL_MPS_OFFSET 22u  /* f32, m/s */
#define ROVER_MCU_HK_ODOMETER_M_OFFSET 26u  /* f32, m */
#define ROVER_MCU_HK_BOARD_TEMP_C_OFFSET 30u  /* f32, degC */
#define ROVER_MCU_HK_BOARD_TEMP_C_RED_LOW (-40.0f)  /* degC */
#define ROVER_MCU_HK_BOARD_TEMP_C_YELLOW_LOW (-30.0f)  /* degC */
#define ROVER_MCU_HK_BOARD_TEMP_C_YELLOW_HIGH 60.0f  /* degC */
#define ROVER_MCU_HK_BOARD_TEMP_C_RED_HIGH 70.0f  /* degC */
#define ROVER_MCU_HK_RAILS_OFFSET 34u  /* u8 bitmask rail */
#define ROVER_MCU_HK_HK_PERIOD_MS_OFFSET 35u  /* u16, ms */
#define ROVER_MCU_HK_COMMANDS_ACCEPTED_OFFSET 37u  /* u16 */
#define ROVER_MCU_HK_COMMANDS_REJECTED_OFFSET 39u  /* u16 */
#define ROVER_MCU_HK_COMMANDS_DUPLICATE_OFFSET 41u  /* u16 */
#define ROVER_MCU_HK_LAST_REJECTED_REASON_OFFSET 43u  /* u8 enum ack_status */
#define ROVER_MCU_HK_LAST_REJECTED_OPCODE_OFFSET 44u  /* u16 */
#define ROVER_MCU_HK_LAST_COMMAND_SEQ_OFFSET 46u  /* u32 */
#define ROVER_MCU_HK_RX_FRAMES_OK_OFFSET 50u  /* u16 */
#define ROVER_MCU_HK_RX_FRAMES_BAD_OFFSET 52u  /* u16 */
#define ROVER_MCU_HK_RX_PACKETS_DROPPED_OFFSET 54u  /* u16 */
#define ROVER_MCU_HK_TM_PACKETS_SENT_OFFSET 56u  /* u16 */

/* ---- Events: header, then arguments (offsets in the data field) ------------------------------ */
#define ROVER_MCU_EVT_HEADER_LEN 7u
#define ROVER_MCU_EVT_UPTIME_MS_OFFSET 0u  /* u32, ms */
#define ROVER_MCU_EVT_ID_OFFSET 4u  /* u16 */
#define ROVER_MCU_EVT_SEVERITY_OFFSET 6u  /* u8 enum severity */
/* BOOT: The MCU started. */
#define ROVER_MCU_EVT_BOOT_ID 0x0001u
#define ROVER_MCU_EVT_BOOT_SEVERITY ROVER_MCU_SEVERITY_INFO
#define ROVER_MCU_EVT_BOOT_LEN 12u  /* data field bytes */
#define ROVER_MCU_EVT_BOOT_RESET_CAUSE_OFFSET 7u  /* u8 enum reset_cause */
#define ROVER_MCU_EVT_BOOT_FIRMWARE_VERSION_OFFSET 8u  /* u16 */
#define ROVER_MCU_EVT_BOOT_DICTIONARY_VERSION_OFFSET 10u  /* u16 */
/* CMD_REJECTED: A new command packet was acknowledged with a status other than EXECUTED or ACCEPTED. */
#define ROVER_MCU_EVT_CMD_REJECTED_ID 0x0002u
#define ROVER_MCU_EVT_CMD_REJECTED_SEVERITY ROVER_MCU_SEVERITY_WARNING
#define ROVER_MCU_EVT_CMD_REJECTED_LEN 15u  /* data field bytes */
#define ROVER_MCU_EVT_CMD_REJECTED_KEY_ID_OFFSET 7u  /* u8 */
#define ROVER_MCU_EVT_CMD_REJECTED_SEQ_OFFSET 8u  /* u32 */
#define ROVER_MCU_EVT_CMD_REJECTED_OPCODE_OFFSET 12u  /* u16 */
#define ROVER_MCU_EVT_CMD_REJECTED_STATUS_OFFSET 14u  /* u8 enum ack_status */
/* BROWNOUT: Battery voltage fell below red_low; wheels stopped, rails but RADIO off, mode SAFE. */
#define ROVER_MCU_EVT_BROWNOUT_ID 0x0003u
#define ROVER_MCU_EVT_BROWNOUT_SEVERITY ROVER_MCU_SEVERITY_ERROR
#define ROVER_MCU_EVT_BROWNOUT_LEN 11u  /* data field bytes */
#define ROVER_MCU_EVT_BROWNOUT_BATTERY_V_OFFSET 7u  /* f32, V */
/* RAIL_SWITCHED: A power rail changed state. */
#define ROVER_MCU_EVT_RAIL_SWITCHED_ID 0x0004u
#define ROVER_MCU_EVT_RAIL_SWITCHED_SEVERITY ROVER_MCU_SEVERITY_INFO
#define ROVER_MCU_EVT_RAIL_SWITCHED_LEN 9u  /* data field bytes */
#define ROVER_MCU_EVT_RAIL_SWITCHED_RAIL_OFFSET 7u  /* u8 enum rail */
#define ROVER_MCU_EVT_RAIL_SWITCHED_ON_OFFSET 8u  /* bool */
/* DRIVE_DONE: A DRIVE ended (duration elapsed, STOP, or a new DRIVE replaced it). */
#define ROVER_MCU_EVT_DRIVE_DONE_ID 0x0005u
#define ROVER_MCU_EVT_DRIVE_DONE_SEVERITY ROVER_MCU_SEVERITY_INFO
#define ROVER_MCU_EVT_DRIVE_DONE_LEN 12u  /* data field bytes */
#define ROVER_MCU_EVT_DRIVE_DONE_ODOMETER_M_OFFSET 7u  /* f32, m */
#define ROVER_MCU_EVT_DRIVE_DONE_STOPPED_EARLY_OFFSET 11u  /* bool */
/* LIMIT_VIOLATION: A housekeeping point crossed a red limit (reported once per crossing). */
#define ROVER_MCU_EVT_LIMIT_VIOLATION_ID 0x0006u
#define ROVER_MCU_EVT_LIMIT_VIOLATION_SEVERITY ROVER_MCU_SEVERITY_WARNING
#define ROVER_MCU_EVT_LIMIT_VIOLATION_LEN 12u  /* data field bytes */
#define ROVER_MCU_EVT_LIMIT_VIOLATION_POINT_INDEX_OFFSET 7u  /* u8 */
#define ROVER_MCU_EVT_LIMIT_VIOLATION_VALUE_OFFSET 8u  /* f32 */

/* ---- Robots, partners, keys (ids only, never key material) ----------------------------------- */
#define ROVER_MCU_ROBOT_ROVER_R1 1u  /* ILRS traverse rover 1 */
#define ROVER_MCU_ROBOT_ROVER_R2 2u  /* ILRS traverse rover 2 */
#define ROVER_MCU_ROBOT_TUBE_SCOUT_T1 3u  /* Lava-tube scout rover 1 */
#define ROVER_MCU_PARTNER_CNSA 1u  /* China National Space Administration */
#define ROVER_MCU_PARTNER_ROSCOSMOS 2u  /* Roscosmos State Corporation */
#define ROVER_MCU_PARTNER_SUPARCO 3u  /* Pakistan Space and Upper Atmosphere Research Commission */
#define ROVER_MCU_PARTNER_NARIT 4u  /* National Astronomical Research Institute of Thailand */
#define ROVER_MCU_KEY_COUNT 5u

/* ---- Tables ---------------------------------------------------------------------------------- */
enum { ROVER_MCU_TYPE_U8 = 0, ROVER_MCU_TYPE_U16 = 1, ROVER_MCU_TYPE_U32 = 2, ROVER_MCU_TYPE_I8 = 3, ROVER_MCU_TYPE_I16 = 4, ROVER_MCU_TYPE_I32 = 5, ROVER_MCU_TYPE_F32 = 6, ROVER_MCU_TYPE_BOOL = 7 };
enum { ROVER_MCU_CHECK_NONE = 0, ROVER_MCU_CHECK_RANGE = 1, ROVER_MCU_CHECK_ENUM = 2, ROVER_MCU_CHECK_BOOL = 3 };

/* One argument: how to read it and how to check it. Integer ranges in min_int..max_int,
 * f32 ranges in min_f32..max_f32 (NaN fails), enums against
 * enum_values[0..enum_count). */
typedef struct {
    uint8_t type;            /* ROVER_MCU_TYPE_* */
    uint8_t offset;          /* in the argument block */
    uint8_t check;           /* ROVER_MCU_CHECK_* */
    uint8_t enum_count;
    const uint32_t *enum_values;
    int64_t min_int;
    int64_t max_int;
    float min_f32;
    float max_f32;
} rover_mcu_arg_info_t;

typedef struct {
    uint16_t opcode;
    uint8_t args_len;
    uint8_t arg_count;
    const rover_mcu_arg_info_t *args;
    const char *name;
} rover_mcu_command_info_t;

static const uint32_t ROVER_MCU_RAIL_VALUES[] ROVER_MCU_MAYBE_UNUSED = { 0u, 1u, 2u, 3u };
static const uint32_t ROVER_MCU_MODE_VALUES[] ROVER_MCU_MAYBE_UNUSED = { 0u, 1u, 2u };
static const uint32_t ROVER_MCU_ACK_STATUS_VALUES[] ROVER_MCU_MAYBE_UNUSED = { 0u, 1u, 2u, 3u, 4u, 5u, 6u, 7u, 8u, 9u, 10u };
static const uint32_t ROVER_MCU_ACK_FLAG_VALUES[] ROVER_MCU_MAYBE_UNUSED = { 0u };
static const uint32_t ROVER_MCU_SEVERITY_VALUES[] ROVER_MCU_MAYBE_UNUSED = { 0u, 1u, 2u, 3u, 4u };
static const uint32_t ROVER_MCU_RESET_CAUSE_VALUES[] ROVER_MCU_MAYBE_UNUSED = { 0u, 1u, 2u, 3u, 255u };

static const rover_mcu_arg_info_t ROVER_MCU_CMD_DRIVE_ARGS[] ROVER_MCU_MAYBE_UNUSED = {
    { ROVER_MCU_TYPE_F32, 0u, ROVER_MCU_CHECK_RANGE, 0u, 0, 0, 0, (-0.5f), 0.5f }, /* left_mps */
    { ROVER_MCU_TYPE_F32, 4u, ROVER_MCU_CHECK_RANGE, 0u, 0, 0, 0, (-0.5f), 0.5f }, /* right_mps */
    { ROVER_MCU_TYPE_U32, 8u, ROVER_MCU_CHECK_RANGE, 0u, 0, 0, 600000, 0.0f, 0.0f }, /* duration_ms */
};
static const rover_mcu_arg_info_t ROVER_MCU_CMD_SET_POWER_ARGS[] ROVER_MCU_MAYBE_UNUSED = {
    { ROVER_MCU_TYPE_U8, 0u, ROVER_MCU_CHECK_ENUM, 4u, ROVER_MCU_RAIL_VALUES, 0, 255, 0.0f, 0.0f }, /* rail */
    { ROVER_MCU_TYPE_BOOL, 1u, ROVER_MCU_CHECK_BOOL, 0u, 0, 0, 1, 0.0f, 0.0f }, /* on */
};
static const rover_mcu_arg_info_t ROVER_MCU_CMD_SET_HK_PERIOD_ARGS[] ROVER_MCU_MAYBE_UNUSED = {
    { ROVER_MCU_TYPE_U16, 0u, ROVER_MCU_CHECK_RANGE, 0u, 0, 100, 60000, 0.0f, 0.0f }, /* period_ms */
};

static const rover_mcu_command_info_t ROVER_MCU_COMMANDS[ROVER_MCU_CMD_COUNT] ROVER_MCU_MAYBE_UNUSED = {
    { ROVER_MCU_OP_NOOP, 0u, 0u, 0, "NOOP" },
    { ROVER_MCU_OP_DRIVE, 12u, 3u, ROVER_MCU_CMD_DRIVE_ARGS, "DRIVE" },
    { ROVER_MCU_OP_STOP, 0u, 0u, 0, "STOP" },
    { ROVER_MCU_OP_CLEAR_SAFE, 0u, 0u, 0, "CLEAR_SAFE" },
    { ROVER_MCU_OP_SET_POWER, 2u, 2u, ROVER_MCU_CMD_SET_POWER_ARGS, "SET_POWER" },
    { ROVER_MCU_OP_REQUEST_HOUSEKEEPING, 0u, 0u, 0, "REQUEST_HOUSEKEEPING" },
    { ROVER_MCU_OP_SET_HK_PERIOD, 2u, 1u, ROVER_MCU_CMD_SET_HK_PERIOD_ARGS, "SET_HK_PERIOD" },
};

typedef struct {
    uint8_t key_id;
    uint8_t partner_id;
} rover_mcu_key_info_t;

static const rover_mcu_key_info_t ROVER_MCU_KEYS[ROVER_MCU_KEY_COUNT] ROVER_MCU_MAYBE_UNUSED = {
    { 1u, ROVER_MCU_PARTNER_CNSA }, /* CNSA operations key 1 */
    { 2u, ROVER_MCU_PARTNER_CNSA }, /* CNSA operations key 2 (rollover) */
    { 10u, ROVER_MCU_PARTNER_ROSCOSMOS }, /* Roscosmos operations key 1 */
    { 20u, ROVER_MCU_PARTNER_SUPARCO }, /* SUPARCO science key 1 */
    { 30u, ROVER_MCU_PARTNER_NARIT }, /* NARIT science key 1 */
};

/* partner_id may send the commands whose bit (1 << command index) is set in command_mask
 * to robot_id. */
typedef struct {
    uint8_t partner_id;
    uint8_t robot_id;
    uint32_t command_mask;
} rover_mcu_auth_rule_t;

#define ROVER_MCU_AUTH_RULE_COUNT 7u
static const rover_mcu_auth_rule_t ROVER_MCU_AUTH_RULES[ROVER_MCU_AUTH_RULE_COUNT] ROVER_MCU_MAYBE_UNUSED = {
    { ROVER_MCU_PARTNER_CNSA, ROVER_MCU_ROBOT_ROVER_R1, 0x0000007Fu },
    { ROVER_MCU_PARTNER_CNSA, ROVER_MCU_ROBOT_ROVER_R2, 0x0000007Fu },
    { ROVER_MCU_PARTNER_CNSA, ROVER_MCU_ROBOT_TUBE_SCOUT_T1, 0x0000007Fu },
    { ROVER_MCU_PARTNER_ROSCOSMOS, ROVER_MCU_ROBOT_ROVER_R2, 0x0000007Fu },
    { ROVER_MCU_PARTNER_ROSCOSMOS, ROVER_MCU_ROBOT_TUBE_SCOUT_T1, 0x0000007Fu },
    { ROVER_MCU_PARTNER_SUPARCO, ROVER_MCU_ROBOT_ROVER_R1, 0x00000061u },
    { ROVER_MCU_PARTNER_NARIT, ROVER_MCU_ROBOT_TUBE_SCOUT_T1, 0x00000031u },
};

/* Index of opcode in ROVER_MCU_COMMANDS, or -1 if the opcode is unknown. */
static inline int rover_mcu_command_index(uint16_t opcode)
{
    for (int i = 0; i < (int)ROVER_MCU_CMD_COUNT; ++i) {
        if (ROVER_MCU_COMMANDS[i].opcode == opcode) {
            return i;
        }
    }
    return -1;
}

/* Partner id holding key_id, or 0 if key_id is not in the dictionary. */
static inline uint8_t rover_mcu_key_partner(uint8_t key_id)
{
    for (unsigned i = 0; i < ROVER_MCU_KEY_COUNT; ++i) {
        if (ROVER_MCU_KEYS[i].key_id == key_id) {
            return ROVER_MCU_KEYS[i].partner_id;
        }
    }
    return 0;
}

/* 1 if partner_id may send command index cmd_index to robot_id, else 0. */
static inline int rover_mcu_is_authorized(uint8_t partner_id, uint8_t robot_id, int cmd_index)
{
    if (cmd_index < 0 || cmd_index >= 32) {
        return 0;
    }
    for (unsigned i = 0; i < ROVER_MCU_AUTH_RULE_COUNT; ++i) {
        const rover_mcu_auth_rule_t *rule = &ROVER_MCU_AUTH_RULES[i];
        if (rule->partner_id == partner_id && rule->robot_id == robot_id &&
            ((rule->command_mask >> (unsigned)cmd_index) & 1u) != 0u) {
            return 1;
        }
    }
    return 0;
}

#endif /* ROVER_MCU_DICTIONARY_H */
