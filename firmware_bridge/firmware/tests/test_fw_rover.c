/* End-to-end tests of src/fw_rover.c: frames in, framed TM out (PROTOCOL.md section 3). */
#include <string.h>

#include "fw_bytes.h"
#include "fw_deframer.h"
#include "fw_rover.h"
#include "fw_space_packet.h"
#include "fw_test.h"
#include "test_util.h"

#define MAX_TM 64

typedef struct {
    uint16_t apid;
    uint16_t count; /* packet sequence count */
    size_t len;
    uint8_t data[FW_TM_MAX_DATA_LEN];
    uint8_t packet[FW_SP_HEADER_LEN + FW_TM_MAX_DATA_LEN];
    size_t packet_len;
} tm_packet;

typedef struct {
    fw_deframer deframer;
    uint8_t storage[FW_DEFRAMER_STORAGE_LEN(128)];
    tm_packet tm[MAX_TM];
    size_t count;
    size_t bad; /* frames or packets that did not decode */
} capture;

static capture g_cap;
static fw_rover g_rover;

static void capture_write(void *ctx, const uint8_t *frame, size_t len)
{
    capture *c = ctx;
    fw_deframe_event ev;
    size_t taken = 0;
    while (taken < len) {
        taken += fw_deframer_push(&c->deframer, frame + taken, len - taken);
        while (fw_deframer_poll(&c->deframer, &ev) != FW_DEFRAME_NEED_MORE) {
            fw_sp_header h;
            const uint8_t *data = NULL;
            size_t data_len = 0;
            if (ev.status != FW_DEFRAME_FRAME ||
                fw_sp_decode(ev.payload, (size_t)ev.size, &h, &data, &data_len) != FW_SP_OK ||
                c->count >= MAX_TM || data_len > FW_TM_MAX_DATA_LEN) {
                c->bad++;
                continue;
            }
            tm_packet *t = &c->tm[c->count++];
            t->apid = h.apid;
            t->count = h.sequence_count;
            t->len = data_len;
            memcpy(t->data, data, data_len);
            t->packet_len = (size_t)ev.size;
            memcpy(t->packet, ev.payload, t->packet_len);
        }
    }
}

/* A rover_r1 (or `robot_id`) with every dictionary test key, started at t = 0. */
static fw_rover *boot(uint8_t robot_id, float soc_pct)
{
    memset(&g_cap, 0, sizeof g_cap);
    fw_deframer_init(&g_cap.deframer, g_cap.storage, sizeof g_cap.storage, 128, 1, true);
    fw_rover_config config = fw_rover_default_config();
    config.robot_id = robot_id;
    config.initial_soc_pct = soc_pct;
    CHECK(fw_rover_init(&g_rover, &config, capture_write, &g_cap));
    for (unsigned i = 0; i < ROVER_MCU_KEY_COUNT; ++i) {
        uint8_t key[32];
        test_key(ROVER_MCU_KEYS[i].key_id, key);
        CHECK(fw_rover_add_key(&g_rover, ROVER_MCU_KEYS[i].key_id, key));
    }
    fw_rover_start(&g_rover, 0);
    return &g_rover;
}

static void send(fw_rover *r, uint8_t key_id, uint32_t seq, uint16_t opcode, const uint8_t *args,
                 size_t args_len)
{
    uint8_t frame[128];
    const size_t n = test_tc_frame(frame, sizeof frame, (uint16_t)seq, key_id, r->config.robot_id,
                                   seq, opcode, args, args_len, NULL);
    fw_rover_receive(r, frame, n);
}

static const tm_packet *last(uint16_t apid)
{
    for (size_t i = g_cap.count; i > 0; --i) {
        if (g_cap.tm[i - 1].apid == apid) {
            return &g_cap.tm[i - 1];
        }
    }
    return NULL;
}

static size_t count_apid(uint16_t apid)
{
    size_t n = 0;
    for (size_t i = 0; i < g_cap.count; ++i) {
        n += g_cap.tm[i].apid == apid ? 1u : 0u;
    }
    return n;
}

static uint8_t ack_status(const tm_packet *t) { return t->data[ROVER_MCU_ACK_STATUS_OFFSET]; }
static uint16_t event_id(const tm_packet *t) { return fw_get_u16(t->data + ROVER_MCU_EVT_ID_OFFSET); }

static void boot_event_first(void)
{
    boot(1, 80.0f);
    CHECK_EQ_U(g_cap.count, 1);
    const tm_packet *t = &g_cap.tm[0];
    CHECK_EQ_U(t->apid, ROVER_MCU_APID_EVENT);
    CHECK_EQ_U(t->count, 0);
    CHECK_EQ_U(t->len, ROVER_MCU_EVT_BOOT_LEN);
    CHECK_EQ_U(event_id(t), ROVER_MCU_EVT_BOOT_ID);
    CHECK_EQ_U(t->data[ROVER_MCU_EVT_SEVERITY_OFFSET], ROVER_MCU_SEVERITY_INFO);
    CHECK_EQ_U(fw_get_u16(t->data + ROVER_MCU_EVT_BOOT_FIRMWARE_VERSION_OFFSET),
               FW_ROVER_FIRMWARE_VERSION);
    CHECK_EQ_U(fw_get_u16(t->data + ROVER_MCU_EVT_BOOT_DICTIONARY_VERSION_OFFSET), 1);
}

/* PROTOCOL.md 2.3 and 7.1: the NOOP test frame at uptime 1234 gives exactly the example ack. */
static void protocol_noop_ack_bytes(void)
{
    fw_rover *r = boot(1, 80.0f);
    fw_rover_tick(r, 1000); /* first housekeeping */
    fw_rover_tick(r, 1234);
    uint8_t frame[64];
    const size_t n = test_hex("1A CF FC 1D 00 1E 11 00 C0 06 00 17 01 01 00 00 00 02 00 01"
                              "07 1F 68 9C 96 28 72 58 E4 0C E4 5D 45 C7 3D 76 1A 6F",
                              frame, sizeof frame);
    fw_rover_receive(r, frame, n);
    uint8_t expected[32];
    const size_t e = test_hex("01 01 C0 00 00 13 00 00 04 D2 01 01 00 00 00 02 00 01 00 00"
                              "00 00 00 00 00 02",
                              expected, sizeof expected);
    const tm_packet *ack = last(ROVER_MCU_APID_ACK);
    CHECK(ack != NULL);
    if (ack != NULL) {
        CHECK_EQ_U(ack->packet_len, e);
        CHECK(memcmp(ack->packet, expected, e) == 0);
    }
    CHECK_EQ_U(r->commands_accepted, 1);
}

static void protocol_drive_runs_and_ends(void)
{
    fw_rover *r = boot(1, 80.0f);
    uint8_t frame[64];
    const size_t n = test_hex("1A CF FC 1D 00 2A 11 00 C0 05 00 23"
                              "01 01 00 00 00 01 00 10 3E 80 00 00 BE 80 00 00 00 00 05 DC"
                              "87 1D 7C 6C 06 91 1F 62 62 75 9D FF 2C BF 43 F0 D1 53",
                              frame, sizeof frame);
    /* byte by byte: chunking must not matter */
    for (size_t i = 0; i < n; ++i) {
        fw_rover_receive(r, frame + i, 1);
    }
    const tm_packet *ack = last(ROVER_MCU_APID_ACK);
    CHECK(ack != NULL && ack_status(ack) == ROVER_MCU_ACK_STATUS_ACCEPTED);
    CHECK(ack != NULL && fw_get_u32(ack->data + ROVER_MCU_ACK_HIGHEST_SEQ_OFFSET) == 1);
    CHECK_EQ_U(r->mode, ROVER_MCU_MODE_DRIVING);
    fw_rover_tick(r, 700);
    CHECK(r->motor.left_mps > 0.2f && r->motor.right_mps < -0.2f);
    CHECK(r->power.bus_current_a > 3.0f);
    fw_rover_tick(r, 1500);
    const tm_packet *done = last(ROVER_MCU_APID_EVENT);
    CHECK(done != NULL && event_id(done) == ROVER_MCU_EVT_DRIVE_DONE_ID);
    CHECK(done != NULL && done->data[ROVER_MCU_EVT_DRIVE_DONE_STOPPED_EARLY_OFFSET] == 0);
    CHECK_EQ_U(r->mode, ROVER_MCU_MODE_IDLE);
    CHECK(r->motor.odometer_m < 0.01); /* turning in place */
}

static void duplicate_gets_stored_ack_and_no_execution(void)
{
    fw_rover *r = boot(1, 80.0f);
    const uint8_t args[2] = {ROVER_MCU_RAIL_CAMERA, 1};
    send(r, 1, 5, ROVER_MCU_OP_SET_POWER, args, 2);
    CHECK_EQ_U(count_apid(ROVER_MCU_APID_ACK), 1);
    CHECK_EQ_U(last(ROVER_MCU_APID_EVENT)->data[ROVER_MCU_EVT_RAIL_SWITCHED_RAIL_OFFSET],
               ROVER_MCU_RAIL_CAMERA);
    /* the ack comes before the event the command caused */
    CHECK_EQ_U(g_cap.tm[1].apid, ROVER_MCU_APID_ACK);
    CHECK_EQ_U(g_cap.tm[2].apid, ROVER_MCU_APID_EVENT);
    r->rails = ROVER_MCU_RAIL_RADIO_MASK; /* so that a re-execution would show */
    const size_t before = g_cap.count;
    send(r, 1, 5, ROVER_MCU_OP_SET_POWER, args, 2);
    CHECK_EQ_U(g_cap.count, before + 1);
    const tm_packet *ack = last(ROVER_MCU_APID_ACK);
    CHECK_EQ_U(ack_status(ack), ROVER_MCU_ACK_STATUS_EXECUTED);
    CHECK_EQ_U(ack->data[ROVER_MCU_ACK_FLAGS_OFFSET], ROVER_MCU_ACK_FLAG_REPEAT_MASK);
    CHECK_EQ_U(fw_get_u16(ack->data + ROVER_MCU_ACK_OPCODE_OFFSET), ROVER_MCU_OP_SET_POWER);
    CHECK_EQ_U(r->rails, ROVER_MCU_RAIL_RADIO_MASK);
    CHECK_EQ_U(r->commands_duplicate, 1);
    CHECK_EQ_U(r->commands_accepted, 1);
    CHECK_EQ_U(r->commands_rejected, 0);
}

static void replay_below_window_rejected(void)
{
    fw_rover *r = boot(1, 80.0f);
    send(r, 1, 100, ROVER_MCU_OP_NOOP, NULL, 0);
    send(r, 1, 36, ROVER_MCU_OP_NOOP, NULL, 0);
    const tm_packet *ack = last(ROVER_MCU_APID_ACK);
    CHECK_EQ_U(ack_status(ack), ROVER_MCU_ACK_STATUS_REPLAY);
    CHECK_EQ_U(fw_get_u32(ack->data + ROVER_MCU_ACK_HIGHEST_SEQ_OFFSET), 100);
    const tm_packet *ev = last(ROVER_MCU_APID_EVENT);
    CHECK_EQ_U(event_id(ev), ROVER_MCU_EVT_CMD_REJECTED_ID);
    CHECK_EQ_U(ev->data[ROVER_MCU_EVT_CMD_REJECTED_STATUS_OFFSET], ROVER_MCU_ACK_STATUS_REPLAY);
    send(r, 1, 0, ROVER_MCU_OP_NOOP, NULL, 0);
    CHECK_EQ_U(ack_status(last(ROVER_MCU_APID_ACK)), ROVER_MCU_ACK_STATUS_REPLAY);
    send(r, 1, 37, ROVER_MCU_OP_NOOP, NULL, 0);
    CHECK_EQ_U(ack_status(last(ROVER_MCU_APID_ACK)), ROVER_MCU_ACK_STATUS_EXECUTED);
    CHECK_EQ_U(r->commands_rejected, 2);
    CHECK_EQ_U(r->last_rejected_reason, ROVER_MCU_ACK_STATUS_REPLAY);
}

static void forged_and_altered_commands_never_execute(void)
{
    fw_rover *r = boot(1, 80.0f);
    uint8_t args[12];
    fw_put_f32(args, 0.3f);
    fw_put_f32(args + 4, 0.3f);
    fw_put_u32(args + 8, 5000);
    /* forged: signed with a key that is not key 1's */
    uint8_t wrong_key[32];
    test_key(2, wrong_key);
    uint8_t frame[128];
    size_t n = test_tc_frame(frame, sizeof frame, 0, 1, 1, 1, ROVER_MCU_OP_DRIVE, args, 12,
                             wrong_key);
    fw_rover_receive(r, frame, n);
    CHECK_EQ_U(ack_status(last(ROVER_MCU_APID_ACK)), ROVER_MCU_ACK_STATUS_BAD_MAC);
    /* altered: a correctly signed DRIVE with one argument bit changed, CRC fixed up */
    n = test_tc_frame(frame, sizeof frame, 1, 1, 1, 1, ROVER_MCU_OP_DRIVE, args, 12, NULL);
    uint8_t altered[128];
    memcpy(altered, frame, n);
    altered[6 + 6 + 8] ^= 0x01u;
    const size_t n2 = fw_frame_encode(altered + 6, n - 8, frame, sizeof frame);
    fw_rover_receive(r, frame, n2);
    CHECK_EQ_U(ack_status(last(ROVER_MCU_APID_ACK)), ROVER_MCU_ACK_STATUS_BAD_MAC);
    /* window unchanged by both, and nothing moved */
    CHECK_EQ_U(fw_key_table_find(&r->keys, 1)->window.highest, 0);
    fw_rover_tick(r, 500);
    CHECK(!fw_motor_moving(&r->motor));
    CHECK_EQ_U(r->mode, ROVER_MCU_MODE_IDLE);
    CHECK_EQ_U(r->commands_rejected, 2);
    CHECK_EQ_U(r->commands_accepted, 0);
    /* the genuine command with the same seq is still accepted */
    send(r, 1, 1, ROVER_MCU_OP_DRIVE, args, 12);
    CHECK_EQ_U(ack_status(last(ROVER_MCU_APID_ACK)), ROVER_MCU_ACK_STATUS_ACCEPTED);
}

static void unknown_key_short_packet_and_foreign_packets(void)
{
    fw_rover *r = boot(1, 80.0f);
    uint8_t frame[128];
    size_t n = test_tc_frame(frame, sizeof frame, 0, 99, 1, 1, ROVER_MCU_OP_NOOP, NULL, 0, NULL);
    fw_rover_receive(r, frame, n);
    const tm_packet *ack = last(ROVER_MCU_APID_ACK);
    CHECK_EQ_U(ack_status(ack), ROVER_MCU_ACK_STATUS_UNKNOWN_KEY);
    CHECK_EQ_U(ack->data[ROVER_MCU_ACK_KEY_ID_OFFSET], 99);
    CHECK_EQ_U(fw_get_u32(ack->data + ROVER_MCU_ACK_HIGHEST_SEQ_OFFSET), 0);
    /* a TC with a 7-byte data field: key and seq known, opcode absent */
    uint8_t packet[13] = {0x11, 0x00, 0xC0, 0x00, 0x00, 0x06, 1, 1, 0, 0, 0, 9, 0x00};
    n = fw_frame_encode(packet, sizeof packet, frame, sizeof frame);
    fw_rover_receive(r, frame, n);
    ack = last(ROVER_MCU_APID_ACK);
    CHECK_EQ_U(ack_status(ack), ROVER_MCU_ACK_STATUS_BAD_LENGTH);
    CHECK_EQ_U(fw_get_u16(ack->data + ROVER_MCU_ACK_DETAIL_OFFSET), 24);
    CHECK_EQ_U(fw_get_u16(ack->data + ROVER_MCU_ACK_OPCODE_OFFSET), 0xFFFF);
    CHECK_EQ_U(fw_get_u32(ack->data + ROVER_MCU_ACK_SEQ_OFFSET), 9);
    CHECK_EQ_U(r->last_rejected_opcode, 0xFFFF);
    /* TM type, another APID, segmented, secondary header: dropped without an ack */
    const size_t acks = count_apid(ROVER_MCU_APID_ACK);
    const uint8_t foreign[4][2] = {{0x01, 0x00}, {0x11, 0x01}, {0x19, 0x00}, {0x11, 0x00}};
    for (unsigned i = 0; i < 4; ++i) {
        n = test_tc_frame(frame, sizeof frame, 0, 1, 1, 50 + i, ROVER_MCU_OP_NOOP, NULL, 0, NULL);
        frame[6] = foreign[i][0];
        frame[7] = foreign[i][1];
        if (i == 3) {
            frame[8] = 0x40; /* sequence flags FIRST */
        }
        uint8_t copy[128];
        memcpy(copy, frame + 6, n - 8);
        n = fw_frame_encode(copy, n - 8, frame, sizeof frame);
        fw_rover_receive(r, frame, n);
    }
    CHECK_EQ_U(count_apid(ROVER_MCU_APID_ACK), acks);
    CHECK_EQ_U(r->rx_packets_dropped, 4);
    /* garbage and a bad CRC: counted, no ack */
    n = test_tc_frame(frame, sizeof frame, 0, 1, 1, 60, ROVER_MCU_OP_NOOP, NULL, 0, NULL);
    frame[n - 1] ^= 0xFFu;
    fw_rover_receive(r, (const uint8_t *)"garbage", 7);
    fw_rover_receive(r, frame, n);
    CHECK_EQ_U(count_apid(ROVER_MCU_APID_ACK), acks);
    CHECK_EQ_U(r->rx_frames_bad, 1);
}

static void authorization_and_target(void)
{
    fw_rover *r = boot(1, 80.0f);
    send(r, 20, 1, ROVER_MCU_OP_STOP, NULL, 0); /* SUPARCO: not STOP */
    CHECK_EQ_U(ack_status(last(ROVER_MCU_APID_ACK)), ROVER_MCU_ACK_STATUS_NOT_AUTHORIZED);
    send(r, 20, 1, ROVER_MCU_OP_STOP, NULL, 0); /* duplicate: the stored rejection, repeated */
    const tm_packet *ack = last(ROVER_MCU_APID_ACK);
    CHECK_EQ_U(ack_status(ack), ROVER_MCU_ACK_STATUS_NOT_AUTHORIZED);
    CHECK_EQ_U(ack->data[ROVER_MCU_ACK_FLAGS_OFFSET], ROVER_MCU_ACK_FLAG_REPEAT_MASK);
    send(r, 20, 2, ROVER_MCU_OP_REQUEST_HOUSEKEEPING, NULL, 0);
    CHECK_EQ_U(ack_status(&g_cap.tm[g_cap.count - 2]), ROVER_MCU_ACK_STATUS_EXECUTED);
    CHECK_EQ_U(g_cap.tm[g_cap.count - 1].apid, ROVER_MCU_APID_HOUSEKEEPING);
    send(r, 10, 1, ROVER_MCU_OP_NOOP, NULL, 0); /* ROSCOSMOS may not command rover_r1 */
    CHECK_EQ_U(ack_status(last(ROVER_MCU_APID_ACK)), ROVER_MCU_ACK_STATUS_NOT_AUTHORIZED);
    uint8_t frame[128];
    const size_t n =
        test_tc_frame(frame, sizeof frame, 0, 1, 2, 1, ROVER_MCU_OP_NOOP, NULL, 0, NULL);
    fw_rover_receive(r, frame, n);
    ack = last(ROVER_MCU_APID_ACK);
    CHECK_EQ_U(ack_status(ack), ROVER_MCU_ACK_STATUS_WRONG_TARGET);
    CHECK_EQ_U(fw_get_u16(ack->data + ROVER_MCU_ACK_DETAIL_OFFSET), 2);
    CHECK_EQ_U(r->commands_rejected, 3);
    CHECK_EQ_U(r->commands_duplicate, 1);
}

static void stop_ends_drive_early_after_ack(void)
{
    fw_rover *r = boot(1, 80.0f);
    uint8_t args[12];
    fw_put_f32(args, 0.5f);
    fw_put_f32(args + 4, 0.5f);
    fw_put_u32(args + 8, 60000);
    send(r, 1, 1, ROVER_MCU_OP_DRIVE, args, 12);
    fw_rover_tick(r, 2000);
    send(r, 1, 2, ROVER_MCU_OP_STOP, NULL, 0);
    CHECK_EQ_U(ack_status(&g_cap.tm[g_cap.count - 2]), ROVER_MCU_ACK_STATUS_EXECUTED);
    const tm_packet *done = &g_cap.tm[g_cap.count - 1];
    CHECK_EQ_U(event_id(done), ROVER_MCU_EVT_DRIVE_DONE_ID);
    CHECK_EQ_U(done->data[ROVER_MCU_EVT_DRIVE_DONE_STOPPED_EARLY_OFFSET], 1);
    const float odo = fw_get_f32(done->data + ROVER_MCU_EVT_DRIVE_DONE_ODOMETER_M_OFFSET);
    CHECK(odo > 0.74f && odo < 0.76f);
    fw_rover_tick(r, 4000);
    CHECK(!fw_motor_moving(&r->motor));
    CHECK_EQ_U(r->mode, ROVER_MCU_MODE_IDLE);
}

static void out_of_range_argument_rejected(void)
{
    fw_rover *r = boot(1, 80.0f);
    uint8_t args[12];
    fw_put_f32(args, 0.1f);
    fw_put_u32(args + 4, 0x7FC00000u); /* NaN */
    fw_put_u32(args + 8, 1000);
    send(r, 1, 1, ROVER_MCU_OP_DRIVE, args, 12);
    const tm_packet *ack = last(ROVER_MCU_APID_ACK);
    CHECK_EQ_U(ack_status(ack), ROVER_MCU_ACK_STATUS_ARG_OUT_OF_RANGE);
    CHECK_EQ_U(fw_get_u16(ack->data + ROVER_MCU_ACK_DETAIL_OFFSET), 1);
    CHECK_EQ_U(r->mode, ROVER_MCU_MODE_IDLE);
    send(r, 1, 2, ROVER_MCU_OP_DRIVE, args, 11);
    ack = last(ROVER_MCU_APID_ACK);
    CHECK_EQ_U(ack_status(ack), ROVER_MCU_ACK_STATUS_BAD_LENGTH);
    CHECK_EQ_U(fw_get_u16(ack->data + ROVER_MCU_ACK_DETAIL_OFFSET), 36);
}

static void periodic_housekeeping(void)
{
    fw_rover *r = boot(1, 80.0f);
    fw_rover_tick(r, 999);
    CHECK_EQ_U(count_apid(ROVER_MCU_APID_HOUSEKEEPING), 0);
    fw_rover_tick(r, 1000);
    CHECK_EQ_U(count_apid(ROVER_MCU_APID_HOUSEKEEPING), 1);
    const tm_packet *hk = last(ROVER_MCU_APID_HOUSEKEEPING);
    CHECK_EQ_U(hk->len, ROVER_MCU_HK_LEN);
    CHECK_EQ_U(fw_get_u32(hk->data + ROVER_MCU_HK_UPTIME_MS_OFFSET), 1000);
    const float v = fw_get_f32(hk->data + ROVER_MCU_HK_BATTERY_V_OFFSET);
    CHECK(v > 30.0f && v < 30.1f); /* 21 + 11.4 * 0.8 - 0.65 A * 0.1 ohm */
    CHECK_EQ_U(hk->data[ROVER_MCU_HK_RAILS_OFFSET], ROVER_MCU_RAIL_RADIO_MASK);
    CHECK_EQ_U(fw_get_u16(hk->data + ROVER_MCU_HK_HK_PERIOD_MS_OFFSET), 1000);
    CHECK_EQ_U(fw_get_u16(hk->data + ROVER_MCU_HK_LAST_REJECTED_OPCODE_OFFSET), 0xFFFF);
    CHECK_EQ_U(fw_get_u16(hk->data + ROVER_MCU_HK_TM_PACKETS_SENT_OFFSET), 2); /* BOOT, this */
    uint8_t args[2];
    fw_put_u16(args, 200);
    send(r, 1, 1, ROVER_MCU_OP_SET_HK_PERIOD, args, 2); /* at uptime 1000 */
    fw_rover_tick(r, 1199);
    CHECK_EQ_U(count_apid(ROVER_MCU_APID_HOUSEKEEPING), 1);
    fw_rover_tick(r, 1200);
    fw_rover_tick(r, 1400);
    CHECK_EQ_U(count_apid(ROVER_MCU_APID_HOUSEKEEPING), 3);
    CHECK_EQ_U(last(ROVER_MCU_APID_HOUSEKEEPING)->count, 2);
    /* a long stall sends one packet, not a burst */
    fw_rover_tick(r, 5000);
    CHECK_EQ_U(count_apid(ROVER_MCU_APID_HOUSEKEEPING), 4);
}

static void brownout_enters_safe_mode(void)
{
    fw_rover *r = boot(1, 5.0f);
    const uint8_t args[2] = {ROVER_MCU_RAIL_HEATER, 1};
    send(r, 1, 1, ROVER_MCU_OP_SET_POWER, args, 2);
    fw_rover_tick(r, 10);
    CHECK_EQ_U(r->mode, ROVER_MCU_MODE_SAFE);
    CHECK_EQ_U(r->rails, ROVER_MCU_RAIL_RADIO_MASK);
    bool saw_brownout = false;
    bool saw_limit = false;
    for (size_t i = 0; i < g_cap.count; ++i) {
        if (g_cap.tm[i].apid == ROVER_MCU_APID_EVENT) {
            saw_brownout = saw_brownout || event_id(&g_cap.tm[i]) == ROVER_MCU_EVT_BROWNOUT_ID;
            saw_limit = saw_limit || event_id(&g_cap.tm[i]) == ROVER_MCU_EVT_LIMIT_VIOLATION_ID;
        }
    }
    CHECK(saw_brownout);
    CHECK(saw_limit);
    uint8_t drive[12];
    fw_put_f32(drive, 0.1f);
    fw_put_f32(drive + 4, 0.1f);
    fw_put_u32(drive + 8, 1000);
    send(r, 1, 2, ROVER_MCU_OP_DRIVE, drive, 12);
    const tm_packet *ack = last(ROVER_MCU_APID_ACK);
    CHECK_EQ_U(ack_status(ack), ROVER_MCU_ACK_STATUS_EXECUTION_FAILED);
    CHECK_EQ_U(fw_get_u16(ack->data + ROVER_MCU_ACK_DETAIL_OFFSET), 1);
    send(r, 1, 3, ROVER_MCU_OP_CLEAR_SAFE, NULL, 0);
    ack = last(ROVER_MCU_APID_ACK);
    CHECK_EQ_U(ack_status(ack), ROVER_MCU_ACK_STATUS_EXECUTION_FAILED);
    CHECK_EQ_U(fw_get_u16(ack->data + ROVER_MCU_ACK_DETAIL_OFFSET), 2);
    CHECK_EQ_U(r->mode, ROVER_MCU_MODE_SAFE);
}

static void tm_sequence_counts_per_apid(void)
{
    boot(1, 80.0f);
    fw_rover *r = &g_rover;
    for (uint32_t s = 1; s <= 5; ++s) {
        send(r, 1, s, ROVER_MCU_OP_NOOP, NULL, 0);
    }
    fw_rover_tick(r, 1000);
    CHECK_EQ_U(last(ROVER_MCU_APID_ACK)->count, 4);
    CHECK_EQ_U(last(ROVER_MCU_APID_EVENT)->count, 0);
    CHECK_EQ_U(last(ROVER_MCU_APID_HOUSEKEEPING)->count, 0);
    CHECK_EQ_U(g_cap.bad, 0);
}

static float hk_f32(const tm_packet *hk, size_t offset) { return fw_get_f32(hk->data + offset); }

/* Housekeeping shows a rail's current as soon as the rail switches, not one tick later. */
static void bus_current_follows_rails_at_once(void)
{
    const fw_power_params pp = fw_power_default_params();
    const float radio = pp.base_current_a + pp.rail_current_a[ROVER_MCU_RAIL_RADIO];
    fw_rover *r = boot(1, 80.0f);
    send(r, 1, 1, ROVER_MCU_OP_REQUEST_HOUSEKEEPING, NULL, 0); /* at uptime 0, no step yet */
    const tm_packet *hk = last(ROVER_MCU_APID_HOUSEKEEPING);
    CHECK(hk != NULL);
    CHECK(hk_f32(hk, ROVER_MCU_HK_BUS_CURRENT_A_OFFSET) == radio);
    const float idle_v = hk_f32(hk, ROVER_MCU_HK_BATTERY_V_OFFSET);
    const uint8_t on[2] = {ROVER_MCU_RAIL_HEATER, 1};
    send(r, 1, 2, ROVER_MCU_OP_SET_POWER, on, 2);
    send(r, 1, 3, ROVER_MCU_OP_REQUEST_HOUSEKEEPING, NULL, 0);
    hk = last(ROVER_MCU_APID_HOUSEKEEPING);
    CHECK(hk_f32(hk, ROVER_MCU_HK_BUS_CURRENT_A_OFFSET) ==
          radio + pp.rail_current_a[ROVER_MCU_RAIL_HEATER]);
    CHECK(hk_f32(hk, ROVER_MCU_HK_BATTERY_V_OFFSET) < idle_v); /* sag over the resistance */
    const uint8_t off[2] = {ROVER_MCU_RAIL_HEATER, 0};
    send(r, 1, 4, ROVER_MCU_OP_SET_POWER, off, 2);
    send(r, 1, 5, ROVER_MCU_OP_REQUEST_HOUSEKEEPING, NULL, 0);
    hk = last(ROVER_MCU_APID_HOUSEKEEPING);
    CHECK(hk_f32(hk, ROVER_MCU_HK_BUS_CURRENT_A_OFFSET) == radio);
    CHECK(hk_f32(hk, ROVER_MCU_HK_BATTERY_V_OFFSET) == idle_v);
    CHECK_EQ_U(fw_get_u32(hk->data + ROVER_MCU_HK_UPTIME_MS_OFFSET), 0);
}

const fw_test_case rover_cases[] = {
    {"rover/boot_event_first", boot_event_first},
    {"rover/protocol_noop_ack_bytes", protocol_noop_ack_bytes},
    {"rover/protocol_drive_runs_and_ends", protocol_drive_runs_and_ends},
    {"rover/duplicate_gets_stored_ack_and_no_execution",
     duplicate_gets_stored_ack_and_no_execution},
    {"rover/replay_below_window_rejected", replay_below_window_rejected},
    {"rover/forged_and_altered_commands_never_execute", forged_and_altered_commands_never_execute},
    {"rover/unknown_key_short_packet_and_foreign_packets",
     unknown_key_short_packet_and_foreign_packets},
    {"rover/authorization_and_target", authorization_and_target},
    {"rover/stop_ends_drive_early_after_ack", stop_ends_drive_early_after_ack},
    {"rover/out_of_range_argument_rejected", out_of_range_argument_rejected},
    {"rover/periodic_housekeeping", periodic_housekeeping},
    {"rover/brownout_enters_safe_mode", brownout_enters_safe_mode},
    {"rover/tm_sequence_counts_per_apid", tm_sequence_counts_per_apid},
    {"rover/bus_current_follows_rails_at_once", bus_current_follows_rails_at_once},
};
const size_t rover_count = sizeof rover_cases / sizeof rover_cases[0];
