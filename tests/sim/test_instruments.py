"""The simulated scoop, drill and sample cache: rates and loads from the regolith profile,
the stuck condition, each injected fault, sealing and weighing, all on the mission clock."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ilrs_auto.sim.instruments import (
    FaultInjection,
    Phase,
    RegolithProfile,
    SimSampleCache,
    SimTool,
    default_tool_config,
)

UNIFORM = RegolithProfile.uniform(5.0, 1.6)


def deployed(tool: str = "drill", profile: RegolithProfile = UNIFORM, *faults: FaultInjection):
    sim = SimTool(default_tool_config(tool), profile, faults)
    sim.deploy(0.0)
    sim.advance_to(40.0)
    assert sim.reading(40.0).phase is Phase.DEPLOYED
    return sim


def test_profiles_are_seeded_and_deepen_in_strength_and_density() -> None:
    a, b = RegolithProfile.generate(5), RegolithProfile.generate(5)
    assert np.array_equal(a.strength_kpa, b.strength_kpa)
    assert not np.array_equal(a.strength_kpa, RegolithProfile.generate(6).strength_kpa)
    assert a.strength_kpa[-10:].mean() > 5 * a.strength_kpa[:10].mean()
    assert a.density_g_cm3[0] == pytest.approx(1.5025) and a.density_g_cm3[70] == 1.8
    rocky = RegolithProfile.generate(5, rock_fraction=0.2)
    assert 5 < rocky.rock.sum() < 40 and np.all(rocky.strength_kpa[rocky.rock] == 2000.0)


@settings(max_examples=50, deadline=None)
@given(depth=st.floats(0.0, 99.0), area=st.floats(0.5, 30.0))
def test_column_mass_is_density_times_volume(depth: float, area: float) -> None:
    profile = RegolithProfile.generate(1)
    fine = np.repeat(profile.density_g_cm3, 1000)  # 0.001 cm bins
    expected = fine[: round(depth * 1000)].sum() * 0.001 * area
    assert profile.mass_g(depth, area) == pytest.approx(expected, abs=0.002 * area)  # 1 fine bin


def test_drilling_slows_and_loads_rise_with_depth() -> None:
    profile = RegolithProfile.generate(2, variability=0.0)  # 3 + 1.5 kPa per cm
    drill = deployed("drill", profile)
    drill.acquire(60.0, 40.0)
    depths, torques = [], []
    for t in range(50, 2000, 50):
        reading = drill.reading(float(t))
        depths.append(reading.depth_cm)
        torques.append(reading.torque_nm)
    rates = np.diff(depths)
    assert np.all(rates[:-1] >= rates[1:] - 1e-9) and rates[0] > 3 * rates[-1]
    assert np.all(np.diff(torques) > 0)
    # Just under 20 cm the bin from 19 to 20 cm holds 3 + 1.5 x 19.5 = 32.25 kPa.
    drill2 = deployed("drill", profile)
    drill2.acquire(20.0, 40.0)
    drill2.advance_to(2000.0)
    drill2.depth_cm, drill2.hole_cm, drill2.phase = 19.99, 19.99, Phase.ACQUIRING
    drill2.target_cm = 25.0
    reading = drill2.reading(2000.1)
    assert reading.force_n == pytest.approx(5 + 32.25)
    assert reading.torque_nm == pytest.approx(0.5 + 0.05 * 19.99 + 0.3225)


def test_a_rock_stalls_the_drill_and_retracting_does_not_remove_it() -> None:
    drill = deployed("drill", UNIFORM.with_rock(2.0, 3.0, 1000.0))
    drill.acquire(10.0, 40.0)
    reading = drill.reading(200.0)
    assert reading.depth_cm == pytest.approx(2.0, abs=0.02) and reading.torque_nm == 6.0
    assert reading.phase is Phase.ACQUIRING and reading.moving  # still trying
    drill.retract(200.0)
    assert drill.reading(210.0).depth_cm == 0.0 and drill.phase is Phase.DEPLOYED
    drill.acquire(10.0, 210.0)
    assert drill.reading(400.0).depth_cm == pytest.approx(2.0, abs=0.02)


def test_an_injected_jam_holds_until_the_drill_is_retracted() -> None:
    drill = deployed("drill", UNIFORM, FaultInjection(60.0, "stuck_drill"))
    drill.acquire(10.0, 40.0)
    stuck = drill.reading(100.0)
    assert stuck.depth_cm == pytest.approx(2.0, abs=0.011) and stuck.torque_nm == 6.0
    drill.retract(100.0)
    drill.advance_to(110.0)
    drill.acquire(10.0, 110.0)
    assert drill.reading(300.0).depth_cm == 10.0 and drill.phase is Phase.HOLDING


def test_force_spike_and_sensor_dropout_only_touch_the_readings_for_their_duration() -> None:
    drill = deployed(
        "drill",
        UNIFORM,
        FaultInjection(50.0, "force_spike", 2.0, 300.0),
        FaultInjection(60.0, "sensor_dropout", 3.0),
    )
    drill.acquire(10.0, 40.0)
    assert drill.reading(49.0).force_n == 10.0
    assert drill.reading(51.0).force_n == 310.0
    assert drill.reading(52.5).force_n == 10.0
    blind = drill.reading(61.0)
    assert math.isnan(blind.force_n) and math.isnan(blind.torque_nm)
    assert blind.depth_cm == pytest.approx(2.1)  # the drill kept going
    assert drill.reading(63.5).force_n == 10.0


def test_an_instrument_fault_stops_the_tool_and_latches() -> None:
    drill = deployed("drill", UNIFORM, FaultInjection(50.0, "instrument_fault"))
    drill.acquire(10.0, 40.0)
    reading = drill.reading(60.0)
    assert reading.fault == "motor_driver_fault" and reading.phase is Phase.HALTED
    assert reading.depth_cm == pytest.approx(1.0, abs=0.011) and not reading.moving
    drill.retract(60.0)
    drill.stow(61.0)
    assert drill.reading(200.0).phase is Phase.HALTED


def test_a_deploy_jam_stops_the_arm_short_of_deployed() -> None:
    arm = SimTool(default_tool_config("scoop"), UNIFORM, [FaultInjection(10.0, "deploy_jam")])
    arm.deploy(0.0)
    reading = arm.reading(100.0)
    assert reading.phase is Phase.HALTED and not reading.deployed
    assert arm.deploy_fraction == pytest.approx(0.5)


def test_the_scoop_digs_at_its_rate_and_its_force_rises_with_depth() -> None:
    scoop = deployed("scoop")
    scoop.acquire(9.0, 40.0)  # beyond its 5 cm reach: clipped
    forces = [scoop.reading(40.0 + t).force_n for t in (5.0, 10.0, 20.0)]
    assert forces[0] < forces[1] and scoop.reading(80.0).depth_cm == 5.0
    assert scoop.sample_mass_g() == pytest.approx(5 * 20 * 1.6)


def test_sealing_weighing_and_a_leak() -> None:
    drill = deployed("drill", UNIFORM, FaultInjection(45.0, "seal_leak"))
    drill.acquire(10.0, 40.0)
    drill.stow(150.0)
    drill.advance_to(250.0)
    cache = SimSampleCache.with_containers(drill, 3, capacity_g=250.0)
    cache.seal(2, 250.0)
    assert cache.seal_status(280.0).done is False
    status = cache.seal_status(310.0)
    assert status.done and not status.ok and status.problem == "leak"
    assert cache.free_containers() == (1, 3)  # the sample is in container 2 either way

    clean = deployed("drill")
    clean.acquire(10.0, 40.0)
    clean.stow(150.0)
    cache = SimSampleCache.with_containers(clean, 3, capacity_g=250.0)
    cache.seal(1, 250.0)
    assert cache.seal_status(310.0).ok
    cache.cache(1, 310.0)
    assert not cache.cache_status(330.0).done
    weighed = cache.cache_status(340.0)
    assert weighed.done and weighed.mass_g == 32.0
    assert cache.containers[1].sealed and cache.containers[1].cached
    assert clean.sample_mass_g() == 0.0  # handed over


def test_an_overfilled_container_does_not_close() -> None:
    drill = deployed("drill")
    drill.acquire(50.0, 40.0)
    drill.advance_to(600.0)
    cache = SimSampleCache.with_containers(drill, 1, capacity_g=100.0)
    cache.seal(1, 600.0)
    status = cache.seal_status(700.0)
    assert status.done and status.problem == "overfilled" and "160.0 g > 100 g" in status.detail


def test_the_same_calls_give_the_same_readings() -> None:
    def trace() -> list[tuple[float, float, float]]:
        drill = deployed("drill", RegolithProfile.generate(9, rock_fraction=0.05))
        drill.acquire(40.0, 40.0)
        return [
            (r.depth_cm, r.force_n, r.torque_nm)
            for r in (drill.reading(40.0 + 7.3 * i) for i in range(100))
        ]

    assert trace() == trace()


def test_an_unknown_fault_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown fault kind 'gremlins'"):
        FaultInjection(1.0, "gremlins")
