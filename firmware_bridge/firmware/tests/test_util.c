#include "test_util.h"

#include "fw_auth.h"
#include "fw_deframer.h"

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

void test_key(uint8_t key_id, uint8_t key[32])
{
    for (unsigned i = 0; i < 32; ++i) {
        key[i] = (uint8_t)(key_id + i);
    }
}

size_t test_tc_frame(uint8_t *out, size_t cap, uint16_t packet_count, uint8_t key_id,
                     uint8_t robot_id, uint32_t seq, uint16_t opcode, const uint8_t *args,
                     size_t args_len, const uint8_t *mac_key)
{
    uint8_t packet[300];
    const size_t data_len = 24u + args_len;
    if (6u + data_len > sizeof packet) {
        return 0;
    }
    packet[0] = 0x11;
    packet[1] = 0x00;
    packet[2] = (uint8_t)(0xC0u | ((packet_count >> 8) & 0x3Fu));
    packet[3] = (uint8_t)packet_count;
    packet[4] = (uint8_t)((data_len - 1u) >> 8);
    packet[5] = (uint8_t)(data_len - 1u);
    uint8_t *d = packet + 6;
    d[0] = key_id;
    d[1] = robot_id;
    d[2] = (uint8_t)(seq >> 24);
    d[3] = (uint8_t)(seq >> 16);
    d[4] = (uint8_t)(seq >> 8);
    d[5] = (uint8_t)seq;
    d[6] = (uint8_t)(opcode >> 8);
    d[7] = (uint8_t)opcode;
    for (size_t i = 0; i < args_len; ++i) {
        d[8 + i] = args[i];
    }
    uint8_t key[32];
    if (mac_key == NULL) {
        test_key(key_id, key);
        mac_key = key;
    }
    fw_tc_mac(mac_key, packet, d, 8u + args_len, d + 8u + args_len);
    return fw_frame_encode(packet, 6u + data_len, out, cap);
}
