/* Host entry point of the C unit tests: output to stdout, exit status 1 if any test failed. */
#include <stdio.h>

#include "test_all.h"

void fw_test_write(const char *text, size_t len) { fwrite(text, 1, len, stdout); }

int main(void)
{
    const unsigned failed = fw_test_all();
    fflush(stdout);
    return failed == 0 ? 0 : 1;
}
