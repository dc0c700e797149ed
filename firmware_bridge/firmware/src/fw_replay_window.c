#include "fw_replay_window.h"

void fw_replay_init(fw_replay_window *w)
{
    w->highest = 0;
    w->seen = 0;
}

fw_replay_verdict fw_replay_check(const fw_replay_window *w, uint32_t seq)
{
    if (seq == 0u) {
        return FW_REPLAY_REPLAY;
    }
    if (seq > w->highest) {
        return FW_REPLAY_NEW;
    }
    const uint32_t behind = w->highest - seq; /* no wrap: seq <= highest */
    if (behind >= FW_REPLAY_WINDOW_WIDTH) {
        return FW_REPLAY_REPLAY;
    }
    return ((w->seen >> behind) & 1u) != 0 ? FW_REPLAY_DUPLICATE : FW_REPLAY_NEW;
}

bool fw_replay_accept(fw_replay_window *w, uint32_t seq)
{
    if (fw_replay_check(w, seq) != FW_REPLAY_NEW) {
        return false;
    }
    if (seq > w->highest) {
        const uint32_t ahead = seq - w->highest;
        w->seen = ahead >= FW_REPLAY_WINDOW_WIDTH ? 0u : (w->seen << ahead);
        w->seen |= 1u;
        w->highest = seq;
    } else {
        w->seen |= (uint64_t)1u << (w->highest - seq);
    }
    return true;
}
