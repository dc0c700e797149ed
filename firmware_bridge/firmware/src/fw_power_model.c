#include "fw_power_model.h"

fw_power_params fw_power_default_params(void)
{
    const fw_power_params params = {
        .capacity_ah = 20.0f,
        .ocv_empty_v = 21.0f,
        .ocv_full_v = 32.4f,
        .internal_resistance_ohm = 0.1f,
        .base_current_a = 0.15f,
        .rail_current_a = {0.8f, 1.5f, 0.5f, 0.6f}, /* PAYLOAD, HEATER, RADIO, CAMERA */
        .motor_a_per_mps = 6.0f,
        .motor_running_a = 0.2f,
        .ambient_c = 20.0f,
        .self_heating_c_per_a = 1.5f,
        .thermal_time_constant_s = 60.0f,
    };
    return params;
}

static float abs_f(float x) { return x < 0.0f ? -x : x; }

static float bus_current(const fw_power_params *pp, uint8_t rails_mask, float left_mps,
                         float right_mps)
{
    float amps = pp->base_current_a;
    for (unsigned rail = 0; rail < FW_POWER_RAIL_COUNT; ++rail) {
        if (((unsigned)rails_mask >> rail) & 1u) {
            amps += pp->rail_current_a[rail];
        }
    }
    const float wheels[2] = {left_mps, right_mps};
    for (unsigned w = 0; w < 2; ++w) {
        if (wheels[w] != 0.0f) {
            amps += pp->motor_running_a + pp->motor_a_per_mps * abs_f(wheels[w]);
        }
    }
    return amps;
}

float fw_power_soc_pct(const fw_power_model *p)
{
    return (float)(p->charge_ah / (double)p->params.capacity_ah * 100.0);
}

static void update_voltage(fw_power_model *p)
{
    const fw_power_params *pp = &p->params;
    const float soc = fw_power_soc_pct(p) * 0.01f;
    const float ocv = pp->ocv_empty_v + (pp->ocv_full_v - pp->ocv_empty_v) * soc;
    p->battery_v = ocv - p->bus_current_a * pp->internal_resistance_ohm;
}

void fw_power_init(fw_power_model *p, const fw_power_params *params, float soc_pct)
{
    p->params = *params;
    if (!(soc_pct >= 0.0f)) {
        soc_pct = 0.0f;
    }
    if (soc_pct > 100.0f) {
        soc_pct = 100.0f;
    }
    p->charge_ah = (double)params->capacity_ah * (double)soc_pct / 100.0;
    p->bus_current_a = bus_current(params, 0, 0.0f, 0.0f);
    p->board_temp_c = params->ambient_c;
    update_voltage(p);
}

void fw_power_step(fw_power_model *p, uint32_t dt_ms, uint8_t rails_mask, float left_mps,
                   float right_mps)
{
    const fw_power_params *pp = &p->params;
    p->bus_current_a = bus_current(pp, rails_mask, left_mps, right_mps);
    const double dt_h = (double)dt_ms / 3600000.0;
    p->charge_ah -= (double)p->bus_current_a * dt_h;
    if (p->charge_ah < 0.0) {
        p->charge_ah = 0.0;
    }
    if (p->charge_ah > (double)pp->capacity_ah) {
        p->charge_ah = (double)pp->capacity_ah;
    }
    update_voltage(p);
    /* First-order lag towards the target; dt/(tau + dt) approximates 1 - exp(-dt/tau) and
     * stays within 0..1 for any step length. */
    const float dt_s = (float)dt_ms * 0.001f;
    const float target = pp->ambient_c + pp->self_heating_c_per_a * p->bus_current_a;
    p->board_temp_c += (target - p->board_temp_c) * dt_s / (pp->thermal_time_constant_s + dt_s);
}
