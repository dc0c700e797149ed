/*
 * mps2-an385 port of the rover MCU firmware: UART0 carries the link, SysTick the time. The
 * robot id (BOARD_ROBOT_ID) and the key table (board_keys.c, from a key file) are fixed at
 * build time.
 */
#include "board.h"
#include "board_keys.h"
#include "fw_rover.h"

#ifndef BOARD_ROBOT_ID
#define BOARD_ROBOT_ID ROVER_MCU_ROBOT_ROVER_R1
#endif

static fw_rover g_rover;

static void uart_write(void *ctx, const uint8_t *frame, size_t len)
{
    (void)ctx;
    board_uart_write(frame, len);
}

int main(void)
{
    board_init();
    fw_rover_config config = fw_rover_default_config();
    config.robot_id = BOARD_ROBOT_ID;
    if (!fw_rover_init(&g_rover, &config, uart_write, NULL)) {
        for (;;) {
        }
    }
    for (size_t i = 0; i < board_key_count; ++i) {
        fw_rover_add_key(&g_rover, board_keys[i].key_id, board_keys[i].key);
    }
    fw_rover_start(&g_rover, board_now_ms());
    for (;;) {
        uint8_t buf[64];
        const size_t n = board_uart_read(buf, sizeof buf);
        if (n > 0) {
            fw_rover_receive(&g_rover, buf, n);
        }
        fw_rover_tick(&g_rover, board_now_ms());
        if (n == 0) {
            board_idle();
        }
    }
}
