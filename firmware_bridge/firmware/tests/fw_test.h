/*
 * A tiny test runner that works without a C library's stdio, so the same tests run on the
 * host and on the emulated Cortex-M3 board. Each test function records failed checks; the
 * runner prints one line per failed test and finally "N passed, M failed".
 */
#ifndef FW_TEST_H
#define FW_TEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef void (*fw_test_fn)(void);

typedef struct {
    const char *name;
    fw_test_fn fn;
} fw_test_case;

/* Output of the runner: provided by the platform (host: stdout; board: UART0). */
void fw_test_write(const char *text, size_t len);

void fw_test_puts(const char *text);
void fw_test_put_u32(uint32_t value);
void fw_test_put_hex(uint32_t value);

/* Record a check; on failure prints where and what. Returns `ok`. */
bool fw_test_check(bool ok, const char *what, const char *file, int line);
/* Run every case; returns the number of failed tests. */
unsigned fw_test_run(const fw_test_case *cases, size_t count);

#define CHECK(cond) fw_test_check((cond), #cond, __FILE__, __LINE__)
#define CHECK_EQ_U(a, b) fw_test_check((uint64_t)(a) == (uint64_t)(b), #a " == " #b, __FILE__, __LINE__)

/* Each test file defines its cases in a table and exports it through this declaration. */
#define FW_TEST_SUITE(name) \
    extern const fw_test_case name##_cases[]; \
    extern const size_t name##_count

#endif
