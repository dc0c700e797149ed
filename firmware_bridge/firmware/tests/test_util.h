/* Helpers shared by the test files. */
#ifndef FW_TEST_UTIL_H
#define FW_TEST_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* Parse `hex` (pairs of hex digits, spaces ignored) into `out`; returns the byte count, or
 * (size_t)-1 on a bad digit or if it does not fit. */
size_t test_hex(const char *hex, uint8_t *out, size_t cap);
size_t test_strlen(const char *s);
/* Deterministic pseudo-random numbers (xorshift32) for property-style tests. */
uint32_t test_rand(uint32_t *state);

/* Test key of key_id k (PROTOCOL.md section 6): byte i = (k + i) mod 256. */
void test_key(uint8_t key_id, uint8_t key[32]);
/* Build a framed, signed TC (PROTOCOL.md section 2) into `out`; returns the frame length.
 * `mac_key` signs it (NULL: sign with the test key of key_id). */
size_t test_tc_frame(uint8_t *out, size_t cap, uint16_t packet_count, uint8_t key_id,
                     uint8_t robot_id, uint32_t seq, uint16_t opcode, const uint8_t *args,
                     size_t args_len, const uint8_t *mac_key);

#endif
