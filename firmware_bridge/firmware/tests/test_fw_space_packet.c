#include <string.h>

#include "fw_space_packet.h"
#include "fw_test.h"
#include "test_util.h"

static void decode_protocol_ack_example(void)
{
    uint8_t buf[32];
    const size_t n = test_hex("01 01 C0 00 00 13 00 00 04 D2 01 01 00 00 00 02 00 01 00 00"
                              "00 00 00 00 00 02",
                              buf, sizeof buf);
    fw_sp_header h;
    const uint8_t *data = NULL;
    size_t data_len = 0;
    CHECK_EQ_U(fw_sp_decode(buf, n, &h, &data, &data_len), FW_SP_OK);
    CHECK_EQ_U(h.packet_type, FW_SP_TYPE_TM);
    CHECK_EQ_U(h.apid, 0x101);
    CHECK_EQ_U(h.sequence_flags, 3);
    CHECK_EQ_U(h.sequence_count, 0);
    CHECK_EQ_U(data_len, 20);
    CHECK(data == buf + 6);
}

static void round_trip(void)
{
    const fw_sp_header h = {0, FW_SP_TYPE_TC, true, 0x7FE, 2, 16383, 0};
    const uint8_t data[5] = {1, 2, 3, 4, 5};
    uint8_t out[16];
    size_t written = 0;
    CHECK_EQ_U(fw_sp_encode(&h, data, sizeof data, out, sizeof out, &written), FW_SP_OK);
    CHECK_EQ_U(written, 11);
    fw_sp_header back;
    const uint8_t *p = NULL;
    size_t len = 0;
    CHECK_EQ_U(fw_sp_decode(out, written, &back, &p, &len), FW_SP_OK);
    CHECK_EQ_U(back.packet_type, 1);
    CHECK(back.secondary_header);
    CHECK_EQ_U(back.apid, 0x7FE);
    CHECK_EQ_U(back.sequence_flags, 2);
    CHECK_EQ_U(back.sequence_count, 16383);
    CHECK_EQ_U(back.data_length, 4);
    CHECK(memcmp(p, data, 5) == 0);
}

static void decode_errors(void)
{
    const uint8_t good[8] = {0x08, 0x01, 0xC0, 0x00, 0x00, 0x01, 0xAA, 0xBB};
    uint8_t bad_version[8];
    memcpy(bad_version, good, sizeof good);
    bad_version[0] |= 0x20u;
    fw_sp_header h;
    const uint8_t *p = NULL;
    size_t len = 0;
    CHECK_EQ_U(fw_sp_decode(good, 8, &h, &p, &len), FW_SP_OK);
    CHECK_EQ_U(fw_sp_decode(good, 5, &h, &p, &len), FW_SP_TRUNCATED_HEADER);
    CHECK_EQ_U(fw_sp_decode(good, 7, &h, &p, &len), FW_SP_TRUNCATED_PACKET);
    CHECK_EQ_U(fw_sp_decode(bad_version, 8, &h, &p, &len), FW_SP_BAD_VERSION);
    uint8_t longer[9];
    memcpy(longer, good, 8);
    longer[8] = 0;
    CHECK_EQ_U(fw_sp_decode(longer, 9, &h, &p, &len), FW_SP_TRAILING_BYTES);
}

static void encode_errors(void)
{
    fw_sp_header h = {0, 0, false, 0x800, 3, 0, 0};
    const uint8_t data[4] = {0};
    uint8_t out[16];
    size_t written = 1;
    CHECK_EQ_U(fw_sp_encode(&h, data, 4, out, sizeof out, &written), FW_SP_BAD_FIELD);
    CHECK_EQ_U(written, 0);
    h.apid = 1;
    h.sequence_count = 16384;
    CHECK_EQ_U(fw_sp_encode(&h, data, 4, out, sizeof out, &written), FW_SP_BAD_FIELD);
    h.sequence_count = 0;
    CHECK_EQ_U(fw_sp_encode(&h, data, 0, out, sizeof out, &written), FW_SP_BAD_FIELD);
    CHECK_EQ_U(fw_sp_encode(&h, data, 4, out, 9, &written), FW_SP_NO_ROOM);
    CHECK_EQ_U(fw_sp_encode(&h, data, 4, out, 10, &written), FW_SP_OK);
}

const fw_test_case space_packet_cases[] = {
    {"space_packet/decode_protocol_ack_example", decode_protocol_ack_example},
    {"space_packet/round_trip", round_trip},
    {"space_packet/decode_errors", decode_errors},
    {"space_packet/encode_errors", encode_errors},
};
const size_t space_packet_count = sizeof space_packet_cases / sizeof space_packet_cases[0];
