#include "fw_test.h"

static unsigned g_failed_checks;

static size_t cstr_len(const char *s)
{
    size_t n = 0;
    while (s[n] != '\0') {
        ++n;
    }
    return n;
}

void fw_test_puts(const char *text) { fw_test_write(text, cstr_len(text)); }

void fw_test_put_u32(uint32_t value)
{
    char digits[10];
    size_t n = 0;
    do {
        digits[sizeof digits - 1u - n] = (char)('0' + value % 10u);
        value /= 10u;
        ++n;
    } while (value != 0u);
    fw_test_write(digits + sizeof digits - n, n);
}

void fw_test_put_hex(uint32_t value)
{
    static const char k_hex[] = "0123456789abcdef";
    char text[10] = {'0', 'x'};
    for (unsigned i = 0; i < 8; ++i) {
        text[2 + i] = k_hex[(value >> (28u - 4u * i)) & 0xFu];
    }
    fw_test_write(text, sizeof text);
}

bool fw_test_check(bool ok, const char *what, const char *file, int line)
{
    if (!ok) {
        ++g_failed_checks;
        fw_test_puts("  check failed: ");
        fw_test_puts(what);
        fw_test_puts(" (");
        fw_test_puts(file);
        fw_test_puts(":");
        fw_test_put_u32((uint32_t)line);
        fw_test_puts(")\n");
    }
    return ok;
}

unsigned fw_test_run(const fw_test_case *cases, size_t count)
{
    unsigned failed = 0;
    for (size_t i = 0; i < count; ++i) {
        const unsigned before = g_failed_checks;
        cases[i].fn();
        if (g_failed_checks != before) {
            ++failed;
            fw_test_puts("FAIL ");
            fw_test_puts(cases[i].name);
            fw_test_puts("\n");
        }
    }
    return failed;
}
