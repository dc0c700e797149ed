#include <string.h>

#include "fw_auth.h"
#include "fw_test.h"
#include "test_util.h"

/* PROTOCOL.md 2.3: the MAC ignores the packet sequence count (5 on the wire). */
static void protocol_drive_mac(void)
{
    uint8_t key[32];
    test_key(1, key);
    uint8_t packet[64];
    const size_t n = test_hex("11 00 C0 05 00 23"
                              "01 01 00 00 00 01 00 10 3E 80 00 00 BE 80 00 00 00 00 05 DC"
                              "87 1D 7C 6C 06 91 1F 62 62 75 9D FF 2C BF 43 F0",
                              packet, sizeof packet);
    CHECK_EQ_U(n, 42);
    uint8_t mac[16];
    fw_tc_mac(key, packet, packet + 6, 20, mac);
    CHECK(memcmp(mac, packet + 26, 16) == 0);

    fw_key_table t;
    fw_key_table_init(&t);
    CHECK(fw_key_table_add(&t, 1, key));
    const fw_key_slot *slot = fw_key_table_find(&t, 1);
    CHECK(slot != NULL);
    CHECK(fw_tc_mac_verify(slot, packet, packet + 6, 36));
    /* Another packet sequence count: same MAC (retries keep their MAC). */
    packet[3] = 0x77;
    packet[2] = 0xC1;
    CHECK(fw_tc_mac_verify(slot, packet, packet + 6, 36));
    /* Sequence flags, type or APID changed: the MAC fails. */
    packet[2] = 0x41;
    CHECK(!fw_tc_mac_verify(slot, packet, packet + 6, 36));
    packet[2] = 0xC1;
    packet[1] = 0x01;
    CHECK(!fw_tc_mac_verify(slot, packet, packet + 6, 36));
    packet[1] = 0x00;
    /* Any bit of the data field or MAC changed: the MAC fails. */
    for (size_t byte = 6; byte < n; ++byte) {
        packet[byte] ^= 0x10u;
        CHECK(!fw_tc_mac_verify(slot, packet, packet + 6, 36));
        packet[byte] ^= 0x10u;
    }
    CHECK(fw_tc_mac_verify(slot, packet, packet + 6, 36));
    CHECK(!fw_tc_mac_verify(slot, packet, packet + 6, 23));
}

static void key_table_follows_dictionary(void)
{
    uint8_t key[32];
    test_key(1, key);
    fw_key_table t;
    fw_key_table_init(&t);
    CHECK(!fw_key_table_add(&t, 3, key)); /* not a dictionary key id */
    CHECK(fw_key_table_add(&t, 10, key));
    CHECK(!fw_key_table_add(&t, 10, key));
    const fw_key_slot *slot = fw_key_table_find(&t, 10);
    CHECK(slot != NULL && slot->partner_id == ROVER_MCU_PARTNER_ROSCOSMOS);
    CHECK(fw_key_table_find(&t, 1) == NULL);
    CHECK(fw_key_table_add(&t, 1, key));
    CHECK(fw_key_table_add(&t, 2, key));
    CHECK(fw_key_table_add(&t, 20, key));
    CHECK(fw_key_table_add(&t, 30, key));
    CHECK_EQ_U(t.count, ROVER_MCU_KEY_COUNT);
}

static void ack_store_is_tagged(void)
{
    uint8_t key[32];
    test_key(2, key);
    fw_key_table t;
    fw_key_table_init(&t);
    CHECK(fw_key_table_add(&t, 2, key));
    fw_key_slot *slot = fw_key_table_find(&t, 2);
    CHECK(fw_key_slot_find_ack(slot, 5) == NULL);
    CHECK(fw_key_slot_find_ack(slot, 0) == NULL);
    fw_key_slot_store_ack(slot, 5, 0x10, ROVER_MCU_ACK_STATUS_ACCEPTED, 0);
    const fw_stored_ack *a = fw_key_slot_find_ack(slot, 5);
    CHECK(a != NULL && a->opcode == 0x10 && a->status == ROVER_MCU_ACK_STATUS_ACCEPTED);
    fw_key_slot_store_ack(slot, 69, 0x11, ROVER_MCU_ACK_STATUS_EXECUTED, 0);
    CHECK(fw_key_slot_find_ack(slot, 5) == NULL);
    CHECK(fw_key_slot_find_ack(slot, 69) != NULL);
}

const fw_test_case auth_cases[] = {
    {"auth/protocol_drive_mac", protocol_drive_mac},
    {"auth/key_table_follows_dictionary", key_table_follows_dictionary},
    {"auth/ack_store_is_tagged", ack_store_is_tagged},
};
const size_t auth_count = sizeof auth_cases / sizeof auth_cases[0];
