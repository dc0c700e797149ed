/*
 * CRC-16/CCITT-FALSE: polynomial 0x1021, initial value 0xFFFF, no reflection, no final XOR.
 * Check value: fw_crc16_ccitt_false("123456789", 9, FW_CRC16_INIT) == 0x29B1.
 * Same function as firmware_bridge.framing.crc16_ccitt_false.
 */
#ifndef FW_CRC16_H
#define FW_CRC16_H

#include <stddef.h>
#include <stdint.h>

#define FW_CRC16_INIT 0xFFFFu
#define FW_CRC16_CHECK 0x29B1u

/* CRC of `len` bytes at `data`, continuing from `crc` (pass FW_CRC16_INIT to start).
 * `data` may be NULL when `len` is 0. O(len), two table look-ups per byte. */
uint16_t fw_crc16_ccitt_false(const uint8_t *data, size_t len, uint16_t crc);

#endif
