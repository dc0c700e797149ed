/*
 * Telecommand authentication (PROTOCOL.md sections 2.2, 4 and 5.2): the MCU's key table, one
 * slot per loaded key with its anti-replay window and its store of the acks of recent
 * sequence numbers (for answering duplicates without executing them again).
 *
 * MAC = HMAC-SHA256(key, masked primary header || data field before the MAC)[0:16], where the
 * masked header zeroes the 14-bit packet sequence count (h[2] &= 0xC0, h[3] = 0).
 */
#ifndef FW_AUTH_H
#define FW_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fw_replay_window.h"
#include "rover_mcu_dictionary.h"

typedef struct {
    uint32_t seq; /* tag: the sequence number this ack belongs to (0 = empty) */
    uint16_t opcode;
    uint16_t detail;
    uint8_t status;
} fw_stored_ack;

typedef struct {
    uint8_t key_id;
    uint8_t partner_id;
    uint8_t key[ROVER_MCU_KEY_LEN];
    fw_replay_window window;
    fw_stored_ack acks[ROVER_MCU_REPLAY_WINDOW]; /* slot seq mod 64 */
} fw_key_slot;

typedef struct {
    fw_key_slot slots[ROVER_MCU_KEY_COUNT];
    size_t count;
} fw_key_table;

void fw_key_table_init(fw_key_table *t);
/* Load a key; false if key_id is not in the dictionary, already loaded, or the table is full. */
bool fw_key_table_add(fw_key_table *t, uint8_t key_id, const uint8_t key[ROVER_MCU_KEY_LEN]);
/* The slot of key_id, or NULL if that key is not loaded. */
fw_key_slot *fw_key_table_find(fw_key_table *t, uint8_t key_id);

/* Full 16-byte MAC of a TC: `header` is the 6-byte primary header as transmitted, `signed_data`
 * the data field bytes before the MAC. */
void fw_tc_mac(const uint8_t key[ROVER_MCU_KEY_LEN], const uint8_t header[6],
               const uint8_t *signed_data, size_t signed_len, uint8_t out[ROVER_MCU_MAC_LEN]);
/* Check the MAC trailer of a TC data field (`data_len` >= ROVER_MCU_TC_FIXED_LEN), in constant
 * time with respect to the MAC bytes. */
bool fw_tc_mac_verify(const fw_key_slot *slot, const uint8_t header[6], const uint8_t *data,
                      size_t data_len);

/* Remember the ack of NEW sequence number `seq` (slot seq mod 64). */
void fw_key_slot_store_ack(fw_key_slot *slot, uint32_t seq, uint16_t opcode, uint8_t status,
                           uint16_t detail);
/* The stored ack of `seq`, or NULL if its slot holds another number. */
const fw_stored_ack *fw_key_slot_find_ack(const fw_key_slot *slot, uint32_t seq);

#endif
