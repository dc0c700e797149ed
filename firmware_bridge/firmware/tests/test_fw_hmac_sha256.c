#include <string.h>

#include "fw_hmac_sha256.h"
#include "fw_test.h"
#include "test_util.h"

/* Compare the first `tag_len` bytes of HMAC-SHA256(key, data) with `hex`. */
static bool hmac_is(const uint8_t *key, size_t key_len, const uint8_t *data, size_t len,
                    const char *hex, size_t tag_len)
{
    uint8_t expected[32];
    uint8_t got[32];
    if (test_hex(hex, expected, sizeof expected) != tag_len) {
        return false;
    }
    fw_hmac_sha256(key, key_len, data, len, got);
    return memcmp(got, expected, tag_len) == 0;
}

static void fill(uint8_t *buf, size_t len, uint8_t value) { memset(buf, value, len); }

/* RFC 4231 section 4, test cases 1..7 (HMAC-SHA-256 rows). */
static void rfc4231_case1(void)
{
    uint8_t key[20];
    fill(key, sizeof key, 0x0b);
    CHECK(hmac_is(key, sizeof key, (const uint8_t *)"Hi There", 8,
                  "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7", 32));
}

static void rfc4231_case2(void)
{
    const char *data = "what do ya want for nothing?";
    CHECK(hmac_is((const uint8_t *)"Jefe", 4, (const uint8_t *)data, test_strlen(data),
                  "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843", 32));
}

static void rfc4231_case3(void)
{
    uint8_t key[20];
    uint8_t data[50];
    fill(key, sizeof key, 0xaa);
    fill(data, sizeof data, 0xdd);
    CHECK(hmac_is(key, sizeof key, data, sizeof data,
                  "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe", 32));
}

static void rfc4231_case4(void)
{
    uint8_t key[25];
    uint8_t data[50];
    for (size_t i = 0; i < sizeof key; ++i) {
        key[i] = (uint8_t)(i + 1u);
    }
    fill(data, sizeof data, 0xcd);
    CHECK(hmac_is(key, sizeof key, data, sizeof data,
                  "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b", 32));
}

static void rfc4231_case5_truncated(void)
{
    uint8_t key[20];
    fill(key, sizeof key, 0x0c);
    CHECK(hmac_is(key, sizeof key, (const uint8_t *)"Test With Truncation", 20,
                  "a3b6167473100ee06e0c796c2955552b", 16));
}

static void rfc4231_case6_long_key(void)
{
    uint8_t key[131];
    fill(key, sizeof key, 0xaa);
    const char *data = "Test Using Larger Than Block-Size Key - Hash Key First";
    CHECK(hmac_is(key, sizeof key, (const uint8_t *)data, test_strlen(data),
                  "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54", 32));
}

static void rfc4231_case7_long_key_and_data(void)
{
    uint8_t key[131];
    fill(key, sizeof key, 0xaa);
    const char *data = "This is a test using a larger than block-size key and a larger than "
                       "block-size data. The key needs to be hashed before being used by the "
                       "HMAC algorithm.";
    CHECK(hmac_is(key, sizeof key, (const uint8_t *)data, test_strlen(data),
                  "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2", 32));
}

/* PROTOCOL.md section 2.3: MAC of the DRIVE test command under test key 1. */
static void protocol_drive_vector(void)
{
    uint8_t key[32];
    for (size_t i = 0; i < sizeof key; ++i) {
        key[i] = (uint8_t)(1u + i);
    }
    uint8_t msg[32];
    const size_t n = test_hex("11 00 C0 00 00 23"
                              "01 01 00 00 00 01 00 10 3E 80 00 00 BE 80 00 00 00 00 05 DC",
                              msg, sizeof msg);
    CHECK_EQ_U(n, 26);
    CHECK(hmac_is(key, sizeof key, msg, n, "87 1D 7C 6C 06 91 1F 62 62 75 9D FF 2C BF 43 F0", 16));
}

static void streaming_matches_one_shot(void)
{
    uint8_t key[32];
    uint8_t data[200];
    for (size_t i = 0; i < sizeof data; ++i) {
        data[i] = (uint8_t)(i ^ 0x5Au);
    }
    fill(key, sizeof key, 0x42);
    uint8_t whole[32];
    fw_hmac_sha256(key, sizeof key, data, sizeof data, whole);
    for (size_t cut = 0; cut <= sizeof data; cut += 13) {
        fw_hmac_sha256_ctx ctx;
        uint8_t parts[32];
        fw_hmac_sha256_init(&ctx, key, sizeof key);
        fw_hmac_sha256_update(&ctx, data, cut);
        fw_hmac_sha256_update(&ctx, data + cut, sizeof data - cut);
        fw_hmac_sha256_final(&ctx, parts);
        CHECK(memcmp(whole, parts, 32) == 0);
    }
}

static void const_time_compare(void)
{
    const uint8_t a[4] = {1, 2, 3, 4};
    const uint8_t b[4] = {1, 2, 3, 5};
    CHECK(fw_equal_const_time(a, a, 4));
    CHECK(!fw_equal_const_time(a, b, 4));
    CHECK(fw_equal_const_time(a, b, 3));
    CHECK(fw_equal_const_time(a, b, 0));
}

const fw_test_case hmac_cases[] = {
    {"hmac_sha256/rfc4231_case1", rfc4231_case1},
    {"hmac_sha256/rfc4231_case2", rfc4231_case2},
    {"hmac_sha256/rfc4231_case3", rfc4231_case3},
    {"hmac_sha256/rfc4231_case4", rfc4231_case4},
    {"hmac_sha256/rfc4231_case5_truncated", rfc4231_case5_truncated},
    {"hmac_sha256/rfc4231_case6_long_key", rfc4231_case6_long_key},
    {"hmac_sha256/rfc4231_case7_long_key_and_data", rfc4231_case7_long_key_and_data},
    {"hmac_sha256/protocol_drive_vector", protocol_drive_vector},
    {"hmac_sha256/streaming_matches_one_shot", streaming_matches_one_shot},
    {"hmac_sha256/const_time_compare", const_time_compare},
};
const size_t hmac_count = sizeof hmac_cases / sizeof hmac_cases[0];
