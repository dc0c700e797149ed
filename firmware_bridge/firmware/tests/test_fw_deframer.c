#include <string.h>

#include "fw_deframer.h"
#include "fw_test.h"
#include "test_util.h"

#define MAX_EVENTS 512
#define TEST_MAX_PAYLOAD 300u

typedef struct {
    fw_deframe_status status;
    uint64_t offset;
    uint64_t size;
    uint16_t payload_crc; /* cheap fingerprint of a FRAME's payload */
} recorded_event;

typedef struct {
    recorded_event events[MAX_EVENTS];
    size_t count;
    bool overflow;
} event_log;

static uint8_t g_storage[FW_DEFRAMER_STORAGE_LEN(TEST_MAX_PAYLOAD)];

static uint16_t fingerprint(const uint8_t *p, uint64_t n)
{
    uint16_t h = 0x1234u;
    for (uint64_t i = 0; i < n; ++i) {
        h = (uint16_t)((h * 31u) ^ p[i]);
    }
    return h;
}

static void record(event_log *log, const fw_deframe_event *ev)
{
    if (log->count >= MAX_EVENTS) {
        log->overflow = true;
        return;
    }
    recorded_event *r = &log->events[log->count++];
    r->status = ev->status;
    r->offset = ev->stream_offset;
    r->size = ev->size;
    r->payload_crc = ev->status == FW_DEFRAME_FRAME ? fingerprint(ev->payload, ev->size) : 0;
}

/* Feed `data` in chunks of `chunk` bytes (0 = random 1..40), then flush if `final`. */
static void run(fw_deframer *d, const uint8_t *data, size_t len, size_t chunk, bool final,
                event_log *log, uint32_t seed)
{
    fw_deframe_event ev;
    size_t at = 0;
    while (at < len) {
        size_t n = chunk != 0 ? chunk : 1u + test_rand(&seed) % 40u;
        if (n > len - at) {
            n = len - at;
        }
        size_t taken = 0;
        while (taken < n) {
            const size_t got = fw_deframer_push(d, data + at + taken, n - taken);
            CHECK(got > 0);
            if (got == 0) {
                return;
            }
            taken += got;
            while (fw_deframer_poll(d, &ev) != FW_DEFRAME_NEED_MORE) {
                record(log, &ev);
            }
            CHECK(ev.size < d->capacity);
        }
        at += n;
    }
    if (final) {
        while (fw_deframer_poll_final(d, &ev) != FW_DEFRAME_NEED_MORE) {
            record(log, &ev);
        }
        CHECK_EQ_U(ev.size, 0);
    }
}

static bool logs_equal(const event_log *a, const event_log *b)
{
    if (a->count != b->count || a->overflow || b->overflow) {
        return false;
    }
    for (size_t i = 0; i < a->count; ++i) {
        const recorded_event *x = &a->events[i];
        const recorded_event *y = &b->events[i];
        if (x->status != y->status || x->offset != y->offset || x->size != y->size ||
            x->payload_crc != y->payload_crc) {
            return false;
        }
    }
    return true;
}

static void init(fw_deframer *d)
{
    CHECK(fw_deframer_init(d, g_storage, sizeof g_storage, TEST_MAX_PAYLOAD, 1, true));
}

/* A frame around a Space Packet with `data_len` data bytes; returns the frame length. */
static size_t make_frame(uint8_t *out, size_t cap, size_t data_len, uint8_t fill)
{
    uint8_t packet[TEST_MAX_PAYLOAD];
    const size_t packet_len = 6u + data_len;
    packet[0] = 0x11;
    packet[1] = 0x00;
    packet[2] = 0xC0;
    packet[3] = fill;
    packet[4] = (uint8_t)((data_len - 1u) >> 8);
    packet[5] = (uint8_t)(data_len - 1u);
    for (size_t i = 0; i < data_len; ++i) {
        packet[6 + i] = (uint8_t)(fill + i);
    }
    return fw_frame_encode(packet, packet_len, out, cap);
}

static void bad_arguments_rejected(void)
{
    fw_deframer d;
    CHECK(!fw_deframer_init(&d, g_storage, sizeof g_storage, 0, 1, true));
    CHECK(!fw_deframer_init(&d, g_storage, sizeof g_storage, 70000, 1, true));
    CHECK(!fw_deframer_init(&d, g_storage, sizeof g_storage, 10, 11, true));
    CHECK(!fw_deframer_init(&d, g_storage, sizeof g_storage, 6, 1, true));
    CHECK(!fw_deframer_init(&d, g_storage, 10, TEST_MAX_PAYLOAD, 1, true));
    CHECK(!fw_deframer_init(&d, NULL, 0, TEST_MAX_PAYLOAD, 1, true));
    CHECK(fw_deframer_init(&d, g_storage, sizeof g_storage, 6, 1, false));
    CHECK_EQ_U(d.min_payload, 1);
    CHECK(fw_deframer_init(&d, g_storage, sizeof g_storage, 7, 1, true));
    CHECK_EQ_U(d.min_payload, 7);
}

static void one_frame(void)
{
    fw_deframer d;
    init(&d);
    uint8_t frame[64];
    const size_t n = make_frame(frame, sizeof frame, 10, 0x40);
    CHECK_EQ_U(n, 24);
    fw_deframe_event ev;
    CHECK_EQ_U(fw_deframer_push(&d, frame, n), n);
    CHECK_EQ_U(fw_deframer_poll(&d, &ev), FW_DEFRAME_FRAME);
    CHECK_EQ_U(ev.stream_offset, 0);
    CHECK_EQ_U(ev.size, 16);
    CHECK(memcmp(ev.payload, frame + 6, 16) == 0);
    CHECK_EQ_U(fw_deframer_poll(&d, &ev), FW_DEFRAME_NEED_MORE);
    CHECK_EQ_U(ev.stream_offset, 24);
    const fw_deframer_counters c = fw_deframer_get_counters(&d);
    CHECK_EQ_U(c.frames_ok, 1);
    CHECK_EQ_U(c.frame_bytes, 24);
    CHECK_EQ_U(c.bytes_fed, 24);
}

/* PROTOCOL.md 2.3: the NOOP test frame deframes to its packet. */
static void protocol_noop_frame(void)
{
    fw_deframer d;
    init(&d);
    uint8_t frame[64];
    const size_t n = test_hex("1A CF FC 1D 00 1E 11 00 C0 06 00 17 01 01 00 00 00 02 00 01"
                              "07 1F 68 9C 96 28 72 58 E4 0C E4 5D 45 C7 3D 76 1A 6F",
                              frame, sizeof frame);
    fw_deframe_event ev;
    fw_deframer_push(&d, frame, n);
    CHECK_EQ_U(fw_deframer_poll(&d, &ev), FW_DEFRAME_FRAME);
    CHECK_EQ_U(ev.size, 30);
}

static void garbage_before_frame_is_resync(void)
{
    fw_deframer d;
    init(&d);
    uint8_t stream[64] = {0xAB, 0x1A, 0xCF, 0x00};
    const size_t n = 4 + make_frame(stream + 4, sizeof stream - 4, 3, 1);
    event_log log = {0};
    run(&d, stream, n, 1, false, &log, 1);
    CHECK_EQ_U(log.count, 2);
    CHECK_EQ_U(log.events[0].status, FW_DEFRAME_RESYNC);
    CHECK_EQ_U(log.events[0].offset, 0);
    CHECK_EQ_U(log.events[0].size, 4);
    CHECK_EQ_U(log.events[1].status, FW_DEFRAME_FRAME);
    CHECK_EQ_U(log.events[1].offset, 4);
}

static void bad_crc_does_not_hide_next_frame(void)
{
    fw_deframer d;
    init(&d);
    uint8_t stream[128];
    const size_t a = make_frame(stream, sizeof stream, 20, 7);
    stream[a - 1] ^= 0x01u;
    const size_t b = make_frame(stream + a, sizeof stream - a, 5, 9);
    event_log log = {0};
    run(&d, stream, a + b, 0, true, &log, 7);
    CHECK_EQ_U(log.count, 3);
    CHECK_EQ_U(log.events[0].status, FW_DEFRAME_BAD_CRC);
    CHECK_EQ_U(log.events[0].offset, 0);
    CHECK_EQ_U(log.events[0].size, 26);
    /* The skipped run starts at the rejected sync marker and includes its first byte. */
    CHECK_EQ_U(log.events[1].status, FW_DEFRAME_RESYNC);
    CHECK_EQ_U(log.events[1].offset, 0);
    CHECK_EQ_U(log.events[1].size, a);
    CHECK_EQ_U(log.events[2].status, FW_DEFRAME_FRAME);
    CHECK_EQ_U(log.events[2].offset, a);
    const fw_deframer_counters c = fw_deframer_get_counters(&d);
    CHECK_EQ_U(c.bad_crc, 1);
    CHECK_EQ_U(c.resyncs, 1);
    CHECK_EQ_U(c.bytes_fed, c.frame_bytes + c.bytes_discarded + c.bytes_buffered);
}

static void length_out_of_range(void)
{
    fw_deframer d;
    init(&d);
    /* L = 0, L = 6 (< 7 for a packet) and L = 301 (> max): each rejected at once. */
    const uint8_t stream[] = {0x1A, 0xCF, 0xFC, 0x1D, 0x00, 0x00, 0x1A, 0xCF, 0xFC, 0x1D,
                              0x00, 0x06, 0x1A, 0xCF, 0xFC, 0x1D, 0x01, 0x2D};
    event_log log = {0};
    run(&d, stream, sizeof stream, 0, false, &log, 3);
    CHECK_EQ_U(log.count, 5);
    CHECK_EQ_U(log.events[0].status, FW_DEFRAME_BAD_LENGTH);
    CHECK_EQ_U(log.events[0].size, 0);
    CHECK_EQ_U(log.events[1].status, FW_DEFRAME_RESYNC);
    CHECK_EQ_U(log.events[1].offset, 0);
    CHECK_EQ_U(log.events[1].size, 6);
    CHECK_EQ_U(log.events[2].status, FW_DEFRAME_BAD_LENGTH);
    CHECK_EQ_U(log.events[2].size, 6);
    CHECK_EQ_U(log.events[2].offset, 6);
    CHECK_EQ_U(log.events[4].status, FW_DEFRAME_BAD_LENGTH);
    CHECK_EQ_U(log.events[4].size, 301);
    CHECK_EQ_U(log.events[4].offset, 12);
}

/* A frame length that disagrees with the packet is rejected after 12 bytes, without waiting. */
static void packet_length_mismatch_found_early(void)
{
    fw_deframer d;
    init(&d);
    const uint8_t stream[12] = {0x1A, 0xCF, 0xFC, 0x1D, 0x01, 0x00, 0x11, 0x00, 0xC0, 0x00,
                                0x00, 0x03};
    fw_deframe_event ev;
    fw_deframer_push(&d, stream, 11);
    CHECK_EQ_U(fw_deframer_poll(&d, &ev), FW_DEFRAME_NEED_MORE);
    fw_deframer_push(&d, stream + 11, 1);
    CHECK_EQ_U(fw_deframer_poll(&d, &ev), FW_DEFRAME_BAD_LENGTH);
    CHECK_EQ_U(ev.reason, FW_DEFRAME_REASON_PACKET_LENGTH);
    CHECK_EQ_U(ev.packet_len, 10);
    CHECK_EQ_U(ev.size, 256);
}

static void flush_reports_cut_frame(void)
{
    fw_deframer d;
    init(&d);
    uint8_t stream[64];
    const size_t n = make_frame(stream, sizeof stream, 10, 0);
    event_log log = {0};
    run(&d, stream, n - 1, 0, true, &log, 5);
    /* The rest is discarded in the flush without a RESYNC (no sync marker follows). */
    CHECK_EQ_U(log.count, 1);
    CHECK_EQ_U(log.events[0].status, FW_DEFRAME_BAD_LENGTH);
    CHECK_EQ_U(log.events[0].size, 16);
    const fw_deframer_counters c = fw_deframer_get_counters(&d);
    CHECK_EQ_U(c.bytes_buffered, 0);
    CHECK_EQ_U(c.bytes_discarded, n - 1);
}

static void sync_prefix_kept_across_pushes(void)
{
    fw_deframer d;
    init(&d);
    uint8_t stream[64] = {0x00, 0x00};
    const size_t n = 2 + make_frame(stream + 2, sizeof stream - 2, 4, 2);
    fw_deframe_event ev;
    fw_deframer_push(&d, stream, 5); /* 00 00 1A CF FC */
    CHECK_EQ_U(fw_deframer_poll(&d, &ev), FW_DEFRAME_NEED_MORE);
    CHECK_EQ_U(ev.size, 3);
    fw_deframer_push(&d, stream + 5, n - 5);
    CHECK_EQ_U(fw_deframer_poll(&d, &ev), FW_DEFRAME_RESYNC);
    CHECK_EQ_U(ev.size, 2);
    CHECK_EQ_U(fw_deframer_poll(&d, &ev), FW_DEFRAME_FRAME);
}

/* Build a noisy stream: good frames, corrupted frames, garbage, stray sync markers. */
static size_t noisy_stream(uint8_t *out, size_t cap, uint32_t *seed, size_t *good_frames)
{
    size_t n = 0;
    *good_frames = 0;
    while (n + TEST_MAX_PAYLOAD + 16u < cap) {
        const uint32_t kind = test_rand(seed) % 6u;
        if (kind <= 2u) {
            const size_t data_len = 1u + test_rand(seed) % 60u;
            n += make_frame(out + n, cap - n, data_len, (uint8_t)test_rand(seed));
            *good_frames += 1;
        } else if (kind == 3u) {
            const size_t data_len = 1u + test_rand(seed) % 60u;
            const size_t len = make_frame(out + n, cap - n, data_len, (uint8_t)test_rand(seed));
            out[n + test_rand(seed) % len] ^= (uint8_t)(1u << (test_rand(seed) % 8u));
            n += len;
        } else if (kind == 4u) {
            const size_t len = test_rand(seed) % 20u;
            for (size_t i = 0; i < len; ++i) {
                out[n++] = (uint8_t)test_rand(seed);
            }
        } else {
            memcpy(out + n, fw_frame_sync_marker, 4);
            n += 4;
        }
    }
    return n;
}

static uint8_t g_stream[4096];

/* The events do not depend on how the stream is cut into pieces. */
static void chunking_does_not_change_events(void)
{
    static event_log whole;
    static event_log pieces;
    static event_log bytes;
    uint32_t seed = 0x9E3779B9u;
    for (unsigned round = 0; round < 20; ++round) {
        size_t good = 0;
        const size_t n = noisy_stream(g_stream, sizeof g_stream, &seed, &good);
        fw_deframer d;
        memset(&whole, 0, sizeof whole);
        memset(&pieces, 0, sizeof pieces);
        memset(&bytes, 0, sizeof bytes);
        init(&d);
        run(&d, g_stream, n, n, true, &whole, 0);
        init(&d);
        run(&d, g_stream, n, 0, true, &pieces, seed);
        init(&d);
        run(&d, g_stream, n, 1, true, &bytes, 0);
        CHECK(logs_equal(&whole, &pieces));
        CHECK(logs_equal(&whole, &bytes));
        size_t frames = 0;
        for (size_t i = 0; i < whole.count; ++i) {
            frames += whole.events[i].status == FW_DEFRAME_FRAME ? 1u : 0u;
        }
        /* Every intact frame is delivered; a corrupted one never is (single bit flips). */
        CHECK_EQ_U(frames, good);
        const fw_deframer_counters c = fw_deframer_get_counters(&d);
        CHECK_EQ_U(c.bytes_fed, n);
        CHECK_EQ_U(c.bytes_fed, c.frame_bytes + c.bytes_discarded + c.bytes_buffered);
    }
}

/* Random bytes, biased towards sync markers and plausible lengths: never a crash, never
 * beyond capacity, counters always add up. Run under AddressSanitizer on the host, an
 * over-read would abort. */
static void random_input_is_harmless(void)
{
    uint32_t seed = 12345u;
    fw_deframer d;
    init(&d);
    uint8_t chunk[700];
    for (unsigned round = 0; round < 400; ++round) {
        const size_t n = test_rand(&seed) % sizeof chunk;
        for (size_t i = 0; i < n; ++i) {
            const uint32_t r = test_rand(&seed);
            if (r % 50u == 0 && i + 6 <= n) {
                memcpy(chunk + i, fw_frame_sync_marker, 4);
                chunk[i + 4] = (uint8_t)(r >> 8 & 1u);
                chunk[i + 5] = (uint8_t)(r >> 16);
                i += 5;
            } else {
                chunk[i] = (uint8_t)r;
            }
        }
        event_log log = {0};
        run(&d, chunk, n, 0, (round % 7u) == 0u, &log, seed);
        for (size_t i = 0; i < log.count; ++i) {
            CHECK(log.events[i].status != FW_DEFRAME_FRAME ||
                  log.events[i].size <= TEST_MAX_PAYLOAD);
        }
        const fw_deframer_counters c = fw_deframer_get_counters(&d);
        CHECK(c.bytes_buffered <= d.capacity);
        CHECK_EQ_U(c.bytes_fed, c.frame_bytes + c.bytes_discarded + c.bytes_buffered);
    }
}

static void largest_frame_fills_buffer_exactly(void)
{
    fw_deframer d;
    init(&d);
    static uint8_t frame[TEST_MAX_PAYLOAD + 8];
    const size_t n = make_frame(frame, sizeof frame, TEST_MAX_PAYLOAD - 6u, 3);
    CHECK_EQ_U(n, sizeof frame);
    event_log log = {0};
    run(&d, frame, n, n, false, &log, 0);
    CHECK_EQ_U(log.count, 1);
    CHECK_EQ_U(log.events[0].status, FW_DEFRAME_FRAME);
}

static void encode_rejects_bad_sizes(void)
{
    uint8_t out[16];
    const uint8_t payload[8] = {0};
    CHECK_EQ_U(fw_frame_encode(payload, 0, out, sizeof out), 0);
    CHECK_EQ_U(fw_frame_encode(payload, 8, out, 15), 0);
    CHECK_EQ_U(fw_frame_encode(payload, 8, out, 16), 16);
}

const fw_test_case deframer_cases[] = {
    {"deframer/bad_arguments_rejected", bad_arguments_rejected},
    {"deframer/one_frame", one_frame},
    {"deframer/protocol_noop_frame", protocol_noop_frame},
    {"deframer/garbage_before_frame_is_resync", garbage_before_frame_is_resync},
    {"deframer/bad_crc_does_not_hide_next_frame", bad_crc_does_not_hide_next_frame},
    {"deframer/length_out_of_range", length_out_of_range},
    {"deframer/packet_length_mismatch_found_early", packet_length_mismatch_found_early},
    {"deframer/flush_reports_cut_frame", flush_reports_cut_frame},
    {"deframer/sync_prefix_kept_across_pushes", sync_prefix_kept_across_pushes},
    {"deframer/chunking_does_not_change_events", chunking_does_not_change_events},
    {"deframer/random_input_is_harmless", random_input_is_harmless},
    {"deframer/largest_frame_fills_buffer_exactly", largest_frame_fills_buffer_exactly},
    {"deframer/encode_rejects_bad_sizes", encode_rejects_bad_sizes},
};
const size_t deframer_count = sizeof deframer_cases / sizeof deframer_cases[0];
