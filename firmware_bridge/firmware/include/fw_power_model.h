/*
 * Power model: one battery feeding a bus. Bus current (A, discharge positive) = MCU base load
 * + the switched rails that are on + each turning wheel's motor. The battery's open-circuit
 * voltage is linear in its state of charge; the bus sees it minus current x internal
 * resistance. The board temperature relaxes towards ambient + self-heating from the current.
 */
#ifndef FW_POWER_MODEL_H
#define FW_POWER_MODEL_H

#include <stdint.h>

#define FW_POWER_RAIL_COUNT 4u

typedef struct {
    float capacity_ah;             /* usable charge at 100 % */
    float ocv_empty_v;             /* open-circuit voltage at 0 % */
    float ocv_full_v;              /* open-circuit voltage at 100 % */
    float internal_resistance_ohm;
    float base_current_a;          /* MCU and sensors, always on */
    float rail_current_a[FW_POWER_RAIL_COUNT]; /* per switched rail when on (bit n = rail n) */
    float motor_a_per_mps;         /* per wheel, times |speed| */
    float motor_running_a;         /* per wheel while it turns (friction, electronics) */
    float ambient_c;               /* board temperature with no load */
    float self_heating_c_per_a;    /* steady-state rise per ampere of bus current */
    float thermal_time_constant_s;
} fw_power_params;

typedef struct {
    fw_power_params params;
    double charge_ah;     /* remaining, 0..capacity_ah */
    float bus_current_a;
    float battery_v;
    float board_temp_c;
} fw_power_model;

/* The defaults the firmware uses (a 28 V, 20 Ah rover battery; see README). */
fw_power_params fw_power_default_params(void);
/* Start at `soc_pct` (clamped to 0..100), at ambient temperature, with no load. */
void fw_power_init(fw_power_model *p, const fw_power_params *params, float soc_pct);
/* Advance by `dt_ms` with the given rails switched on and wheel speeds. */
void fw_power_step(fw_power_model *p, uint32_t dt_ms, uint8_t rails_mask, float left_mps,
                   float right_mps);
float fw_power_soc_pct(const fw_power_model *p);

#endif
