/*
 * CCSDS 133.0-B-2 Space Packet primary header (6 bytes, big-endian) and whole-packet
 * encode/decode. Same rules as firmware_bridge/space_packet.py: version 0 only, data field
 * 1..65536 bytes, decode reads only the bytes the header declares.
 */
#ifndef FW_SPACE_PACKET_H
#define FW_SPACE_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FW_SP_HEADER_LEN 6u
#define FW_SP_MAX_APID 0x7FFu
#define FW_SP_IDLE_APID 0x7FFu
#define FW_SP_SEQ_COUNT_MODULUS 16384u
#define FW_SP_TYPE_TM 0u
#define FW_SP_TYPE_TC 1u
#define FW_SP_SEQ_UNSEGMENTED 3u

typedef struct {
    uint8_t version;        /* 0 */
    uint8_t packet_type;    /* FW_SP_TYPE_TM / FW_SP_TYPE_TC */
    bool secondary_header;  /* secondary header flag */
    uint16_t apid;          /* 0..2047 */
    uint8_t sequence_flags; /* 0..3 */
    uint16_t sequence_count; /* 0..16383 */
    uint16_t data_length;   /* data field length - 1 */
} fw_sp_header;

typedef enum {
    FW_SP_OK = 0,
    FW_SP_TRUNCATED_HEADER, /* fewer than 6 bytes */
    FW_SP_BAD_VERSION,      /* version field != 0 */
    FW_SP_TRUNCATED_PACKET, /* fewer bytes than the header declares */
    FW_SP_TRAILING_BYTES,   /* more bytes than the header declares */
    FW_SP_BAD_FIELD,        /* encode: a field out of range */
    FW_SP_NO_ROOM,          /* encode: output buffer too small */
} fw_sp_status;

/* Decode the 6-byte header at `buf` (reads exactly 6 bytes if len >= 6). */
fw_sp_status fw_sp_decode_header(const uint8_t *buf, size_t len, fw_sp_header *out);
/* Decode a buffer holding exactly one packet; `data` points into `buf`. */
fw_sp_status fw_sp_decode(const uint8_t *buf, size_t len, fw_sp_header *hdr,
                          const uint8_t **data, size_t *data_len);
/* Write header (data_length taken from data_len) + data into `out`; `*written` = total. */
fw_sp_status fw_sp_encode(const fw_sp_header *hdr, const uint8_t *data, size_t data_len,
                          uint8_t *out, size_t out_cap, size_t *written);
/* Total bytes of a packet with this header. */
size_t fw_sp_packet_len(const fw_sp_header *hdr);

#endif
