/* Board entry point of the C unit tests: output on UART0, QEMU exit status = tests failed. */
#include "board.h"
#include "test_all.h"

void fw_test_write(const char *text, size_t len)
{
    board_uart_write((const uint8_t *)text, len);
}

int main(void)
{
    board_init();
    const unsigned failed = fw_test_all();
    board_exit(failed == 0 ? 0u : 1u);
}
