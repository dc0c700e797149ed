/*
 * Pure deframer for the checked frame around each Space Packet:
 *
 *   | 1A CF FC 1D | length L (u16 BE) | payload, L bytes | CRC-16/CCITT-FALSE (u16 BE) |
 *                 |<------------- CRC covers ------------>|
 *
 * Behaviour is that of firmware_bridge.framing.Deframer (see firmware_bridge/README.md):
 * same statuses, stream offsets, sizes and counters, whatever way the stream is chunked.
 *
 *   - After BAD_CRC or BAD_LENGTH the search restarts one byte past the rejected sync marker.
 *   - With check_space_packet, the packet's own length field (payload bytes 4..5, + 7) must
 *     equal L; checked as soon as 12 bytes of the candidate are held.
 *   - L is range-checked before it is used in any size; no read goes past the bytes held.
 *   - The buffer (caller-supplied, no allocation) holds at most max_payload_len + 8 bytes.
 *
 * Use: push bytes, then poll events until NEED_MORE; repeat until every byte is taken.
 *
 *   size_t taken = 0;
 *   while (taken < n) {
 *       taken += fw_deframer_push(&d, data + taken, n - taken);
 *       while (fw_deframer_poll(&d, &ev) != FW_DEFRAME_NEED_MORE) { handle(&ev); }
 *   }
 *
 * A deframer is not thread-safe and not re-entrant: one per link.
 */
#ifndef FW_DEFRAMER_H
#define FW_DEFRAMER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FW_FRAME_SYNC_LEN 4u
#define FW_FRAME_LENGTH_FIELD_LEN 2u
#define FW_FRAME_HEADER_LEN 6u /* sync + length */
#define FW_FRAME_CRC_LEN 2u
#define FW_FRAME_OVERHEAD 8u
#define FW_FRAME_MAX_PAYLOAD_LEN 0xFFFFu

extern const uint8_t fw_frame_sync_marker[FW_FRAME_SYNC_LEN];

typedef enum {
    FW_DEFRAME_NEED_MORE = 0, /* every held byte examined; size = bytes still held */
    FW_DEFRAME_FRAME,         /* payload passed every check; size = payload length */
    FW_DEFRAME_BAD_CRC,       /* complete candidate failed its CRC; size = declared length */
    FW_DEFRAME_BAD_LENGTH,    /* length out of range / disagrees with packet / cut by flush */
    FW_DEFRAME_RESYNC,        /* sync found after skipping bytes; size = bytes skipped */
} fw_deframe_status;

typedef enum {
    FW_DEFRAME_REASON_NONE = 0,
    FW_DEFRAME_REASON_LENGTH_RANGE,    /* L outside min..max */
    FW_DEFRAME_REASON_PACKET_LENGTH,   /* L != space packet length (see packet_len) */
    FW_DEFRAME_REASON_CRC,             /* see crc_received / crc_computed */
    FW_DEFRAME_REASON_TRUNCATED,       /* stream ended (flush) inside the candidate */
} fw_deframe_reason;

typedef struct {
    fw_deframe_status status;
    fw_deframe_reason reason;
    uint64_t stream_offset; /* from the first byte ever fed: sync of a frame/candidate,
                               first skipped byte of a resync, next unsettled byte otherwise */
    uint64_t size;
    const uint8_t *payload; /* FRAME only; points into the deframer's buffer and stays valid
                               until the next push or reset */
    uint32_t packet_len;    /* REASON_PACKET_LENGTH: the packet's own length */
    uint16_t crc_received;  /* REASON_CRC */
    uint16_t crc_computed;  /* REASON_CRC */
} fw_deframe_event;

typedef struct {
    uint64_t bytes_fed;
    uint64_t frames_ok;
    uint64_t frame_bytes;
    uint64_t bad_crc;
    uint64_t bad_length;
    uint64_t bytes_discarded;
    uint64_t resyncs;
    uint64_t bytes_buffered;
} fw_deframer_counters; /* bytes_fed == frame_bytes + bytes_discarded + bytes_buffered */

typedef struct {
    uint8_t *buf;
    size_t capacity; /* max_payload_len + 8 */
    size_t start;    /* first unsettled byte in buf */
    size_t end;      /* one past the last byte held */
    uint32_t max_payload;
    uint32_t min_payload;
    bool check_packet;
    uint64_t pos;         /* stream offset of buf[start] */
    uint64_t skip_offset; /* stream offset where the current run of skipped bytes began */
    uint64_t skip_run;    /* bytes skipped since the last event that ended a run */
    fw_deframer_counters counters;
} fw_deframer;

/* Size of storage a deframer with this max payload length needs. */
#define FW_DEFRAMER_STORAGE_LEN(max_payload_len) ((size_t)(max_payload_len) + FW_FRAME_OVERHEAD)

/*
 * Set up a deframer over caller-owned `storage` (at least FW_DEFRAMER_STORAGE_LEN(max)).
 * max_payload_len 1..65535; min_payload_len 1..max (raised to 7 with check_space_packet).
 * Returns false (deframer unusable) on bad arguments.
 */
bool fw_deframer_init(fw_deframer *d, uint8_t *storage, size_t storage_len,
                      uint32_t max_payload_len, uint32_t min_payload_len,
                      bool check_space_packet);
/* Forget all bytes and counters; keeps the configuration. */
void fw_deframer_reset(fw_deframer *d);
/* Copy as many of `len` bytes as fit (at least 1 if len > 0 after polling to NEED_MORE);
 * returns the number taken. Invalidates payload pointers of earlier events. */
size_t fw_deframer_push(fw_deframer *d, const uint8_t *data, size_t len);
/* Next event decidable from the bytes held; FW_DEFRAME_NEED_MORE when none. */
fw_deframe_status fw_deframer_poll(fw_deframer *d, fw_deframe_event *ev);
/* Like poll, but at the end of the stream (or a link timeout): every held byte is settled and
 * a cut candidate becomes BAD_LENGTH. When it returns NEED_MORE the buffer is empty. */
fw_deframe_status fw_deframer_poll_final(fw_deframer *d, fw_deframe_event *ev);
fw_deframer_counters fw_deframer_get_counters(const fw_deframer *d);

/* Write a frame around `payload_len` (1..65535) bytes into `out`; returns the frame length,
 * or 0 if the length is out of range or `out_cap` is too small. `out` may not overlap. */
size_t fw_frame_encode(const uint8_t *payload, size_t payload_len, uint8_t *out, size_t out_cap);

#endif
