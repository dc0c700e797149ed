/* Tests of src/fw_motor_model.c and src/fw_power_model.c. */
#include "fw_motor_model.h"
#include "fw_power_model.h"
#include "fw_test.h"

static bool near(double a, double b, double tol) { return a - b <= tol && b - a <= tol; }

static fw_motor_model motor(void)
{
    fw_motor_model m;
    const fw_motor_params p = {0.5f};
    fw_motor_init(&m, &p);
    return m;
}

static void acceleration_is_limited(void)
{
    fw_motor_model m = motor();
    fw_motor_drive(&m, 0.5f, -0.25f, 10000);
    CHECK(!fw_motor_step(&m, 100));
    CHECK(near(m.left_mps, 0.05, 1e-4));
    CHECK(near(m.right_mps, -0.05, 1e-4));
    CHECK(!fw_motor_step(&m, 900));
    CHECK(near(m.left_mps, 0.5, 1e-4));
    CHECK(near(m.right_mps, -0.25, 1e-6));
    CHECK(fw_motor_moving(&m));
}

/* 0.5 m/s for 2 s with 0.5 m/s^2: 0.25 m ramping up, 0.5 m cruising, 0.25 m braking. */
static void drive_ends_after_duration_and_odometer_integrates(void)
{
    fw_motor_model m = motor();
    fw_motor_drive(&m, 0.5f, 0.5f, 2000);
    CHECK(!fw_motor_step(&m, 1999));
    CHECK(m.driving);
    CHECK(fw_motor_step(&m, 1));
    CHECK(!m.driving);
    CHECK(near(m.odometer_m, 0.75, 1e-3));
    CHECK(!fw_motor_step(&m, 1500));
    CHECK(!fw_motor_moving(&m));
    CHECK(near(m.odometer_m, 1.0, 1e-3));
}

static void step_size_does_not_matter(void)
{
    fw_motor_model a = motor();
    fw_motor_model b = motor();
    fw_motor_drive(&a, 0.3f, 0.1f, 1234);
    fw_motor_drive(&b, 0.3f, 0.1f, 1234);
    bool done_a = fw_motor_step(&a, 3000);
    bool done_b = false;
    for (int i = 0; i < 3000; ++i) {
        done_b = fw_motor_step(&b, 1) || done_b;
    }
    CHECK(done_a && done_b);
    CHECK(near(a.odometer_m, b.odometer_m, 1e-9));
}

static void turning_in_place_adds_no_distance(void)
{
    fw_motor_model m = motor();
    fw_motor_drive(&m, 0.4f, -0.4f, 1000);
    fw_motor_step(&m, 3000);
    CHECK(near(m.odometer_m, 0.0, 1e-9));
}

static void stop_and_zero_duration(void)
{
    fw_motor_model m = motor();
    fw_motor_drive(&m, 0.2f, 0.2f, 5000);
    fw_motor_step(&m, 1000);
    fw_motor_stop(&m);
    CHECK(!m.driving);
    fw_motor_step(&m, 1000);
    CHECK(!fw_motor_moving(&m));
    fw_motor_drive(&m, 0.2f, 0.2f, 0);
    CHECK(!m.driving);
    fw_motor_step(&m, 100);
    CHECK(!fw_motor_moving(&m));
}

static void power_idle_and_loaded(void)
{
    const fw_power_params p = fw_power_default_params();
    fw_power_model pm;
    fw_power_init(&pm, &p, 50.0f);
    fw_power_step(&pm, 1, 0x04, 0.0f, 0.0f); /* RADIO only */
    CHECK(near(pm.bus_current_a, 0.65, 1e-5));
    CHECK(near(pm.battery_v, 21.0 + 11.4 * 0.5 - 0.065, 1e-3));
    fw_power_step(&pm, 1, 0x0F, 0.5f, -0.5f); /* every rail, both wheels at 0.5 m/s */
    CHECK(near(pm.bus_current_a, 0.15 + 3.4 + 2.0 * (0.2 + 3.0), 1e-4));
    CHECK(pm.battery_v < 21.0f + 11.4f * 0.5f - 0.9f);
}

static void charge_follows_current(void)
{
    const fw_power_params p = fw_power_default_params();
    fw_power_model pm;
    fw_power_init(&pm, &p, 50.0f);
    /* 3.55 A for one hour from 10 Ah of 20 Ah: 6.45 Ah left, 32.25 % */
    for (int i = 0; i < 3600; ++i) {
        fw_power_step(&pm, 1000, 0x0F, 0.0f, 0.0f);
    }
    CHECK(near(fw_power_soc_pct(&pm), 32.25, 0.01));
    /* steady board temperature: ambient + 1.5 degC/A */
    CHECK(near(pm.board_temp_c, 20.0 + 1.5 * 3.55, 0.01));
}

static void never_below_empty(void)
{
    const fw_power_params p = fw_power_default_params();
    fw_power_model pm;
    fw_power_init(&pm, &p, 0.01f);
    fw_power_step(&pm, 3600000, 0x0F, 0.5f, 0.5f);
    CHECK(fw_power_soc_pct(&pm) >= 0.0f);
    CHECK(pm.battery_v < 22.0f);
    fw_power_init(&pm, &p, 250.0f);
    CHECK(near(fw_power_soc_pct(&pm), 100.0, 1e-6));
}

const fw_test_case models_cases[] = {
    {"motor_model/acceleration_is_limited", acceleration_is_limited},
    {"motor_model/drive_ends_after_duration_and_odometer_integrates",
     drive_ends_after_duration_and_odometer_integrates},
    {"motor_model/step_size_does_not_matter", step_size_does_not_matter},
    {"motor_model/turning_in_place_adds_no_distance", turning_in_place_adds_no_distance},
    {"motor_model/stop_and_zero_duration", stop_and_zero_duration},
    {"power_model/idle_and_loaded", power_idle_and_loaded},
    {"power_model/charge_follows_current", charge_follows_current},
    {"power_model/never_below_empty", never_below_empty},
};
const size_t models_count = sizeof models_cases / sizeof models_cases[0];
