#include "fw_motor_model.h"

void fw_motor_init(fw_motor_model *m, const fw_motor_params *params)
{
    m->params = *params;
    m->target_left_mps = 0.0f;
    m->target_right_mps = 0.0f;
    m->left_mps = 0.0f;
    m->right_mps = 0.0f;
    m->odometer_m = 0.0;
    m->drive_remaining_ms = 0;
    m->driving = false;
}

void fw_motor_drive(fw_motor_model *m, float left_mps, float right_mps, uint32_t duration_ms)
{
    if (duration_ms == 0u) {
        fw_motor_stop(m);
        return;
    }
    m->target_left_mps = left_mps;
    m->target_right_mps = right_mps;
    m->drive_remaining_ms = duration_ms;
    m->driving = true;
}

void fw_motor_stop(fw_motor_model *m)
{
    m->target_left_mps = 0.0f;
    m->target_right_mps = 0.0f;
    m->drive_remaining_ms = 0;
    m->driving = false;
}

/* Move `speed` towards `target` by at most `max_change`. */
static float approach(float speed, float target, float max_change)
{
    if (target > speed + max_change) {
        return speed + max_change;
    }
    if (target < speed - max_change) {
        return speed - max_change;
    }
    return target;
}

static float abs_f(float x) { return x < 0.0f ? -x : x; }

bool fw_motor_step(fw_motor_model *m, uint32_t dt_ms)
{
    const float max_change = m->params.max_accel_mps2 * 0.001f;
    bool finished = false;
    for (uint32_t i = 0; i < dt_ms; ++i) {
        const float before = abs_f(m->left_mps + m->right_mps) * 0.5f;
        m->left_mps = approach(m->left_mps, m->target_left_mps, max_change);
        m->right_mps = approach(m->right_mps, m->target_right_mps, max_change);
        const float after = abs_f(m->left_mps + m->right_mps) * 0.5f;
        m->odometer_m += (double)(before + after) * 0.5 * 0.001;
        /* `driving` implies drive_remaining_ms > 0: the targets held for exactly the duration. */
        if (m->driving && --m->drive_remaining_ms == 0u) {
            fw_motor_stop(m);
            finished = true;
        }
    }
    return finished;
}

bool fw_motor_moving(const fw_motor_model *m)
{
    return m->left_mps != 0.0f || m->right_mps != 0.0f;
}
