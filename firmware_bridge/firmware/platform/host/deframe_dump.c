/*
 * Test tool: runs the C deframer over test cases read from stdin and prints every event, so
 * that tests can compare it with firmware_bridge.framing.Deframer event for event.
 *
 * Input, repeated until EOF (all big-endian):
 *   u32 n | u16 chunk (>= 1) | u16 max_payload_len | u8 check_space_packet | n stream bytes
 * For each case a fresh deframer is fed the stream `chunk` bytes at a time, then flushed.
 * Output, one line per event other than NEED_MORE, then the counters, then "END":
 *   FRAME <offset> <size> <payload hex> | BAD_CRC <offset> <size> | BAD_LENGTH <offset> <size>
 *   RESYNC <offset> <size>
 *   COUNTERS <fed> <frames_ok> <frame_bytes> <bad_crc> <bad_length> <discarded> <resyncs>
 *            <buffered>
 */
#include <stdio.h>
#include <stdlib.h>

#include "fw_deframer.h"

static uint8_t g_storage[FW_DEFRAMER_STORAGE_LEN(FW_FRAME_MAX_PAYLOAD_LEN)];
static uint8_t g_stream[1u << 22];

static bool read_exact(uint8_t *buf, size_t n) { return fread(buf, 1, n, stdin) == n; }

static void print_event(const fw_deframe_event *ev)
{
    static const char *const k_names[] = {"NEED_MORE", "FRAME", "BAD_CRC", "BAD_LENGTH",
                                          "RESYNC"};
    printf("%s %llu %llu", k_names[ev->status], (unsigned long long)ev->stream_offset,
           (unsigned long long)ev->size);
    if (ev->status == FW_DEFRAME_FRAME) {
        putchar(' ');
        for (uint64_t i = 0; i < ev->size; ++i) {
            printf("%02x", ev->payload[i]);
        }
    }
    putchar('\n');
}

int main(void)
{
    uint8_t head[9];
    while (read_exact(head, sizeof head)) {
        const size_t n = ((size_t)head[0] << 24) | ((size_t)head[1] << 16) |
                         ((size_t)head[2] << 8) | head[3];
        const size_t chunk = ((size_t)head[4] << 8) | head[5];
        const uint32_t max_payload = ((uint32_t)head[6] << 8) | head[7];
        if (n > sizeof g_stream || chunk == 0 || !read_exact(g_stream, n)) {
            fprintf(stderr, "deframe_dump: bad case header or truncated input\n");
            return 2;
        }
        fw_deframer d;
        if (!fw_deframer_init(&d, g_storage, sizeof g_storage, max_payload, 1, head[8] != 0)) {
            printf("INIT_FAILED\nEND\n");
            continue;
        }
        fw_deframe_event ev;
        for (size_t at = 0; at < n; at += chunk) {
            const size_t len = n - at < chunk ? n - at : chunk;
            size_t taken = 0;
            while (taken < len) {
                taken += fw_deframer_push(&d, g_stream + at + taken, len - taken);
                while (fw_deframer_poll(&d, &ev) != FW_DEFRAME_NEED_MORE) {
                    print_event(&ev);
                }
            }
        }
        while (fw_deframer_poll_final(&d, &ev) != FW_DEFRAME_NEED_MORE) {
            print_event(&ev);
        }
        const fw_deframer_counters c = fw_deframer_get_counters(&d);
        printf("COUNTERS %llu %llu %llu %llu %llu %llu %llu %llu\nEND\n",
               (unsigned long long)c.bytes_fed, (unsigned long long)c.frames_ok,
               (unsigned long long)c.frame_bytes, (unsigned long long)c.bad_crc,
               (unsigned long long)c.bad_length, (unsigned long long)c.bytes_discarded,
               (unsigned long long)c.resyncs, (unsigned long long)c.bytes_buffered);
    }
    return 0;
}
