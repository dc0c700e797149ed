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

#endif
