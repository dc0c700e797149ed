#include "fw_sha256.h"

#include <string.h>

/* First 32 bits of the fractional parts of the cube roots of the first 64 primes. */
static const uint32_t k_round[64] = {
    0x428a2f98u, 0x71374491u, 0xb5c0fbcfu, 0xe9b5dba5u, 0x3956c25bu, 0x59f111f1u, 0x923f82a4u,
    0xab1c5ed5u, 0xd807aa98u, 0x12835b01u, 0x243185beu, 0x550c7dc3u, 0x72be5d74u, 0x80deb1feu,
    0x9bdc06a7u, 0xc19bf174u, 0xe49b69c1u, 0xefbe4786u, 0x0fc19dc6u, 0x240ca1ccu, 0x2de92c6fu,
    0x4a7484aau, 0x5cb0a9dcu, 0x76f988dau, 0x983e5152u, 0xa831c66du, 0xb00327c8u, 0xbf597fc7u,
    0xc6e00bf3u, 0xd5a79147u, 0x06ca6351u, 0x14292967u, 0x27b70a85u, 0x2e1b2138u, 0x4d2c6dfcu,
    0x53380d13u, 0x650a7354u, 0x766a0abbu, 0x81c2c92eu, 0x92722c85u, 0xa2bfe8a1u, 0xa81a664bu,
    0xc24b8b70u, 0xc76c51a3u, 0xd192e819u, 0xd6990624u, 0xf40e3585u, 0x106aa070u, 0x19a4c116u,
    0x1e376c08u, 0x2748774cu, 0x34b0bcb5u, 0x391c0cb3u, 0x4ed8aa4au, 0x5b9cca4fu, 0x682e6ff3u,
    0x748f82eeu, 0x78a5636fu, 0x84c87814u, 0x8cc70208u, 0x90befffau, 0xa4506cebu, 0xbef9a3f7u,
    0xc67178f2u,
};

static uint32_t rotr(uint32_t x, unsigned n) { return (x >> n) | (x << (32u - n)); }

static uint32_t load_be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static void store_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* Process one 64-byte block (FIPS 180-4 6.2.2), message schedule kept as a 16-word ring. */
static void compress(uint32_t state[8], const uint8_t block[FW_SHA256_BLOCK_LEN])
{
    uint32_t w[16];
    for (unsigned t = 0; t < 16; ++t) {
        w[t] = load_be32(block + 4u * t);
    }
    uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
    uint32_t e = state[4], f = state[5], g = state[6], h = state[7];
    for (unsigned t = 0; t < 64; ++t) {
        if (t >= 16) {
            const uint32_t w15 = w[(t - 15u) & 15u];
            const uint32_t w2 = w[(t - 2u) & 15u];
            const uint32_t s0 = rotr(w15, 7) ^ rotr(w15, 18) ^ (w15 >> 3);
            const uint32_t s1 = rotr(w2, 17) ^ rotr(w2, 19) ^ (w2 >> 10);
            w[t & 15u] += s0 + w[(t - 7u) & 15u] + s1;
        }
        const uint32_t big_s1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25);
        const uint32_t ch = (e & f) ^ (~e & g);
        const uint32_t t1 = h + big_s1 + ch + k_round[t] + w[t & 15u];
        const uint32_t big_s0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22);
        const uint32_t maj = (a & b) ^ (a & c) ^ (b & c);
        const uint32_t t2 = big_s0 + maj;
        h = g;
        g = f;
        f = e;
        e = d + t1;
        d = c;
        c = b;
        b = a;
        a = t1 + t2;
    }
    state[0] += a;
    state[1] += b;
    state[2] += c;
    state[3] += d;
    state[4] += e;
    state[5] += f;
    state[6] += g;
    state[7] += h;
}

void fw_sha256_init(fw_sha256_ctx *ctx)
{
    /* First 32 bits of the fractional parts of the square roots of the first 8 primes. */
    static const uint32_t k_initial[8] = {
        0x6a09e667u, 0xbb67ae85u, 0x3c6ef372u, 0xa54ff53au,
        0x510e527fu, 0x9b05688cu, 0x1f83d9abu, 0x5be0cd19u,
    };
    memcpy(ctx->state, k_initial, sizeof ctx->state);
    ctx->total_len = 0;
    ctx->block_len = 0;
}

void fw_sha256_update(fw_sha256_ctx *ctx, const uint8_t *data, size_t len)
{
    ctx->total_len += (uint64_t)len;
    while (len > 0) {
        if (ctx->block_len == 0 && len >= FW_SHA256_BLOCK_LEN) {
            compress(ctx->state, data);
            data += FW_SHA256_BLOCK_LEN;
            len -= FW_SHA256_BLOCK_LEN;
            continue;
        }
        size_t take = FW_SHA256_BLOCK_LEN - ctx->block_len;
        if (take > len) {
            take = len;
        }
        memcpy(ctx->block + ctx->block_len, data, take);
        ctx->block_len += (uint32_t)take;
        data += take;
        len -= take;
        if (ctx->block_len == FW_SHA256_BLOCK_LEN) {
            compress(ctx->state, ctx->block);
            ctx->block_len = 0;
        }
    }
}

void fw_sha256_final(fw_sha256_ctx *ctx, uint8_t out[FW_SHA256_DIGEST_LEN])
{
    /* Padding: 0x80, zeros, then the message length in bits as a 64-bit big-endian number. */
    const uint64_t bit_len = ctx->total_len * 8u;
    ctx->block[ctx->block_len++] = 0x80u;
    if (ctx->block_len > FW_SHA256_BLOCK_LEN - 8u) {
        memset(ctx->block + ctx->block_len, 0, FW_SHA256_BLOCK_LEN - ctx->block_len);
        compress(ctx->state, ctx->block);
        ctx->block_len = 0;
    }
    memset(ctx->block + ctx->block_len, 0, FW_SHA256_BLOCK_LEN - 8u - ctx->block_len);
    store_be32(ctx->block + 56, (uint32_t)(bit_len >> 32));
    store_be32(ctx->block + 60, (uint32_t)bit_len);
    compress(ctx->state, ctx->block);
    for (unsigned i = 0; i < 8; ++i) {
        store_be32(out + 4u * i, ctx->state[i]);
    }
    memset(ctx, 0, sizeof *ctx);
}

void fw_sha256(const uint8_t *data, size_t len, uint8_t out[FW_SHA256_DIGEST_LEN])
{
    fw_sha256_ctx ctx;
    fw_sha256_init(&ctx);
    fw_sha256_update(&ctx, data, len);
    fw_sha256_final(&ctx, out);
}
