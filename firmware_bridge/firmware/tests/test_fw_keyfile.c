#include <string.h>

#include "fw_keyfile.h"
#include "fw_test.h"
#include "test_util.h"

static fw_keyfile_status parse(const char *text, fw_key_entry *out, size_t cap, size_t *count,
                               size_t *line)
{
    return fw_keyfile_parse(text, test_strlen(text), out, cap, count, line);
}

static void parses_test_key_file(void)
{
    const char *text =
        "# TEST KEYS ONLY\n"
        "\n"
        "1 0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20\n"
        "  # indented comment\n"
        "30\t1E1F202122232425262728292A2B2C2D2E2F303132333435363738393A3B3C3D\r\n"
        "2 02030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f2021";
    fw_key_entry keys[5];
    size_t count = 0;
    size_t line = 0;
    CHECK_EQ_U(parse(text, keys, 5, &count, &line), FW_KEYFILE_OK);
    CHECK_EQ_U(count, 3);
    uint8_t expected[32];
    test_key(30, expected);
    CHECK_EQ_U(keys[1].key_id, 30);
    CHECK(memcmp(keys[1].key, expected, 32) == 0);
    test_key(2, expected);
    CHECK_EQ_U(keys[2].key_id, 2);
    CHECK(memcmp(keys[2].key, expected, 32) == 0);
}

static void reports_line_of_each_error(void)
{
    fw_key_entry keys[5];
    size_t count = 0;
    size_t line = 0;
    const char *short_key = "# c\n1 0102\n";
    CHECK_EQ_U(parse(short_key, keys, 5, &count, &line), FW_KEYFILE_SYNTAX);
    CHECK_EQ_U(line, 2);
    const char *bad_hex = "1 0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1fzz\n";
    CHECK_EQ_U(parse(bad_hex, keys, 5, &count, &line), FW_KEYFILE_SYNTAX);
    const char *trailing =
        "1 0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20 x\n";
    CHECK_EQ_U(parse(trailing, keys, 5, &count, &line), FW_KEYFILE_SYNTAX);
    const char *unknown =
        "7 0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20\n";
    CHECK_EQ_U(parse(unknown, keys, 5, &count, &line), FW_KEYFILE_NOT_IN_DICTIONARY);
    CHECK_EQ_U(line, 1);
    const char *big =
        "1000 0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20\n";
    CHECK_EQ_U(parse(big, keys, 5, &count, &line), FW_KEYFILE_KEY_ID_RANGE);
    const char *twice =
        "1 0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20\n"
        "1 0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20\n";
    CHECK_EQ_U(parse(twice, keys, 5, &count, &line), FW_KEYFILE_DUPLICATE);
    CHECK_EQ_U(line, 2);
    CHECK_EQ_U(parse(twice, keys, 1, &count, &line), FW_KEYFILE_TOO_MANY);
    const char *no_key = "1\n";
    CHECK_EQ_U(parse(no_key, keys, 5, &count, &line), FW_KEYFILE_SYNTAX);
}

const fw_test_case keyfile_cases[] = {
    {"keyfile/parses_test_key_file", parses_test_key_file},
    {"keyfile/reports_line_of_each_error", reports_line_of_each_error},
};
const size_t keyfile_count = sizeof keyfile_cases / sizeof keyfile_cases[0];
