#include "board.h"

/* CMSDK APB UART (ARM DDI 0479, "Cortex-M System Design Kit"), UART0 of the AN385 image. */
#define UART0_BASE 0x40004000u
#define UART_DATA (*(volatile uint32_t *)(UART0_BASE + 0x000u))
#define UART_STATE (*(volatile uint32_t *)(UART0_BASE + 0x004u))
#define UART_CTRL (*(volatile uint32_t *)(UART0_BASE + 0x008u))
#define UART_INTCLEAR (*(volatile uint32_t *)(UART0_BASE + 0x00Cu))
#define UART_BAUDDIV (*(volatile uint32_t *)(UART0_BASE + 0x010u))
#define UART_STATE_TX_FULL 0x1u
#define UART_STATE_RX_FULL 0x2u
#define UART_CTRL_TX_EN 0x1u
#define UART_CTRL_RX_EN 0x2u
#define UART_CTRL_RX_INT_EN 0x8u
#define UART_INT_RX 0x2u
#define UART0_RX_IRQ 0u /* AN385 interrupt map: UART0 RX is external interrupt 0 */
#define NVIC_ISER0 (*(volatile uint32_t *)0xE000E100u)

/* SysTick (ARMv7-M architecture reference manual, B3.3). */
#define SYST_CSR (*(volatile uint32_t *)0xE000E010u)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018u)
#define SYST_CSR_ENABLE 0x1u
#define SYST_CSR_TICKINT 0x2u
#define SYST_CSR_CLKSOURCE_CPU 0x4u

static volatile uint32_t g_ms_ticks;

/* Received bytes, from the RX interrupt (producer) to board_uart_read (consumer). Indices run
 * freely modulo 2^32; each is written by one side only, and 32-bit accesses are atomic. */
#define RX_RING_LEN 512u /* a power of two */
static uint8_t g_rx_ring[RX_RING_LEN];
static volatile uint32_t g_rx_head;
static volatile uint32_t g_rx_tail;
static volatile uint32_t g_rx_overruns;

void fw_systick_handler(void);
void fw_systick_handler(void) { g_ms_ticks = g_ms_ticks + 1u; }

void fw_uart0_rx_handler(void);
void fw_uart0_rx_handler(void)
{
    /* Clear first, then drain: a byte arriving after the drain raises the interrupt again. */
    UART_INTCLEAR = UART_INT_RX;
    while ((UART_STATE & UART_STATE_RX_FULL) != 0u) {
        const uint8_t byte = (uint8_t)UART_DATA;
        const uint32_t head = g_rx_head;
        if (head - g_rx_tail < RX_RING_LEN) {
            g_rx_ring[head % RX_RING_LEN] = byte;
            __asm__ volatile("" ::: "memory");
            g_rx_head = head + 1u;
        } else {
            g_rx_overruns = g_rx_overruns + 1u;
        }
    }
}

void board_init(void)
{
    UART_BAUDDIV = BOARD_CPU_HZ / BOARD_UART_BAUD;
    UART_CTRL = UART_CTRL_TX_EN | UART_CTRL_RX_EN | UART_CTRL_RX_INT_EN;
    NVIC_ISER0 = 1u << UART0_RX_IRQ;
    SYST_RVR = BOARD_CPU_HZ / 1000u - 1u;
    SYST_CVR = 0;
    SYST_CSR = SYST_CSR_ENABLE | SYST_CSR_TICKINT | SYST_CSR_CLKSOURCE_CPU;
}

uint32_t board_now_ms(void) { return g_ms_ticks; }

void board_uart_write(const uint8_t *data, size_t len)
{
    for (size_t i = 0; i < len; ++i) {
        while ((UART_STATE & UART_STATE_TX_FULL) != 0u) {
        }
        UART_DATA = data[i];
    }
}

size_t board_uart_read(uint8_t *buf, size_t cap)
{
    size_t n = 0;
    uint32_t tail = g_rx_tail;
    const uint32_t head = g_rx_head;
    while (n < cap && tail != head) {
        buf[n++] = g_rx_ring[tail % RX_RING_LEN];
        ++tail;
    }
    __asm__ volatile("" ::: "memory");
    g_rx_tail = tail;
    return n;
}

uint32_t board_uart_rx_overruns(void) { return g_rx_overruns; }

void board_idle(void)
{
    /* Sleep until the next interrupt (SysTick at the latest, 1 ms). Interrupts are masked
     * around the check so that a byte received just before WFI still wakes it. */
    __asm__ volatile("cpsid i" ::: "memory");
    if (g_rx_head == g_rx_tail) {
        __asm__ volatile("wfi" ::: "memory");
    }
    __asm__ volatile("cpsie i" ::: "memory");
}

void board_exit(uint32_t code)
{
    /* SYS_EXIT_EXTENDED (0x20) with ADP_Stopped_ApplicationExit (0x20026) and the code. */
    volatile uint32_t block[2] = {0x20026u, code};
    register uint32_t r0 __asm__("r0") = 0x20u;
    register volatile uint32_t *r1 __asm__("r1") = block;
    __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
    for (;;) {
    }
}
