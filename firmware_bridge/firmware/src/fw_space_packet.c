#include "fw_space_packet.h"

#include <string.h>

fw_sp_status fw_sp_decode_header(const uint8_t *buf, size_t len, fw_sp_header *out)
{
    if (len < FW_SP_HEADER_LEN) {
        return FW_SP_TRUNCATED_HEADER;
    }
    const uint16_t word0 = (uint16_t)(((uint16_t)buf[0] << 8) | buf[1]);
    const uint16_t word1 = (uint16_t)(((uint16_t)buf[2] << 8) | buf[3]);
    out->version = (uint8_t)(word0 >> 13);
    out->packet_type = (uint8_t)((word0 >> 12) & 1u);
    out->secondary_header = ((word0 >> 11) & 1u) != 0;
    out->apid = (uint16_t)(word0 & FW_SP_MAX_APID);
    out->sequence_flags = (uint8_t)(word1 >> 14);
    out->sequence_count = (uint16_t)(word1 & (FW_SP_SEQ_COUNT_MODULUS - 1u));
    out->data_length = (uint16_t)(((uint16_t)buf[4] << 8) | buf[5]);
    return out->version == 0 ? FW_SP_OK : FW_SP_BAD_VERSION;
}

size_t fw_sp_packet_len(const fw_sp_header *hdr)
{
    return FW_SP_HEADER_LEN + (size_t)hdr->data_length + 1u;
}

fw_sp_status fw_sp_decode(const uint8_t *buf, size_t len, fw_sp_header *hdr,
                          const uint8_t **data, size_t *data_len)
{
    fw_sp_status status = fw_sp_decode_header(buf, len, hdr);
    if (status != FW_SP_OK) {
        return status;
    }
    const size_t packet_len = fw_sp_packet_len(hdr);
    if (len < packet_len) {
        return FW_SP_TRUNCATED_PACKET;
    }
    if (len > packet_len) {
        return FW_SP_TRAILING_BYTES;
    }
    *data = buf + FW_SP_HEADER_LEN;
    *data_len = packet_len - FW_SP_HEADER_LEN;
    return FW_SP_OK;
}

fw_sp_status fw_sp_encode(const fw_sp_header *hdr, const uint8_t *data, size_t data_len,
                          uint8_t *out, size_t out_cap, size_t *written)
{
    *written = 0;
    if (hdr->version != 0 || hdr->packet_type > 1u || hdr->apid > FW_SP_MAX_APID ||
        hdr->sequence_flags > 3u || hdr->sequence_count >= FW_SP_SEQ_COUNT_MODULUS ||
        data_len < 1u || data_len > 65536u) {
        return FW_SP_BAD_FIELD;
    }
    if (out_cap < FW_SP_HEADER_LEN || out_cap - FW_SP_HEADER_LEN < data_len) {
        return FW_SP_NO_ROOM;
    }
    const uint16_t word0 = (uint16_t)(((unsigned)hdr->packet_type << 12) |
                                      ((hdr->secondary_header ? 1u : 0u) << 11) | hdr->apid);
    const uint16_t word1 =
        (uint16_t)(((unsigned)hdr->sequence_flags << 14) | hdr->sequence_count);
    const uint16_t length_field = (uint16_t)(data_len - 1u);
    out[0] = (uint8_t)(word0 >> 8);
    out[1] = (uint8_t)word0;
    out[2] = (uint8_t)(word1 >> 8);
    out[3] = (uint8_t)word1;
    out[4] = (uint8_t)(length_field >> 8);
    out[5] = (uint8_t)length_field;
    if (data != out + FW_SP_HEADER_LEN) {
        memmove(out + FW_SP_HEADER_LEN, data, data_len);
    }
    *written = FW_SP_HEADER_LEN + data_len;
    return FW_SP_OK;
}
