#include "fw_deframer.h"

#include <string.h>

#include "fw_crc16.h"

const uint8_t fw_frame_sync_marker[FW_FRAME_SYNC_LEN] = {0x1Au, 0xCFu, 0xFCu, 0x1Du};

/* Space Packet facts for the optional consistency check. */
#define PACKET_HEADER_LEN 6u
#define PACKET_LENGTH_FIELD_AT (FW_FRAME_HEADER_LEN + 4u) /* from the sync marker */
#define MIN_PACKET_LEN (PACKET_HEADER_LEN + 1u)

bool fw_deframer_init(fw_deframer *d, uint8_t *storage, size_t storage_len,
                      uint32_t max_payload_len, uint32_t min_payload_len,
                      bool check_space_packet)
{
    memset(d, 0, sizeof *d);
    if (storage == NULL || max_payload_len < 1u || max_payload_len > FW_FRAME_MAX_PAYLOAD_LEN) {
        return false;
    }
    if (min_payload_len < 1u || min_payload_len > max_payload_len) {
        return false;
    }
    if (check_space_packet && min_payload_len < MIN_PACKET_LEN) {
        min_payload_len = MIN_PACKET_LEN;
        if (min_payload_len > max_payload_len) {
            return false;
        }
    }
    if (storage_len < FW_DEFRAMER_STORAGE_LEN(max_payload_len)) {
        return false;
    }
    d->buf = storage;
    d->capacity = FW_DEFRAMER_STORAGE_LEN(max_payload_len);
    d->max_payload = max_payload_len;
    d->min_payload = min_payload_len;
    d->check_packet = check_space_packet;
    return true;
}

void fw_deframer_reset(fw_deframer *d)
{
    d->start = 0;
    d->end = 0;
    d->pos = 0;
    d->skip_offset = 0;
    d->skip_run = 0;
    memset(&d->counters, 0, sizeof d->counters);
}

size_t fw_deframer_push(fw_deframer *d, const uint8_t *data, size_t len)
{
    if (d->buf == NULL || len == 0) {
        return 0;
    }
    if (d->start > 0) {
        memmove(d->buf, d->buf + d->start, d->end - d->start);
        d->end -= d->start;
        d->start = 0;
    }
    size_t room = d->capacity - d->end;
    size_t take = len < room ? len : room;
    memcpy(d->buf + d->end, data, take);
    d->end += take;
    d->counters.bytes_fed += take;
    return take;
}

fw_deframer_counters fw_deframer_get_counters(const fw_deframer *d)
{
    fw_deframer_counters c = d->counters;
    c.bytes_buffered = (uint64_t)(d->end - d->start);
    return c;
}

static void discard(fw_deframer *d, size_t count)
{
    if (d->skip_run == 0) {
        d->skip_offset = d->pos;
    }
    d->skip_run += count;
    d->counters.bytes_discarded += count;
    d->start += count;
    d->pos += count;
}

static bool reject(fw_deframer *d, fw_deframe_event *ev, fw_deframe_status status,
                   fw_deframe_reason reason, uint32_t length)
{
    if (status == FW_DEFRAME_BAD_CRC) {
        d->counters.bad_crc++;
    } else {
        d->counters.bad_length++;
    }
    ev->status = status;
    ev->reason = reason;
    ev->stream_offset = d->pos;
    ev->size = length;
    /* Slide one byte past the rejected sync marker and search again from there. */
    discard(d, 1);
    return true;
}

/* Index of the first sync marker in buf[from..to), or `to` if none. */
static size_t find_sync(const uint8_t *buf, size_t from, size_t to)
{
    if (to - from < FW_FRAME_SYNC_LEN) {
        return to;
    }
    for (size_t i = from; i + FW_FRAME_SYNC_LEN <= to; ++i) {
        if (buf[i] == 0x1Au && memcmp(buf + i, fw_frame_sync_marker, FW_FRAME_SYNC_LEN) == 0) {
            return i;
        }
    }
    return to;
}

/* Length of the longest proper prefix of the sync marker that ends buf[from..to). */
static size_t marker_prefix_at_end(const uint8_t *buf, size_t from, size_t to)
{
    size_t most = to - from;
    if (most > FW_FRAME_SYNC_LEN - 1u) {
        most = FW_FRAME_SYNC_LEN - 1u;
    }
    for (size_t keep = most; keep > 0; --keep) {
        if (memcmp(buf + to - keep, fw_frame_sync_marker, keep) == 0) {
            return keep;
        }
    }
    return 0;
}

/* Advance by one event; false when nothing more can be decided with the bytes held. */
static bool step(fw_deframer *d, bool final, fw_deframe_event *ev)
{
    const uint8_t *buf = d->buf;
    size_t available = d->end - d->start;
    if (available == 0) {
        return false;
    }

    /* Hunt for the sync marker. */
    size_t at = find_sync(buf, d->start, d->end);
    if (at == d->end) {
        size_t keep = final ? 0u : marker_prefix_at_end(buf, d->start, d->end);
        if (available > keep) {
            discard(d, available - keep);
        }
        return false;
    }
    if (at > d->start) {
        discard(d, at - d->start);
    }
    if (d->skip_run != 0) {
        ev->status = FW_DEFRAME_RESYNC;
        ev->reason = FW_DEFRAME_REASON_NONE;
        ev->stream_offset = d->skip_offset;
        ev->size = d->skip_run;
        d->counters.resyncs++;
        d->skip_run = 0;
        return true;
    }

    /* A sync marker is at start. Every read below is preceded by a check against the bytes
     * held, and L is range-checked before it is used in any size. */
    const size_t start = d->start;
    available = d->end - start;
    if (available < FW_FRAME_HEADER_LEN) {
        return final ? reject(d, ev, FW_DEFRAME_BAD_LENGTH, FW_DEFRAME_REASON_TRUNCATED, 0)
                     : false;
    }
    const uint32_t length =
        ((uint32_t)buf[start + FW_FRAME_SYNC_LEN] << 8) | buf[start + FW_FRAME_SYNC_LEN + 1u];
    if (length < d->min_payload || length > d->max_payload) {
        return reject(d, ev, FW_DEFRAME_BAD_LENGTH, FW_DEFRAME_REASON_LENGTH_RANGE, length);
    }
    if (d->check_packet) {
        if (available < PACKET_LENGTH_FIELD_AT + 2u) {
            return final ? reject(d, ev, FW_DEFRAME_BAD_LENGTH, FW_DEFRAME_REASON_TRUNCATED,
                                  length)
                         : false;
        }
        const size_t field_at = start + PACKET_LENGTH_FIELD_AT;
        const uint32_t packet_len =
            (((uint32_t)buf[field_at] << 8) | buf[field_at + 1u]) + MIN_PACKET_LEN;
        if (packet_len != length) {
            reject(d, ev, FW_DEFRAME_BAD_LENGTH, FW_DEFRAME_REASON_PACKET_LENGTH, length);
            ev->packet_len = packet_len;
            return true;
        }
    }
    const size_t frame_len = FW_FRAME_OVERHEAD + (size_t)length; /* <= capacity */
    if (available < frame_len) {
        return final ? reject(d, ev, FW_DEFRAME_BAD_LENGTH, FW_DEFRAME_REASON_TRUNCATED, length)
                     : false;
    }

    const size_t crc_at = start + FW_FRAME_HEADER_LEN + length;
    const uint16_t computed = fw_crc16_ccitt_false(buf + start + FW_FRAME_SYNC_LEN,
                                                   FW_FRAME_LENGTH_FIELD_LEN + (size_t)length,
                                                   FW_CRC16_INIT);
    const uint16_t received = (uint16_t)(((uint16_t)buf[crc_at] << 8) | buf[crc_at + 1u]);
    if (computed != received) {
        reject(d, ev, FW_DEFRAME_BAD_CRC, FW_DEFRAME_REASON_CRC, length);
        ev->crc_received = received;
        ev->crc_computed = computed;
        return true;
    }
    ev->status = FW_DEFRAME_FRAME;
    ev->reason = FW_DEFRAME_REASON_NONE;
    ev->stream_offset = d->pos;
    ev->size = length;
    ev->payload = buf + start + FW_FRAME_HEADER_LEN;
    d->counters.frames_ok++;
    d->counters.frame_bytes += frame_len;
    d->start += frame_len;
    d->pos += frame_len;
    return true;
}

static fw_deframe_status poll(fw_deframer *d, fw_deframe_event *ev, bool final)
{
    memset(ev, 0, sizeof *ev);
    if (d->buf != NULL && step(d, final, ev)) {
        return ev->status;
    }
    if (final) {
        d->skip_run = 0;
    }
    ev->status = FW_DEFRAME_NEED_MORE;
    ev->reason = FW_DEFRAME_REASON_NONE;
    ev->stream_offset = d->pos;
    ev->size = (uint64_t)(d->end - d->start);
    return FW_DEFRAME_NEED_MORE;
}

fw_deframe_status fw_deframer_poll(fw_deframer *d, fw_deframe_event *ev)
{
    return poll(d, ev, false);
}

fw_deframe_status fw_deframer_poll_final(fw_deframer *d, fw_deframe_event *ev)
{
    return poll(d, ev, true);
}

size_t fw_frame_encode(const uint8_t *payload, size_t payload_len, uint8_t *out, size_t out_cap)
{
    if (payload_len < 1u || payload_len > FW_FRAME_MAX_PAYLOAD_LEN) {
        return 0;
    }
    const size_t frame_len = payload_len + FW_FRAME_OVERHEAD;
    if (out_cap < frame_len) {
        return 0;
    }
    memcpy(out, fw_frame_sync_marker, FW_FRAME_SYNC_LEN);
    out[4] = (uint8_t)(payload_len >> 8);
    out[5] = (uint8_t)payload_len;
    memcpy(out + FW_FRAME_HEADER_LEN, payload, payload_len);
    const uint16_t crc = fw_crc16_ccitt_false(out + FW_FRAME_SYNC_LEN,
                                              FW_FRAME_LENGTH_FIELD_LEN + payload_len,
                                              FW_CRC16_INIT);
    out[frame_len - 2u] = (uint8_t)(crc >> 8);
    out[frame_len - 1u] = (uint8_t)crc;
    return frame_len;
}
