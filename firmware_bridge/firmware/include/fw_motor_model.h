/*
 * Two-wheel (skid-steer) motor model: each wheel's speed follows its commanded speed with a
 * bounded acceleration; the odometer integrates |left + right| / 2. Speeds in m/s (forward
 * positive), time in ms. Integration uses 1 ms steps (trapezoidal), so results do not depend
 * on how often fw_motor_step is called.
 */
#ifndef FW_MOTOR_MODEL_H
#define FW_MOTOR_MODEL_H

#include <stdbool.h>
#include <stdint.h>

typedef struct {
    float max_accel_mps2; /* per wheel, > 0 */
} fw_motor_params;

typedef struct {
    fw_motor_params params;
    float target_left_mps;
    float target_right_mps;
    float left_mps;  /* measured (modelled) speed */
    float right_mps;
    double odometer_m;
    uint32_t drive_remaining_ms; /* time left of the current DRIVE */
    bool driving;                /* a DRIVE is in progress */
} fw_motor_model;

void fw_motor_init(fw_motor_model *m, const fw_motor_params *params);
/* Start a drive at the given speeds for `duration_ms` (> 0); replaces any current drive. */
void fw_motor_drive(fw_motor_model *m, float left_mps, float right_mps, uint32_t duration_ms);
/* Command both wheels to 0 now and end the drive (wheels then decelerate). */
void fw_motor_stop(fw_motor_model *m);
/* Advance by `dt_ms`. Returns true if the drive's duration ran out during this step (the
 * wheels are then commanded to 0 and `driving` is false). */
bool fw_motor_step(fw_motor_model *m, uint32_t dt_ms);
/* True while either wheel turns. */
bool fw_motor_moving(const fw_motor_model *m);

#endif
