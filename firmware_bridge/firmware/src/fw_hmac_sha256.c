#include "fw_hmac_sha256.h"

#include <string.h>

#define IPAD 0x36u
#define OPAD 0x5Cu

void fw_hmac_sha256_init(fw_hmac_sha256_ctx *ctx, const uint8_t *key, size_t key_len)
{
    uint8_t block_key[FW_SHA256_BLOCK_LEN];
    memset(block_key, 0, sizeof block_key);
    if (key_len > FW_SHA256_BLOCK_LEN) {
        fw_sha256(key, key_len, block_key);
    } else if (key_len > 0) {
        memcpy(block_key, key, key_len);
    }
    uint8_t inner_key[FW_SHA256_BLOCK_LEN];
    for (unsigned i = 0; i < FW_SHA256_BLOCK_LEN; ++i) {
        inner_key[i] = (uint8_t)(block_key[i] ^ IPAD);
        ctx->outer_key[i] = (uint8_t)(block_key[i] ^ OPAD);
    }
    fw_sha256_init(&ctx->inner);
    fw_sha256_update(&ctx->inner, inner_key, sizeof inner_key);
    memset(block_key, 0, sizeof block_key);
    memset(inner_key, 0, sizeof inner_key);
}

void fw_hmac_sha256_update(fw_hmac_sha256_ctx *ctx, const uint8_t *data, size_t len)
{
    fw_sha256_update(&ctx->inner, data, len);
}

void fw_hmac_sha256_final(fw_hmac_sha256_ctx *ctx, uint8_t out[FW_HMAC_SHA256_LEN])
{
    uint8_t inner_digest[FW_SHA256_DIGEST_LEN];
    fw_sha256_final(&ctx->inner, inner_digest);
    fw_sha256_ctx outer;
    fw_sha256_init(&outer);
    fw_sha256_update(&outer, ctx->outer_key, sizeof ctx->outer_key);
    fw_sha256_update(&outer, inner_digest, sizeof inner_digest);
    fw_sha256_final(&outer, out);
    memset(inner_digest, 0, sizeof inner_digest);
    memset(ctx, 0, sizeof *ctx);
}

void fw_hmac_sha256(const uint8_t *key, size_t key_len, const uint8_t *data, size_t len,
                    uint8_t out[FW_HMAC_SHA256_LEN])
{
    fw_hmac_sha256_ctx ctx;
    fw_hmac_sha256_init(&ctx, key, key_len);
    fw_hmac_sha256_update(&ctx, data, len);
    fw_hmac_sha256_final(&ctx, out);
}

bool fw_equal_const_time(const uint8_t *a, const uint8_t *b, size_t len)
{
    uint8_t diff = 0;
    for (size_t i = 0; i < len; ++i) {
        diff = (uint8_t)(diff | (a[i] ^ b[i]));
    }
    return diff == 0;
}
