#include "fw_auth.h"

#include <string.h>

#include "fw_hmac_sha256.h"

void fw_key_table_init(fw_key_table *t) { memset(t, 0, sizeof *t); }

bool fw_key_table_add(fw_key_table *t, uint8_t key_id, const uint8_t key[ROVER_MCU_KEY_LEN])
{
    const uint8_t partner = rover_mcu_key_partner(key_id);
    if (partner == 0u || t->count >= ROVER_MCU_KEY_COUNT || fw_key_table_find(t, key_id)) {
        return false;
    }
    fw_key_slot *slot = &t->slots[t->count++];
    memset(slot, 0, sizeof *slot);
    slot->key_id = key_id;
    slot->partner_id = partner;
    memcpy(slot->key, key, ROVER_MCU_KEY_LEN);
    fw_replay_init(&slot->window);
    return true;
}

fw_key_slot *fw_key_table_find(fw_key_table *t, uint8_t key_id)
{
    for (size_t i = 0; i < t->count; ++i) {
        if (t->slots[i].key_id == key_id) {
            return &t->slots[i];
        }
    }
    return NULL;
}

void fw_tc_mac(const uint8_t key[ROVER_MCU_KEY_LEN], const uint8_t header[6],
               const uint8_t *signed_data, size_t signed_len, uint8_t out[ROVER_MCU_MAC_LEN])
{
    const uint8_t masked[6] = {
        header[0], header[1], (uint8_t)(header[2] & ROVER_MCU_MAC_HEADER_MASK_BYTE2), 0u,
        header[4], header[5],
    };
    fw_hmac_sha256_ctx ctx;
    uint8_t full[FW_HMAC_SHA256_LEN];
    fw_hmac_sha256_init(&ctx, key, ROVER_MCU_KEY_LEN);
    fw_hmac_sha256_update(&ctx, masked, sizeof masked);
    fw_hmac_sha256_update(&ctx, signed_data, signed_len);
    fw_hmac_sha256_final(&ctx, full);
    memcpy(out, full, ROVER_MCU_MAC_LEN);
}

bool fw_tc_mac_verify(const fw_key_slot *slot, const uint8_t header[6], const uint8_t *data,
                      size_t data_len)
{
    if (data_len < ROVER_MCU_TC_FIXED_LEN) {
        return false;
    }
    const size_t signed_len = data_len - ROVER_MCU_MAC_LEN;
    uint8_t expected[ROVER_MCU_MAC_LEN];
    fw_tc_mac(slot->key, header, data, signed_len, expected);
    return fw_equal_const_time(expected, data + signed_len, ROVER_MCU_MAC_LEN);
}

void fw_key_slot_store_ack(fw_key_slot *slot, uint32_t seq, uint16_t opcode, uint8_t status,
                           uint16_t detail)
{
    fw_stored_ack *ack = &slot->acks[seq % ROVER_MCU_REPLAY_WINDOW];
    ack->seq = seq;
    ack->opcode = opcode;
    ack->status = status;
    ack->detail = detail;
}

const fw_stored_ack *fw_key_slot_find_ack(const fw_key_slot *slot, uint32_t seq)
{
    const fw_stored_ack *ack = &slot->acks[seq % ROVER_MCU_REPLAY_WINDOW];
    return (seq != 0u && ack->seq == seq) ? ack : NULL;
}
