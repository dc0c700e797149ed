#include "test_util.h"

static int hex_value(char c)
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

size_t test_hex(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = 0;
    int high = -1;
    for (; *hex != '\0'; ++hex) {
        if (*hex == ' ' || *hex == '\n') {
            continue;
        }
        const int v = hex_value(*hex);
        if (v < 0) {
            return (size_t)-1;
        }
        if (high < 0) {
            high = v;
            continue;
        }
        if (n >= cap) {
            return (size_t)-1;
        }
        out[n++] = (uint8_t)((high << 4) | v);
        high = -1;
    }
    return high < 0 ? n : (size_t)-1;
}

size_t test_strlen(const char *s)
{
    size_t n = 0;
    while (s[n] != '\0') {
        ++n;
    }
    return n;
}

uint32_t test_rand(uint32_t *state)
{
    uint32_t x = *state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *state = x;
    return x;
}
