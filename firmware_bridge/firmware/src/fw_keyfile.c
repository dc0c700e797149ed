#include "fw_keyfile.h"

#include <stdbool.h>

static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r'; }

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* Parse one non-blank, non-comment line [p, end). */
static fw_keyfile_status parse_line(const char *p, const char *end, fw_key_entry *entry)
{
    unsigned key_id = 0;
    unsigned digits = 0;
    while (p < end && *p >= '0' && *p <= '9') {
        if (key_id > 255u) {
            return FW_KEYFILE_KEY_ID_RANGE;
        }
        key_id = key_id * 10u + (unsigned)(*p - '0');
        ++digits;
        ++p;
    }
    if (digits == 0 || p == end || !is_space(*p)) {
        return FW_KEYFILE_SYNTAX;
    }
    if (key_id > 255u) {
        return FW_KEYFILE_KEY_ID_RANGE;
    }
    while (p < end && is_space(*p)) {
        ++p;
    }
    for (unsigned i = 0; i < ROVER_MCU_KEY_LEN; ++i) {
        if (end - p < 2) {
            return FW_KEYFILE_SYNTAX;
        }
        const int high = hex_digit(p[0]);
        const int low = hex_digit(p[1]);
        if (high < 0 || low < 0) {
            return FW_KEYFILE_SYNTAX;
        }
        entry->key[i] = (uint8_t)((high << 4) | low);
        p += 2;
    }
    while (p < end && is_space(*p)) {
        ++p;
    }
    if (p != end) {
        return FW_KEYFILE_SYNTAX;
    }
    entry->key_id = (uint8_t)key_id;
    return FW_KEYFILE_OK;
}

fw_keyfile_status fw_keyfile_parse(const char *text, size_t len, fw_key_entry *out, size_t cap,
                                   size_t *count, size_t *error_line)
{
    *count = 0;
    *error_line = 0;
    const char *p = text;
    const char *const text_end = text + len;
    size_t line = 0;
    while (p < text_end) {
        ++line;
        const char *end = p;
        while (end < text_end && *end != '\n') {
            ++end;
        }
        const char *next = end < text_end ? end + 1 : end;
        const char *first = p;
        while (first < end && is_space(*first)) {
            ++first;
        }
        if (first == end || *first == '#') {
            p = next;
            continue;
        }
        fw_keyfile_status status = FW_KEYFILE_OK;
        fw_key_entry entry;
        if (*count >= cap) {
            status = FW_KEYFILE_TOO_MANY;
        } else {
            status = parse_line(first, end, &entry);
        }
        if (status == FW_KEYFILE_OK && rover_mcu_key_partner(entry.key_id) == 0u) {
            status = FW_KEYFILE_NOT_IN_DICTIONARY;
        }
        for (size_t i = 0; status == FW_KEYFILE_OK && i < *count; ++i) {
            if (out[i].key_id == entry.key_id) {
                status = FW_KEYFILE_DUPLICATE;
            }
        }
        if (status != FW_KEYFILE_OK) {
            *error_line = line;
            return status;
        }
        out[(*count)++] = entry;
        p = next;
    }
    return FW_KEYFILE_OK;
}

const char *fw_keyfile_status_text(fw_keyfile_status status)
{
    switch (status) {
    case FW_KEYFILE_OK:
        return "ok";
    case FW_KEYFILE_SYNTAX:
        return "expected '<key_id> <64 hex digits>'";
    case FW_KEYFILE_KEY_ID_RANGE:
        return "key_id above 255";
    case FW_KEYFILE_NOT_IN_DICTIONARY:
        return "key_id not in the dictionary";
    case FW_KEYFILE_DUPLICATE:
        return "key_id appears twice";
    case FW_KEYFILE_TOO_MANY:
        return "more keys than the dictionary lists";
    }
    return "unknown status";
}
