#include <string.h>

#include "fw_sha256.h"
#include "fw_test.h"
#include "test_util.h"

static bool digest_is(const uint8_t *data, size_t len, const char *hex)
{
    uint8_t expected[32];
    uint8_t got[32];
    if (test_hex(hex, expected, sizeof expected) != 32) {
        return false;
    }
    fw_sha256(data, len, got);
    return memcmp(got, expected, 32) == 0;
}

/* FIPS 180-4 examples (NIST CSRC "SHA256.pdf" example values). */
static void fips_one_block(void)
{
    const char *msg = "abc";
    CHECK(digest_is((const uint8_t *)msg, 3,
                    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
}

static void fips_two_blocks(void)
{
    const char *msg = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    CHECK(digest_is((const uint8_t *)msg, test_strlen(msg),
                    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"));
}

static void fips_896_bits(void)
{
    const char *msg = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
                      "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
    CHECK(digest_is((const uint8_t *)msg, test_strlen(msg),
                    "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"));
}

static void empty_message(void)
{
    CHECK(digest_is(NULL, 0,
                    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
}

static void one_million_a(void)
{
    uint8_t chunk[1000];
    memset(chunk, 'a', sizeof chunk);
    fw_sha256_ctx ctx;
    fw_sha256_init(&ctx);
    for (unsigned i = 0; i < 1000; ++i) {
        fw_sha256_update(&ctx, chunk, sizeof chunk);
    }
    uint8_t got[32];
    uint8_t expected[32];
    fw_sha256_final(&ctx, got);
    test_hex("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0", expected, 32);
    CHECK(memcmp(got, expected, 32) == 0);
}

/* Padding edge cases: 55, 56, 63, 64, 65 bytes hashed in every split give the same digest. */
static void split_updates_match_one_shot(void)
{
    uint8_t msg[130];
    for (size_t i = 0; i < sizeof msg; ++i) {
        msg[i] = (uint8_t)(i * 7u + 3u);
    }
    static const size_t k_lens[] = {0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 128, 130};
    for (size_t li = 0; li < sizeof k_lens / sizeof k_lens[0]; ++li) {
        const size_t len = k_lens[li];
        uint8_t whole[32];
        fw_sha256(msg, len, whole);
        for (size_t cut = 0; cut <= len; cut += 5) {
            fw_sha256_ctx ctx;
            uint8_t parts[32];
            fw_sha256_init(&ctx);
            fw_sha256_update(&ctx, msg, cut);
            fw_sha256_update(&ctx, msg + cut, len - cut);
            fw_sha256_final(&ctx, parts);
            CHECK(memcmp(whole, parts, 32) == 0);
        }
    }
}

/* 56 and 64 zero bytes (the padding needs an extra block at 56); digests computed with
 * Python's hashlib, an independent implementation. */
static void padding_boundaries(void)
{
    uint8_t zeros[64];
    memset(zeros, 0, sizeof zeros);
    CHECK(digest_is(zeros, 56,
                    "d4817aa5497628e7c77e6b606107042bbba3130888c5f47a375e6179be789fbb"));
    CHECK(digest_is(zeros, 64,
                    "f5a5fd42d16a20302798ef6ed309979b43003d2320d9f0e8ea9831a92759fb4b"));
}

const fw_test_case sha256_cases[] = {
    {"sha256/fips_one_block", fips_one_block},
    {"sha256/fips_two_blocks", fips_two_blocks},
    {"sha256/fips_896_bits", fips_896_bits},
    {"sha256/empty_message", empty_message},
    {"sha256/one_million_a", one_million_a},
    {"sha256/split_updates_match_one_shot", split_updates_match_one_shot},
    {"sha256/padding_boundaries", padding_boundaries},
};
const size_t sha256_count = sizeof sha256_cases / sizeof sha256_cases[0];
