/*
 * SHA-256 (FIPS 180-4, section 6.2), streaming, no allocation.
 * A context is 108 bytes and may live on the stack; it is not thread-safe.
 */
#ifndef FW_SHA256_H
#define FW_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define FW_SHA256_DIGEST_LEN 32u
#define FW_SHA256_BLOCK_LEN 64u

typedef struct {
    uint32_t state[8];
    uint64_t total_len;                   /* bytes hashed so far */
    uint8_t block[FW_SHA256_BLOCK_LEN];   /* pending partial block */
    uint32_t block_len;                   /* bytes used in `block`, 0..63 */
} fw_sha256_ctx;

void fw_sha256_init(fw_sha256_ctx *ctx);
/* Hash `len` more bytes (`data` may be NULL when `len` is 0). */
void fw_sha256_update(fw_sha256_ctx *ctx, const uint8_t *data, size_t len);
/* Write the 32-byte digest to `out`; the context must be re-initialised before reuse. */
void fw_sha256_final(fw_sha256_ctx *ctx, uint8_t out[FW_SHA256_DIGEST_LEN]);
/* One-shot digest of `len` bytes. */
void fw_sha256(const uint8_t *data, size_t len, uint8_t out[FW_SHA256_DIGEST_LEN]);

#endif
