"""Power and thermal physics: energy balance of the battery, no generation in shadow (real
terrain and ephemeris), the thermal node settling at the lumped model's analytic equilibrium,
and heaters holding the setpoint while power allows."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ilrs_auto.assets import assets_dir
from ilrs_auto.sim.ephemeris import default_ephemeris
from ilrs_auto.sim.horizon import site_of_cell
from ilrs_auto.sim.power import (
    DARK,
    SOLAR_CONSTANT_W_M2,
    STEFAN_BOLTZMANN,
    Activity,
    PowerSystem,
    SunAtRover,
    SunSample,
    equilibrium_temperature_k,
)
from ilrs_auto.sim.scenario import (
    BatteryConfig,
    LoadConfig,
    PanelConfig,
    PowerConfig,
    ThermalConfig,
)
from ilrs_auto.terrain import read_dem

START = "2024-08-14T12:00"
LIT_XY = (520.0, 700.0)  # the default mission's lander
SHADOW_XY = (1067.5, 592.5)  # a crater floor 6 deg below its horizon towards the Sun then


def config(**sections: object) -> PowerConfig:
    return dataclasses.replace(PowerConfig(), **sections)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def sun() -> SunAtRover:
    dem = read_dem(assets_dir() / "terrain" / "shoemaker_5mpp.tif")
    return SunAtRover(dem, START, 7200.0)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.floats(0.0, 1.0),  # lit fraction
            st.floats(0.0, 0.5),  # speed
            st.booleans(),  # planning
            st.floats(0.05, 5.0),  # dt
        ),
        min_size=1,
        max_size=40,
    )
)
def test_soc_change_equals_the_integral_of_net_power_through_the_efficiencies(
    steps: list[tuple[float, float, bool, float]],
) -> None:
    cfg = config(
        battery=BatteryConfig(
            capacity_wh=1000.0, initial_soc=0.5, charge_efficiency=0.9, discharge_efficiency=0.8
        )
    )
    power = PowerSystem(cfg)
    expected_wh = 0.0
    for lit, speed, planning, dt in steps:
        sample = power.step(dt, SunSample(1361.0, 2.0, 0.0, lit), Activity(speed, True, planning))
        net = sample.generation_w - sample.load_w
        expected_wh += (0.9 * net if net > 0 else net / 0.8) * dt / 3600.0
    assert power.soc * 1000.0 - 500.0 == pytest.approx(expected_wh, abs=1e-9)
    assert power.shunted_wh == 0.0 and power.unserved_wh == 0.0


def test_a_full_battery_shunts_and_an_empty_one_leaves_load_unserved() -> None:
    full = PowerSystem(config(battery=BatteryConfig(capacity_wh=10.0, initial_soc=1.0)))
    sample = full.step(3600.0, SunSample(1361.0, 0.0, 0.0, 1.0), Activity())
    assert full.soc == 1.0
    assert full.shunted_wh == pytest.approx(sample.generation_w - sample.load_w)
    empty = PowerSystem(config(battery=BatteryConfig(capacity_wh=10.0, initial_soc=0.01)))
    empty.step(3600.0, DARK, Activity())
    assert empty.soc == 0.0 and empty.unserved_wh > 0.0
    assert empty.critical == "battery_reserve"


def test_generation_follows_the_panel_equation_and_the_sun_at_the_lander(
    sun: SunAtRover,
) -> None:
    here = sun.at(0.0, *LIT_XY)
    assert here.lit_fraction == 1.0
    # The Sun's distance in August: irradiance within 3 % of the solar constant.
    assert here.irradiance_w_m2 == pytest.approx(SOLAR_CONSTANT_W_M2, rel=0.03)
    power = PowerSystem(PowerConfig())
    panel = PowerConfig().panel
    expected = (
        here.irradiance_w_m2
        * panel.area_m2
        * panel.efficiency
        * math.cos(math.radians(here.elevation_deg))
    )
    assert power.generation_w(here, rover_heading_rad=1.0) == pytest.approx(expected)


def test_the_sun_track_is_the_ephemeris_at_the_rover_cell(sun: SunAtRover) -> None:
    t_s = 1830.0  # between two samples of the track
    cell = sun.cell_of(*LIT_XY)
    site = site_of_cell(sun.dem, *cell)
    when = np.datetime64(START) + np.timedelta64(int(t_s), "s")
    truth = default_ephemeris().sun([when], site)
    here = sun.at(t_s, *LIT_XY)
    assert here.elevation_deg == pytest.approx(float(truth.elevation_deg[0]), abs=0.005)


def test_no_generation_in_shadow(sun: SunAtRover) -> None:
    dark = sun.at(600.0, *SHADOW_XY)
    assert dark.elevation_deg > 1.0  # the Sun is up, behind the crater wall
    assert dark.lit_fraction == 0.0
    power = PowerSystem(PowerConfig())
    for heading in np.linspace(-math.pi, math.pi, 9):
        assert power.generation_w(dark, float(heading)) == 0.0
    fixed = PowerSystem(config(panel=PanelConfig(tracking=False)))
    assert fixed.generation_w(dark, dark.heading_rad - math.pi / 2) == 0.0
    before = power.energy_wh
    power.step(60.0, dark, Activity())
    assert power.energy_wh < before and power.generated_wh == 0.0


def test_a_fixed_panel_depends_on_the_rover_heading(sun: SunAtRover) -> None:
    here = sun.at(0.0, *LIT_XY)
    tracking = PowerSystem(PowerConfig()).generation_w(here, 0.0)
    fixed = PowerSystem(config(panel=PanelConfig(tracking=False, azimuth_offset_deg=90.0)))
    facing = here.heading_rad - math.pi / 2  # the panel's normal then points at the Sun
    assert fixed.generation_w(here, facing) == pytest.approx(tracking)
    assert fixed.generation_w(here, facing + math.pi / 3) == pytest.approx(tracking * 0.5, rel=1e-3)
    assert fixed.generation_w(here, facing + math.pi) == 0.0


@pytest.mark.parametrize("start_k", [150.0, 400.0])
def test_the_thermal_node_settles_at_the_analytic_equilibrium(start_k: float) -> None:
    thermal = ThermalConfig(initial_k=start_k, heater_setpoint_k=1.0)
    cfg = config(thermal=thermal, battery=BatteryConfig(capacity_wh=1e6, initial_soc=0.5))
    power = PowerSystem(cfg)
    lit = SunSample(1300.0, 1.5, 0.0, 1.0)
    activity = Activity(speed_mps=0.2, perceiving=True, planning=False)
    load = power.load_w(activity, heater_on=False)
    heat_in = (
        thermal.absorptivity * thermal.sunlit_area_m2 * 1300.0 + thermal.internal_fraction * load
    )
    target = equilibrium_temperature_k(cfg, heat_in)
    # the same from first principles: absorbed + dissipated = radiated to a 40 K sky
    k = thermal.emissivity * STEFAN_BOLTZMANN * thermal.radiator_area_m2 * thermal.sky_view_factor
    assert k * (target**4 - 40.0**4) == pytest.approx(heat_in)
    tau = thermal.heat_capacity_j_per_k / (4 * k * target**3)
    for _ in range(int(12 * tau / 60.0)):
        power.step(60.0, lit, activity)
    assert power.temperature_k == pytest.approx(target, abs=0.05)
    assert not power.heater_on


def test_heaters_hold_the_setpoint_while_power_allows() -> None:
    thermal = ThermalConfig(initial_k=270.0)
    cfg = config(thermal=thermal, battery=BatteryConfig(capacity_wh=5000.0, initial_soc=1.0))
    power = PowerSystem(cfg)
    idle = Activity(perceiving=False)
    unheated = equilibrium_temperature_k(cfg, thermal.internal_fraction * 15.0)
    assert unheated < thermal.heater_setpoint_k - 40  # without heaters it would freeze
    temps = []
    for _ in range(48 * 60):  # two days of lunar night, minute by minute
        power.step(60.0, DARK, idle)
        temps.append(power.temperature_k)
    settled = np.asarray(temps[len(temps) // 2 :])
    setpoint, band = thermal.heater_setpoint_k, thermal.heater_hysteresis_k
    assert settled.min() >= setpoint - 0.5 and settled.max() <= setpoint + band + 0.5
    assert power.soc > 0.0 and power.load_wh > 48 * 15.0  # heaters drew from the battery

    # With the battery flat and no Sun, the heaters cannot run and the node cools away.
    flat = PowerSystem(
        config(thermal=thermal, battery=BatteryConfig(capacity_wh=5000.0, initial_soc=0.0))
    )
    for _ in range(48 * 60):
        flat.step(60.0, DARK, idle)
    assert flat.temperature_k < setpoint - 30


def test_brownout_and_reserve_make_the_rover_power_critical() -> None:
    power = PowerSystem(PowerConfig())
    assert power.critical is None
    power.sag_v = 12.0
    assert power.bus_v < PowerConfig().battery.min_bus_v and power.critical == "brownout"
    power.sag_v = 0.0
    power.energy_wh = 0.19 * PowerConfig().battery.capacity_wh
    assert power.critical == "battery_reserve"


def test_loads_add_up_by_activity() -> None:
    loads = LoadConfig(idle_w=10, perception_w=5, planning_w=7, drive_w_per_mps=100, heater_w=20)
    power = PowerSystem(config(loads=loads))
    assert power.load_w(Activity(0.0, False, False), heater_on=False) == 10
    assert power.load_w(Activity(0.2, True, True), heater_on=True) == pytest.approx(
        10 + 5 + 7 + 20 + 20
    )
