#include "fw_crc16.h"
#include "fw_test.h"
#include "test_util.h"

static void check_value(void)
{
    const uint8_t text[] = "123456789";
    CHECK_EQ_U(fw_crc16_ccitt_false(text, 9, FW_CRC16_INIT), FW_CRC16_CHECK);
}

static void empty_input_returns_init(void)
{
    CHECK_EQ_U(fw_crc16_ccitt_false(NULL, 0, FW_CRC16_INIT), 0xFFFFu);
}

static void continues_across_calls(void)
{
    const uint8_t text[] = "123456789";
    for (size_t cut = 0; cut <= 9; ++cut) {
        uint16_t crc = fw_crc16_ccitt_false(text, cut, FW_CRC16_INIT);
        crc = fw_crc16_ccitt_false(text + cut, 9 - cut, crc);
        CHECK_EQ_U(crc, FW_CRC16_CHECK);
    }
}

/* The CRC of the DRIVE frame in PROTOCOL.md section 2.3 (over length field + packet). */
static void protocol_drive_frame(void)
{
    uint8_t buf[64];
    const size_t n = test_hex("00 2A 11 00 C0 05 00 23"
                              "01 01 00 00 00 01 00 10 3E 80 00 00 BE 80 00 00 00 00 05 DC"
                              "87 1D 7C 6C 06 91 1F 62 62 75 9D FF 2C BF 43 F0",
                              buf, sizeof buf);
    CHECK_EQ_U(n, 44);
    CHECK_EQ_U(fw_crc16_ccitt_false(buf, n, FW_CRC16_INIT), 0xD153u);
}

const fw_test_case crc16_cases[] = {
    {"crc16/check_value", check_value},
    {"crc16/empty_input_returns_init", empty_input_returns_init},
    {"crc16/continues_across_calls", continues_across_calls},
    {"crc16/protocol_drive_frame", protocol_drive_frame},
};
const size_t crc16_count = sizeof crc16_cases / sizeof crc16_cases[0];
