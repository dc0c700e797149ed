/*
 * Anti-replay window over 32-bit security sequence numbers, one per key, in the spirit of
 * CCSDS 355.0 (SDLS) and RFC 4303's sliding window: the highest number seen plus a bitmap of
 * the FW_REPLAY_WINDOW_WIDTH numbers ending at it.
 *
 *   seq == 0                               -> REPLAY (0 is never valid)
 *   seq <= highest - WIDTH                 -> REPLAY (too old to judge)
 *   highest - WIDTH < seq <= highest, seen -> DUPLICATE
 *   otherwise                              -> NEW
 *
 * fw_replay_check never changes the window; fw_replay_accept records a NEW number and is called
 * only after the packet's MAC has verified, so forged packets cannot move the window.
 */
#ifndef FW_REPLAY_WINDOW_H
#define FW_REPLAY_WINDOW_H

#include <stdbool.h>
#include <stdint.h>

#define FW_REPLAY_WINDOW_WIDTH 64u

typedef enum {
    FW_REPLAY_NEW = 0,
    FW_REPLAY_DUPLICATE,
    FW_REPLAY_REPLAY,
} fw_replay_verdict;

typedef struct {
    uint32_t highest; /* highest accepted sequence number, 0 = none yet */
    uint64_t seen;    /* bit i set: (highest - i) was accepted, i in 0..63 */
} fw_replay_window;

void fw_replay_init(fw_replay_window *w);
fw_replay_verdict fw_replay_check(const fw_replay_window *w, uint32_t seq);
/* Record `seq`; returns false (window unchanged) unless fw_replay_check says NEW. */
bool fw_replay_accept(fw_replay_window *w, uint32_t seq);

#endif
