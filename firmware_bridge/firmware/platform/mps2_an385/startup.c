/*
 * Reset and vector table of the mps2-an385 port. The core loads SP and PC from the table at
 * address 0; the reset handler copies .data from its load address, zeroes .bss, calls main.
 */
#include <stdint.h>
#include <string.h>

typedef void (*fw_vector)(void);

extern uint32_t __stack_top[];
extern uint32_t __data_start[];
extern uint32_t __data_end[];
extern uint32_t __data_load[];
extern uint32_t __bss_start[];
extern uint32_t __bss_end[];

int main(void);
void fw_reset_handler(void);
void fw_default_handler(void);
void fw_systick_handler(void);
void fw_uart0_rx_handler(void);

void fw_reset_handler(void)
{
    const size_t data_len = (size_t)((uintptr_t)__data_end - (uintptr_t)__data_start);
    const size_t bss_len = (size_t)((uintptr_t)__bss_end - (uintptr_t)__bss_start);
    memcpy(__data_start, __data_load, data_len);
    memset(__bss_start, 0, bss_len);
    (void)main();
    for (;;) {
    }
}

/* Faults and unexpected interrupts stop here, where a debugger (qemu -s) finds them. */
void fw_default_handler(void)
{
    for (;;) {
    }
}

typedef struct {
    uint32_t *initial_sp;
    fw_vector handlers[15 + 32]; /* exceptions 1..15, then the AN385's 32 external IRQs */
} fw_vector_table;

__attribute__((section(".vectors"), used)) const fw_vector_table fw_vectors = {
    __stack_top,
    {
        fw_reset_handler,   /* 1 reset */
        fw_default_handler, /* 2 NMI */
        fw_default_handler, /* 3 hard fault */
        fw_default_handler, /* 4 memory management fault */
        fw_default_handler, /* 5 bus fault */
        fw_default_handler, /* 6 usage fault */
        0, 0, 0, 0,         /* 7..10 reserved */
        fw_default_handler, /* 11 SVCall */
        fw_default_handler, /* 12 debug monitor */
        0,                  /* 13 reserved */
        fw_default_handler, /* 14 PendSV */
        fw_systick_handler, /* 15 SysTick */
        fw_uart0_rx_handler, /* IRQ 0: UART0 RX */
        fw_default_handler, fw_default_handler, fw_default_handler,
        fw_default_handler, fw_default_handler, fw_default_handler, fw_default_handler,
        fw_default_handler, fw_default_handler, fw_default_handler, fw_default_handler,
        fw_default_handler, fw_default_handler, fw_default_handler, fw_default_handler,
        fw_default_handler, fw_default_handler, fw_default_handler, fw_default_handler,
        fw_default_handler, fw_default_handler, fw_default_handler, fw_default_handler,
        fw_default_handler, fw_default_handler, fw_default_handler, fw_default_handler,
        fw_default_handler, fw_default_handler, fw_default_handler, fw_default_handler,
    },
};
