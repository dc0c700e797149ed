/* Big-endian field access for packet layouts (PROTOCOL.md: every multi-byte field is BE). */
#ifndef FW_BYTES_H
#define FW_BYTES_H

#include <stdint.h>
#include <string.h>

static inline void fw_put_u16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static inline void fw_put_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* IEEE 754 binary32, its 4 bytes big-endian (0.25f -> 3E 80 00 00). */
static inline void fw_put_f32(uint8_t *p, float v)
{
    uint32_t bits;
    memcpy(&bits, &v, sizeof bits);
    fw_put_u32(p, bits);
}

static inline uint16_t fw_get_u16(const uint8_t *p)
{
    return (uint16_t)(((uint16_t)p[0] << 8) | p[1]);
}

static inline uint32_t fw_get_u32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static inline float fw_get_f32(const uint8_t *p)
{
    const uint32_t bits = fw_get_u32(p);
    float v;
    memcpy(&v, &bits, sizeof v);
    return v;
}

#endif
