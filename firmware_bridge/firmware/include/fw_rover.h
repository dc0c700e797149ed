/*
 * The rover MCU application, independent of any platform: bytes in (fw_rover_receive), time in
 * (fw_rover_tick), framed TM out through a write callback. It deframes telecommands,
 * authenticates and checks them (PROTOCOL.md section 3), acknowledges every one, executes the
 * valid ones against the motor and power models, and sends housekeeping and events.
 *
 * Use:
 *   fw_rover_init(&r, &config, write, ctx);
 *   fw_rover_add_key(&r, key_id, key);      (for each key of the key file)
 *   fw_rover_start(&r, now_ms);             (sends BOOT)
 *   loop: fw_rover_receive(&r, bytes, n); fw_rover_tick(&r, now_ms);
 *
 * All memory is inside fw_rover (about 5 KB); nothing is allocated. Not re-entrant.
 */
#ifndef FW_ROVER_H
#define FW_ROVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fw_auth.h"
#include "fw_deframer.h"
#include "fw_motor_model.h"
#include "fw_power_model.h"
#include "fw_telemetry.h"
#include "rover_mcu_dictionary.h"

#define FW_ROVER_FIRMWARE_VERSION 0x0100u  /* major << 8 | minor */
#define FW_ROVER_MAX_FRAME_PAYLOAD 256u    /* >= ROVER_MCU_MAX_TC_PACKET_LEN, so a TC with
                                              surplus argument bytes still gets a BAD_LENGTH ack */
#define FW_ROVER_DEFAULT_HK_PERIOD_MS 1000u
#define FW_ROVER_DEFERRED_MAX 8u
#define FW_ROVER_TM_APIDS 3u               /* ack, housekeeping, event */
#define FW_ROVER_LIMITED_POINTS 4u         /* housekeeping points with red limits */

/* Receives each complete TM frame; must take all `len` bytes. */
typedef void (*fw_rover_write_fn)(void *ctx, const uint8_t *frame, size_t len);

typedef struct {
    uint8_t robot_id;      /* dictionary `robots` id this MCU answers to */
    uint8_t reset_cause;   /* ROVER_MCU_RESET_CAUSE_*, reported in BOOT */
    uint8_t initial_rails; /* ROVER_MCU_RAIL_*_MASK bits on at start */
    float initial_soc_pct;
    fw_power_params power;
    fw_motor_params motor;
} fw_rover_config;

typedef struct {
    uint16_t apid;
    uint16_t len;
    uint8_t data[FW_TM_MAX_DATA_LEN];
} fw_deferred_tm;

typedef struct {
    fw_rover_config config;
    fw_rover_write_fn write;
    void *write_ctx;
    fw_key_table keys;
    fw_deframer deframer;
    uint8_t deframer_storage[FW_DEFRAMER_STORAGE_LEN(FW_ROVER_MAX_FRAME_PAYLOAD)];
    fw_motor_model motor;
    fw_power_model power;

    bool started;
    uint32_t boot_ms;    /* platform time at start */
    uint32_t last_tick_ms;
    uint32_t uptime_ms;
    uint32_t next_hk_ms; /* uptime of the next unsolicited housekeeping */
    uint16_t hk_period_ms;
    uint8_t mode;
    uint8_t rails;
    bool brownout_latched;
    bool in_red[FW_ROVER_LIMITED_POINTS];

    uint16_t commands_accepted;
    uint16_t commands_rejected;
    uint16_t commands_duplicate;
    uint8_t last_rejected_reason;
    uint16_t last_rejected_opcode;
    uint32_t last_command_seq;
    uint16_t rx_frames_ok;
    uint16_t rx_frames_bad;
    uint16_t rx_packets_dropped;
    uint16_t tm_packets_sent;
    uint16_t tm_seq[FW_ROVER_TM_APIDS];

    /* TM a command causes is held here until its ack has gone out. */
    bool defer_tm;
    size_t deferred_count;
    fw_deferred_tm deferred[FW_ROVER_DEFERRED_MAX];
} fw_rover;

/* Defaults: robot rover_r1, power-on reset, RADIO rail on, 80 % charge, default models. */
fw_rover_config fw_rover_default_config(void);
/* Set up (no TM yet); false if the configuration is invalid (robot id 0, no write, a model
 * parameter not positive). */
bool fw_rover_init(fw_rover *r, const fw_rover_config *config, fw_rover_write_fn write,
                   void *write_ctx);
/* Load a command key; false if key_id is not in the dictionary or already loaded. */
bool fw_rover_add_key(fw_rover *r, uint8_t key_id, const uint8_t key[ROVER_MCU_KEY_LEN]);
/* Start the clock at platform time `now_ms` and send the BOOT event. */
void fw_rover_start(fw_rover *r, uint32_t now_ms);
/* Feed received bytes (any amount, any chunking); handles every complete TC at once. */
void fw_rover_receive(fw_rover *r, const uint8_t *data, size_t len);
/* Advance the models to platform time `now_ms`; sends due housekeeping and events. */
void fw_rover_tick(fw_rover *r, uint32_t now_ms);
/* Fill a housekeeping snapshot of the current state. */
void fw_rover_housekeeping(const fw_rover *r, fw_housekeeping *hk);

#endif
