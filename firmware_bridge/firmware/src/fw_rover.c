#include "fw_rover.h"

#include <string.h>

#include "fw_bytes.h"
#include "fw_command.h"
#include "fw_space_packet.h"

/* Housekeeping points with red limits, in the order of in_red[] (PROTOCOL.md 7.2). */
enum { HK_POINT_BATTERY_V = 3, HK_POINT_SOC = 4, HK_POINT_BUS_CURRENT = 5, HK_POINT_TEMP = 9 };

#define DRIVE_FAILED_SAFE_MODE 1u
#define CLEAR_SAFE_FAILED_BATTERY_LOW 2u

fw_rover_config fw_rover_default_config(void)
{
    fw_rover_config c;
    memset(&c, 0, sizeof c);
    c.robot_id = ROVER_MCU_ROBOT_ROVER_R1;
    c.reset_cause = ROVER_MCU_RESET_CAUSE_POWER_ON;
    c.initial_rails = ROVER_MCU_RAIL_RADIO_MASK;
    c.initial_soc_pct = 80.0f;
    c.power = fw_power_default_params();
    c.motor.max_accel_mps2 = 0.5f;
    return c;
}

bool fw_rover_init(fw_rover *r, const fw_rover_config *config, fw_rover_write_fn write,
                   void *write_ctx)
{
    memset(r, 0, sizeof *r);
    if (config->robot_id == 0u || write == NULL ||
        !(config->motor.max_accel_mps2 > 0.0f) || !(config->power.capacity_ah > 0.0f)) {
        return false;
    }
    r->config = *config;
    r->write = write;
    r->write_ctx = write_ctx;
    fw_key_table_init(&r->keys);
    if (!fw_deframer_init(&r->deframer, r->deframer_storage, sizeof r->deframer_storage,
                          FW_ROVER_MAX_FRAME_PAYLOAD, 1, true)) {
        return false;
    }
    fw_motor_init(&r->motor, &config->motor);
    fw_power_init(&r->power, &config->power, config->initial_soc_pct);
    r->hk_period_ms = FW_ROVER_DEFAULT_HK_PERIOD_MS;
    r->mode = ROVER_MCU_MODE_IDLE;
    r->rails = (uint8_t)(config->initial_rails & ((1u << ROVER_MCU_RAIL_COUNT) - 1u));
    fw_power_step(&r->power, 0u, r->rails, 0.0f, 0.0f); /* the initial rails' load, no time */
    r->last_rejected_reason = ROVER_MCU_ACK_STATUS_EXECUTED;
    r->last_rejected_opcode = ROVER_MCU_NO_OPCODE;
    return true;
}

bool fw_rover_add_key(fw_rover *r, uint8_t key_id, const uint8_t key[ROVER_MCU_KEY_LEN])
{
    return fw_key_table_add(&r->keys, key_id, key);
}

/* ---- TM output ----------------------------------------------------------------------------- */

static void send_now(fw_rover *r, uint16_t apid, const uint8_t *data, size_t len)
{
    uint8_t packet[FW_SP_HEADER_LEN + FW_TM_MAX_DATA_LEN];
    uint8_t frame[FW_FRAME_OVERHEAD + sizeof packet];
    const unsigned index = (unsigned)(apid - ROVER_MCU_APID_ACK);
    const fw_sp_header h = {
        .version = 0,
        .packet_type = FW_SP_TYPE_TM,
        .secondary_header = false,
        .apid = apid,
        .sequence_flags = FW_SP_SEQ_UNSEGMENTED,
        .sequence_count = r->tm_seq[index],
        .data_length = 0, /* set by fw_sp_encode */
    };
    size_t packet_len = 0;
    if (fw_sp_encode(&h, data, len, packet, sizeof packet, &packet_len) != FW_SP_OK) {
        return;
    }
    const size_t frame_len = fw_frame_encode(packet, packet_len, frame, sizeof frame);
    r->tm_seq[index] = (uint16_t)((r->tm_seq[index] + 1u) % FW_SP_SEQ_COUNT_MODULUS);
    r->tm_packets_sent++;
    r->write(r->write_ctx, frame, frame_len);
}

/* Send, or hold until the current command's ack is out. */
static void send_tm(fw_rover *r, uint16_t apid, const uint8_t *data, size_t len)
{
    if (r->defer_tm && r->deferred_count < FW_ROVER_DEFERRED_MAX) {
        fw_deferred_tm *d = &r->deferred[r->deferred_count++];
        d->apid = apid;
        d->len = (uint16_t)len;
        memcpy(d->data, data, len);
        return;
    }
    send_now(r, apid, data, len);
}

static void send_event(fw_rover *r, const uint8_t *data, size_t len)
{
    send_tm(r, ROVER_MCU_APID_EVENT, data, len);
}

static void flush_deferred(fw_rover *r)
{
    r->defer_tm = false;
    for (size_t i = 0; i < r->deferred_count; ++i) {
        send_now(r, r->deferred[i].apid, r->deferred[i].data, r->deferred[i].len);
    }
    r->deferred_count = 0;
}

void fw_rover_housekeeping(const fw_rover *r, fw_housekeeping *hk)
{
    hk->uptime_ms = r->uptime_ms;
    hk->robot_id = r->config.robot_id;
    hk->mode = r->mode;
    hk->battery_v = r->power.battery_v;
    hk->battery_soc_pct = fw_power_soc_pct(&r->power);
    hk->bus_current_a = r->power.bus_current_a;
    hk->left_wheel_mps = r->motor.left_mps;
    hk->right_wheel_mps = r->motor.right_mps;
    hk->odometer_m = (float)r->motor.odometer_m;
    hk->board_temp_c = r->power.board_temp_c;
    hk->rails = r->rails;
    hk->hk_period_ms = r->hk_period_ms;
    hk->commands_accepted = r->commands_accepted;
    hk->commands_rejected = r->commands_rejected;
    hk->commands_duplicate = r->commands_duplicate;
    hk->last_rejected_reason = r->last_rejected_reason;
    hk->last_rejected_opcode = r->last_rejected_opcode;
    hk->last_command_seq = r->last_command_seq;
    hk->rx_frames_ok = r->rx_frames_ok;
    hk->rx_frames_bad = r->rx_frames_bad;
    hk->rx_packets_dropped = r->rx_packets_dropped;
    hk->tm_packets_sent = r->tm_packets_sent;
}

static void send_housekeeping(fw_rover *r)
{
    fw_housekeeping hk;
    uint8_t data[ROVER_MCU_HK_LEN];
    fw_rover_housekeeping(r, &hk);
    hk.tm_packets_sent = (uint16_t)(hk.tm_packets_sent + 1u); /* this packet included */
    fw_tm_encode_housekeeping(&hk, data);
    send_tm(r, ROVER_MCU_APID_HOUSEKEEPING, data, sizeof data);
}

/* ---- Effects shared by commands and faults ------------------------------------------------- */

static void end_drive(fw_rover *r, bool stopped_early)
{
    uint8_t ev[ROVER_MCU_EVT_DRIVE_DONE_LEN];
    send_event(r, ev,
               fw_tm_event_drive_done(ev, r->uptime_ms, (float)r->motor.odometer_m,
                                      stopped_early));
    if (r->mode == ROVER_MCU_MODE_DRIVING) {
        r->mode = ROVER_MCU_MODE_IDLE;
    }
}

/* Bus current and voltage for the present load, without advancing time: a rail switched now
 * shows in the next housekeeping even if it goes out in the same millisecond. */
static void refresh_power(fw_rover *r)
{
    fw_power_step(&r->power, 0u, r->rails, r->motor.left_mps, r->motor.right_mps);
}

static void set_rail(fw_rover *r, uint8_t rail, bool on)
{
    const uint8_t mask = (uint8_t)(1u << rail);
    const uint8_t rails = on ? (uint8_t)(r->rails | mask) : (uint8_t)(r->rails & ~mask);
    if (rails == r->rails) {
        return;
    }
    r->rails = rails;
    refresh_power(r);
    uint8_t ev[ROVER_MCU_EVT_RAIL_SWITCHED_LEN];
    send_event(r, ev, fw_tm_event_rail_switched(ev, r->uptime_ms, rail, on));
}

static void brownout(fw_rover *r)
{
    uint8_t ev[ROVER_MCU_EVT_BROWNOUT_LEN];
    send_event(r, ev, fw_tm_event_brownout(ev, r->uptime_ms, r->power.battery_v));
    if (r->motor.driving) {
        fw_motor_stop(&r->motor);
        end_drive(r, true);
    } else {
        fw_motor_stop(&r->motor);
    }
    for (uint8_t rail = 0; rail < ROVER_MCU_RAIL_COUNT; ++rail) {
        if (rail != ROVER_MCU_RAIL_RADIO) {
            set_rail(r, rail, false);
        }
    }
    r->mode = ROVER_MCU_MODE_SAFE;
}

/* ---- Command execution (step 10) ----------------------------------------------------------- */

typedef struct {
    uint8_t status;
    uint16_t detail;
    bool send_housekeeping; /* REQUEST_HOUSEKEEPING: right after the ack */
} exec_result;

static exec_result execute(fw_rover *r, uint16_t opcode, const uint8_t *args)
{
    exec_result x = {ROVER_MCU_ACK_STATUS_EXECUTED, 0, false};
    switch (opcode) {
    case ROVER_MCU_OP_NOOP:
        break;
    case ROVER_MCU_OP_DRIVE: {
        if (r->mode == ROVER_MCU_MODE_SAFE) {
            x.status = ROVER_MCU_ACK_STATUS_EXECUTION_FAILED;
            x.detail = DRIVE_FAILED_SAFE_MODE;
            break;
        }
        const float left = fw_get_f32(args + ROVER_MCU_CMD_DRIVE_ARG_LEFT_MPS_OFFSET);
        const float right = fw_get_f32(args + ROVER_MCU_CMD_DRIVE_ARG_RIGHT_MPS_OFFSET);
        const uint32_t duration = fw_get_u32(args + ROVER_MCU_CMD_DRIVE_ARG_DURATION_MS_OFFSET);
        if (r->motor.driving) {
            end_drive(r, true); /* the new DRIVE (or a 0 ms one: a stop) replaces it */
        }
        if (duration == 0u) {
            fw_motor_stop(&r->motor);
            break; /* a stop: EXECUTED, no motion starts */
        }
        fw_motor_drive(&r->motor, left, right, duration);
        r->mode = ROVER_MCU_MODE_DRIVING;
        x.status = ROVER_MCU_ACK_STATUS_ACCEPTED;
        break;
    }
    case ROVER_MCU_OP_STOP:
        if (r->motor.driving) {
            fw_motor_stop(&r->motor);
            end_drive(r, true);
        } else {
            fw_motor_stop(&r->motor);
        }
        break;
    case ROVER_MCU_OP_CLEAR_SAFE:
        if (r->power.battery_v < ROVER_MCU_HK_BATTERY_V_YELLOW_LOW) {
            x.status = ROVER_MCU_ACK_STATUS_EXECUTION_FAILED;
            x.detail = CLEAR_SAFE_FAILED_BATTERY_LOW;
        } else if (r->mode == ROVER_MCU_MODE_SAFE) {
            r->mode = ROVER_MCU_MODE_IDLE;
        }
        break;
    case ROVER_MCU_OP_SET_POWER:
        set_rail(r, args[ROVER_MCU_CMD_SET_POWER_ARG_RAIL_OFFSET],
                 args[ROVER_MCU_CMD_SET_POWER_ARG_ON_OFFSET] != 0u);
        break;
    case ROVER_MCU_OP_REQUEST_HOUSEKEEPING:
        x.send_housekeeping = true;
        break;
    case ROVER_MCU_OP_SET_HK_PERIOD:
        r->hk_period_ms = fw_get_u16(args + ROVER_MCU_CMD_SET_HK_PERIOD_ARG_PERIOD_MS_OFFSET);
        r->next_hk_ms = r->uptime_ms + r->hk_period_ms;
        break;
    default:
        /* Unreachable: fw_command_check accepted only dictionary opcodes. */
        x.status = ROVER_MCU_ACK_STATUS_UNKNOWN_OPCODE;
        break;
    }
    return x;
}

/* ---- Command handling (PROTOCOL.md section 3) ---------------------------------------------- */

static void send_ack(fw_rover *r, const fw_ack *ack)
{
    uint8_t data[ROVER_MCU_ACK_LEN];
    fw_tm_encode_ack(ack, data);
    send_now(r, ROVER_MCU_APID_ACK, data, sizeof data);
}

/* Send the ack of a non-repeat outcome, count it, and send what it caused after it. */
static void conclude(fw_rover *r, fw_ack *ack, bool send_hk)
{
    ack->uptime_ms = r->uptime_ms;
    ack->robot_id = r->config.robot_id;
    send_ack(r, ack);
    if (ack->status == ROVER_MCU_ACK_STATUS_EXECUTED ||
        ack->status == ROVER_MCU_ACK_STATUS_ACCEPTED) {
        r->commands_accepted++;
    } else {
        r->commands_rejected++;
        r->last_rejected_reason = ack->status;
        r->last_rejected_opcode = ack->opcode;
        uint8_t ev[ROVER_MCU_EVT_CMD_REJECTED_LEN];
        send_now(r, ROVER_MCU_APID_EVENT, ev,
                 fw_tm_event_cmd_rejected(ev, r->uptime_ms, ack->key_id, ack->seq, ack->opcode,
                                          ack->status));
    }
    flush_deferred(r);
    if (send_hk) {
        send_housekeeping(r);
    }
}

static void handle_packet(fw_rover *r, const uint8_t *packet, size_t len)
{
    fw_sp_header h;
    const uint8_t *data = NULL;
    size_t data_len = 0;
    /* Step 0: not a command for us (or not parseable): drop without an ack. */
    if (fw_sp_decode(packet, len, &h, &data, &data_len) != FW_SP_OK ||
        h.packet_type != FW_SP_TYPE_TC || h.apid != ROVER_MCU_APID_COMMAND ||
        h.sequence_flags != FW_SP_SEQ_UNSEGMENTED || h.secondary_header) {
        r->rx_packets_dropped++;
        return;
    }
    fw_ack ack;
    memset(&ack, 0, sizeof ack);
    ack.opcode = ROVER_MCU_NO_OPCODE;
    if (data_len >= ROVER_MCU_TC_SECURITY_HEADER_LEN) {
        ack.key_id = data[ROVER_MCU_TC_KEY_ID_OFFSET];
        ack.seq = fw_get_u32(data + ROVER_MCU_TC_SEQ_OFFSET);
    }
    if (data_len >= ROVER_MCU_TC_ARGS_OFFSET) {
        ack.opcode = fw_get_u16(data + ROVER_MCU_TC_OPCODE_OFFSET);
    }
    fw_key_slot *slot = fw_key_table_find(&r->keys, ack.key_id);
    if (slot != NULL) {
        ack.highest_seq = slot->window.highest;
    }

    /* Step 1: too short for the fixed parts. */
    fw_tc tc;
    if (!fw_tc_split(data, data_len, &tc)) {
        ack.status = ROVER_MCU_ACK_STATUS_BAD_LENGTH;
        ack.detail = ROVER_MCU_TC_FIXED_LEN;
        conclude(r, &ack, false);
        return;
    }
    /* Step 2: key. */
    if (slot == NULL) {
        ack.status = ROVER_MCU_ACK_STATUS_UNKNOWN_KEY;
        ack.highest_seq = 0;
        conclude(r, &ack, false);
        return;
    }
    /* Step 3: MAC. */
    if (!fw_tc_mac_verify(slot, packet, data, data_len)) {
        ack.status = ROVER_MCU_ACK_STATUS_BAD_MAC;
        conclude(r, &ack, false);
        return;
    }
    r->last_command_seq = tc.seq;

    /* Step 4: anti-replay. */
    const fw_replay_verdict verdict = fw_replay_check(&slot->window, tc.seq);
    const fw_stored_ack *stored =
        verdict == FW_REPLAY_DUPLICATE ? fw_key_slot_find_ack(slot, tc.seq) : NULL;
    if (verdict == FW_REPLAY_REPLAY || (verdict == FW_REPLAY_DUPLICATE && stored == NULL)) {
        ack.status = ROVER_MCU_ACK_STATUS_REPLAY;
        conclude(r, &ack, false);
        return;
    }
    if (verdict == FW_REPLAY_DUPLICATE) {
        ack.uptime_ms = r->uptime_ms;
        ack.robot_id = r->config.robot_id;
        ack.opcode = stored->opcode;
        ack.status = stored->status;
        ack.detail = stored->detail;
        ack.flags = ROVER_MCU_ACK_FLAG_REPEAT_MASK;
        send_ack(r, &ack);
        r->commands_duplicate++;
        return;
    }
    fw_replay_accept(&slot->window, tc.seq);
    ack.highest_seq = slot->window.highest;

    /* Steps 5..9, then 10: execute. From here the sequence number is consumed. */
    const fw_check_result check = fw_command_check(&tc, r->config.robot_id, slot->partner_id);
    ack.status = check.status;
    ack.detail = check.detail;
    bool send_hk = false;
    if (check.status == ROVER_MCU_ACK_STATUS_EXECUTED) {
        r->defer_tm = true;
        const exec_result x = execute(r, tc.opcode, tc.args);
        ack.status = x.status;
        ack.detail = x.detail;
        send_hk = x.send_housekeeping;
    }
    fw_key_slot_store_ack(slot, tc.seq, ack.opcode, ack.status, ack.detail);
    conclude(r, &ack, send_hk);
}

void fw_rover_receive(fw_rover *r, const uint8_t *data, size_t len)
{
    fw_deframe_event ev;
    size_t taken = 0;
    while (taken < len) {
        taken += fw_deframer_push(&r->deframer, data + taken, len - taken);
        while (fw_deframer_poll(&r->deframer, &ev) != FW_DEFRAME_NEED_MORE) {
            if (ev.status == FW_DEFRAME_FRAME) {
                r->rx_frames_ok++;
                handle_packet(r, ev.payload, (size_t)ev.size);
            } else if (ev.status == FW_DEFRAME_BAD_CRC || ev.status == FW_DEFRAME_BAD_LENGTH) {
                r->rx_frames_bad++;
            }
        }
    }
}

/* ---- Time ---------------------------------------------------------------------------------- */

/* LIMIT_VIOLATION once each time a point goes from within to beyond a red limit. */
static void check_limits(fw_rover *r)
{
    const struct {
        uint8_t point;
        float value;
        float red_low;
        float red_high;
    } points[FW_ROVER_LIMITED_POINTS] = {
        {HK_POINT_BATTERY_V, r->power.battery_v, ROVER_MCU_HK_BATTERY_V_RED_LOW,
         ROVER_MCU_HK_BATTERY_V_RED_HIGH},
        {HK_POINT_SOC, fw_power_soc_pct(&r->power), ROVER_MCU_HK_BATTERY_SOC_PCT_RED_LOW,
         ROVER_MCU_HK_BATTERY_SOC_PCT_RED_HIGH},
        {HK_POINT_BUS_CURRENT, r->power.bus_current_a, ROVER_MCU_HK_BUS_CURRENT_A_RED_LOW,
         ROVER_MCU_HK_BUS_CURRENT_A_RED_HIGH},
        {HK_POINT_TEMP, r->power.board_temp_c, ROVER_MCU_HK_BOARD_TEMP_C_RED_LOW,
         ROVER_MCU_HK_BOARD_TEMP_C_RED_HIGH},
    };
    for (unsigned i = 0; i < FW_ROVER_LIMITED_POINTS; ++i) {
        const bool red = points[i].value < points[i].red_low || points[i].value > points[i].red_high;
        if (red && !r->in_red[i]) {
            uint8_t ev[ROVER_MCU_EVT_LIMIT_VIOLATION_LEN];
            send_event(r, ev,
                       fw_tm_event_limit_violation(ev, r->uptime_ms, points[i].point,
                                                   points[i].value));
        }
        r->in_red[i] = red;
    }
}

void fw_rover_start(fw_rover *r, uint32_t now_ms)
{
    r->started = true;
    r->boot_ms = now_ms;
    r->last_tick_ms = now_ms;
    r->uptime_ms = 0;
    r->next_hk_ms = r->hk_period_ms;
    uint8_t ev[ROVER_MCU_EVT_BOOT_LEN];
    send_event(r, ev,
               fw_tm_event_boot(ev, 0, r->config.reset_cause, FW_ROVER_FIRMWARE_VERSION));
    check_limits(r);
}

void fw_rover_tick(fw_rover *r, uint32_t now_ms)
{
    if (!r->started) {
        return;
    }
    const uint32_t dt_ms = now_ms - r->last_tick_ms;
    r->last_tick_ms = now_ms;
    r->uptime_ms = now_ms - r->boot_ms;
    if (dt_ms > 0u) {
        if (fw_motor_step(&r->motor, dt_ms)) {
            end_drive(r, false);
        }
        fw_power_step(&r->power, dt_ms, r->rails, r->motor.left_mps, r->motor.right_mps);
        check_limits(r);
        if (r->power.battery_v < ROVER_MCU_HK_BATTERY_V_RED_LOW) {
            if (!r->brownout_latched) {
                r->brownout_latched = true;
                brownout(r);
            }
        } else {
            r->brownout_latched = false;
        }
    }
    if ((int32_t)(r->uptime_ms - r->next_hk_ms) >= 0) {
        send_housekeeping(r);
        r->next_hk_ms += r->hk_period_ms;
        if ((int32_t)(r->uptime_ms - r->next_hk_ms) >= 0) {
            r->next_hk_ms = r->uptime_ms + r->hk_period_ms; /* fell behind: skip, do not burst */
        }
    }
}
