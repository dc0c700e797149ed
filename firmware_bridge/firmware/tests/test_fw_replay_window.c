#include "fw_replay_window.h"
#include "fw_test.h"

static void zero_is_never_valid(void)
{
    fw_replay_window w;
    fw_replay_init(&w);
    CHECK_EQ_U(fw_replay_check(&w, 0), FW_REPLAY_REPLAY);
    CHECK(!fw_replay_accept(&w, 0));
    CHECK_EQ_U(w.highest, 0);
}

static void in_order_then_duplicate(void)
{
    fw_replay_window w;
    fw_replay_init(&w);
    for (uint32_t s = 1; s <= 10; ++s) {
        CHECK_EQ_U(fw_replay_check(&w, s), FW_REPLAY_NEW);
        CHECK(fw_replay_accept(&w, s));
    }
    for (uint32_t s = 1; s <= 10; ++s) {
        CHECK_EQ_U(fw_replay_check(&w, s), FW_REPLAY_DUPLICATE);
        CHECK(!fw_replay_accept(&w, s));
    }
    CHECK_EQ_U(w.highest, 10);
}

/* The window is highest-63 .. highest: highest-64 is a replay, highest-63 still judged. */
static void window_edges(void)
{
    fw_replay_window w;
    fw_replay_init(&w);
    CHECK(fw_replay_accept(&w, 100));
    CHECK_EQ_U(fw_replay_check(&w, 36), FW_REPLAY_REPLAY);
    CHECK_EQ_U(fw_replay_check(&w, 37), FW_REPLAY_NEW);
    CHECK(fw_replay_accept(&w, 37));
    CHECK_EQ_U(fw_replay_check(&w, 37), FW_REPLAY_DUPLICATE);
    CHECK(fw_replay_accept(&w, 101));
    CHECK_EQ_U(fw_replay_check(&w, 37), FW_REPLAY_REPLAY);
    CHECK_EQ_U(fw_replay_check(&w, 38), FW_REPLAY_NEW);
}

static void out_of_order_within_window(void)
{
    fw_replay_window w;
    fw_replay_init(&w);
    CHECK(fw_replay_accept(&w, 5));
    CHECK(fw_replay_accept(&w, 3));
    CHECK(fw_replay_accept(&w, 4));
    CHECK(!fw_replay_accept(&w, 3));
    CHECK_EQ_U(fw_replay_check(&w, 1), FW_REPLAY_NEW);
    CHECK_EQ_U(fw_replay_check(&w, 2), FW_REPLAY_NEW);
    CHECK_EQ_U(w.highest, 5);
}

static void big_jump_clears_mask(void)
{
    fw_replay_window w;
    fw_replay_init(&w);
    CHECK(fw_replay_accept(&w, 1));
    CHECK(fw_replay_accept(&w, 65)); /* shift 64 */
    CHECK_EQ_U(w.seen, 1);
    CHECK_EQ_U(fw_replay_check(&w, 1), FW_REPLAY_REPLAY);
    CHECK_EQ_U(fw_replay_check(&w, 2), FW_REPLAY_NEW);
    CHECK(fw_replay_accept(&w, 0xFFFFFFFFu));
    CHECK_EQ_U(w.highest, 0xFFFFFFFFu);
    CHECK_EQ_U(fw_replay_check(&w, 0xFFFFFFFFu), FW_REPLAY_DUPLICATE);
    CHECK_EQ_U(fw_replay_check(&w, 0xFFFFFFFFu - 63u), FW_REPLAY_NEW);
    CHECK_EQ_U(fw_replay_check(&w, 0xFFFFFFFFu - 64u), FW_REPLAY_REPLAY);
    CHECK_EQ_U(fw_replay_check(&w, 65), FW_REPLAY_REPLAY);
}

/* Shift by 63 keeps the old highest as the oldest bit. */
static void shift_by_63_keeps_oldest(void)
{
    fw_replay_window w;
    fw_replay_init(&w);
    CHECK(fw_replay_accept(&w, 10));
    CHECK(fw_replay_accept(&w, 73));
    CHECK_EQ_U(fw_replay_check(&w, 10), FW_REPLAY_DUPLICATE);
    CHECK_EQ_U(fw_replay_check(&w, 11), FW_REPLAY_NEW);
    CHECK_EQ_U(fw_replay_check(&w, 9), FW_REPLAY_REPLAY);
}

/* Compare with a model that remembers every accepted number explicitly. */
static void matches_explicit_model(void)
{
    enum { N = 300 };
    static bool accepted[N + 1];
    for (unsigned i = 0; i <= N; ++i) {
        accepted[i] = false;
    }
    fw_replay_window w;
    fw_replay_init(&w);
    uint32_t highest = 0;
    uint32_t state = 77u;
    for (unsigned step = 0; step < 3000; ++step) {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        uint32_t s = highest + 8u - state % 80u;
        if (s > N) {
            s = state % (N + 1u);
        }
        fw_replay_verdict want;
        if (s == 0 || (s <= highest && highest - s >= 64u)) {
            want = FW_REPLAY_REPLAY;
        } else if (accepted[s]) {
            want = FW_REPLAY_DUPLICATE;
        } else {
            want = FW_REPLAY_NEW;
        }
        CHECK_EQ_U(fw_replay_check(&w, s), want);
        if (want == FW_REPLAY_NEW) {
            CHECK(fw_replay_accept(&w, s));
            accepted[s] = true;
            highest = s > highest ? s : highest;
        }
    }
}

const fw_test_case replay_cases[] = {
    {"replay_window/zero_is_never_valid", zero_is_never_valid},
    {"replay_window/in_order_then_duplicate", in_order_then_duplicate},
    {"replay_window/window_edges", window_edges},
    {"replay_window/out_of_order_within_window", out_of_order_within_window},
    {"replay_window/big_jump_clears_mask", big_jump_clears_mask},
    {"replay_window/shift_by_63_keeps_oldest", shift_by_63_keeps_oldest},
    {"replay_window/matches_explicit_model", matches_explicit_model},
};
const size_t replay_count = sizeof replay_cases / sizeof replay_cases[0];
