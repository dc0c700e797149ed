/*
 * HMAC-SHA256 (RFC 2104 with SHA-256; test vectors in RFC 4231), streaming, no allocation.
 */
#ifndef FW_HMAC_SHA256_H
#define FW_HMAC_SHA256_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fw_sha256.h"

#define FW_HMAC_SHA256_LEN FW_SHA256_DIGEST_LEN

typedef struct {
    fw_sha256_ctx inner;
    uint8_t outer_key[FW_SHA256_BLOCK_LEN]; /* key XOR opad, kept for final() */
} fw_hmac_sha256_ctx;

/* Start a MAC with a key of any length (keys longer than 64 bytes are hashed first). */
void fw_hmac_sha256_init(fw_hmac_sha256_ctx *ctx, const uint8_t *key, size_t key_len);
void fw_hmac_sha256_update(fw_hmac_sha256_ctx *ctx, const uint8_t *data, size_t len);
/* Write the full 32-byte tag; wipes the context. */
void fw_hmac_sha256_final(fw_hmac_sha256_ctx *ctx, uint8_t out[FW_HMAC_SHA256_LEN]);
void fw_hmac_sha256(const uint8_t *key, size_t key_len, const uint8_t *data, size_t len,
                    uint8_t out[FW_HMAC_SHA256_LEN]);

/* Compare `len` bytes in time that depends only on `len` (for MAC checks). */
bool fw_equal_const_time(const uint8_t *a, const uint8_t *b, size_t len);

#endif
