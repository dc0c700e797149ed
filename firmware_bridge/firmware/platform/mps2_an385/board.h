/*
 * mps2-an385 board support (ARM Cortex-M3 at 25 MHz, as emulated by qemu-system-arm):
 * CMSDK APB UART0 (transmit polled, receive by interrupt into a 512-byte ring), SysTick
 * millisecond clock, sleep until the next interrupt, semihosting exit for test images.
 */
#ifndef FW_BOARD_H
#define FW_BOARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BOARD_CPU_HZ 25000000u
#define BOARD_UART_BAUD 115200u

/* Enable UART0 TX and RX (with its RX interrupt) at BOARD_UART_BAUD, and SysTick at 1 kHz. */
void board_init(void);
/* Milliseconds since board_init (wraps after 49.7 days). */
uint32_t board_now_ms(void);
/* Write `len` bytes to UART0, waiting while its transmit buffer is full. */
void board_uart_write(const uint8_t *data, size_t len);
/* Read at most `cap` bytes already received on UART0 without waiting; returns the count. */
size_t board_uart_read(uint8_t *buf, size_t cap);
/* Bytes lost because the receive ring was full. */
uint32_t board_uart_rx_overruns(void);
/* Sleep (WFI) until an interrupt, unless received bytes are waiting. */
void board_idle(void);
/* Semihosting SYS_EXIT_EXTENDED: ends QEMU with `code` (needs -semihosting-config enable=on). */
void board_exit(uint32_t code) __attribute__((noreturn));

#endif
