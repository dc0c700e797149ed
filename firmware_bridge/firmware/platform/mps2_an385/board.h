/*
 * mps2-an385 board support (ARM Cortex-M3 at 25 MHz, as emulated by qemu-system-arm):
 * CMSDK APB UART0 (polled), SysTick millisecond clock, semihosting exit for test images.
 */
#ifndef FW_BOARD_H
#define FW_BOARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BOARD_CPU_HZ 25000000u
#define BOARD_UART_BAUD 115200u

/* Enable UART0 TX and RX at BOARD_UART_BAUD, and SysTick at 1 kHz. */
void board_init(void);
/* Milliseconds since board_init (wraps after 49.7 days). */
uint32_t board_now_ms(void);
/* Write `len` bytes to UART0, waiting while its transmit buffer is full. */
void board_uart_write(const uint8_t *data, size_t len);
/* Read at most `cap` bytes already received on UART0 without waiting; returns the count. */
size_t board_uart_read(uint8_t *buf, size_t cap);
/* Semihosting SYS_EXIT_EXTENDED: ends QEMU with `code` (needs -semihosting-config enable=on). */
void board_exit(uint32_t code) __attribute__((noreturn));

#endif
