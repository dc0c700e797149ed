"""Every registered behaviour under one supervisor (the simulated station of
:mod:`ilrs_auto.sim.station`): safe mode preempts everything, the lander preempts science, each
preempted behaviour resumes, and every science behaviour finishes - exact supervisor log."""

from __future__ import annotations

from pathlib import Path

from ilrs_auto.mission import registry
from ilrs_auto.mission.lander import LanderCommandCentre
from ilrs_auto.sim.station import Station, StationConfig


def fly(folder: Path, config: StationConfig | None = None) -> Station:
    station = Station(folder, config)
    try:
        station.run()
    finally:
        station.close()
    return station


def test_every_registered_behaviour_is_loaded(tmp_path: Path) -> None:
    station = Station(tmp_path)
    try:
        loaded = sorted(b.name for b in station.supervisor.behaviours.values())
        assert loaded == registry.names()
        for key, behaviour in station.supervisor.behaviours.items():
            assert isinstance(behaviour, registry.behaviour_class(key))
    finally:
        station.close()


def test_priorities_preemption_and_resumption_exact_log(tmp_path: Path) -> None:
    station = fly(tmp_path)
    sup = station.supervisor
    assert [(e.time_s, e.kind, e.behaviour, e.detail) for e in sup.events] == [
        (1.0, "control", "rover_traverse", {"from": None}),
        # An instrument asks more than the bus has: the lander sheds and takes control.
        (6.0, "preempt", "rover_traverse", {"by": "lander"}),
        (6.0, "control", "lander", {"from": "rover_traverse"}),
        (13.0, "control", "rover_traverse", {"from": "lander"}),
        (13.0, "resume", "rover_traverse", {}),
        (21.0, "control", "sample_collection", {"from": "rover_traverse"}),
        (294.0, "control", "tube_exploration", {"from": "sample_collection"}),
        # Night: safe mode preempts the explorer and suspends the lander, checkpoints.
        (420.0, "preempt", "tube_exploration", {"by": "safe_mode"}),
        (420.0, "suspend", "lander", {"by": "safe_mode"}),
        (420.0, "control", "safe_mode", {"from": "tube_exploration"}),
        (420.0, "checkpoint", None, {"number": 1}),
        # Dawn: the lander (still in its night) before the explorer, then the explorer.
        (481.0, "control", "lander", {"from": "safe_mode"}),
        (481.0, "resume", "lander", {}),
        (482.0, "control", "tube_exploration", {"from": "lander"}),
        (482.0, "resume", "tube_exploration", {}),
    ]
    by_key = {key: [(t.time_s, t.event, t.dest) for k, t in sup.transitions if k == key]
              for key in sup.behaviours}  # fmt: skip
    assert by_key["lander"] == [
        (0.0, "start", "operating_nominal"),
        (6.0, "loads_shed", "operating_load_shedding"),
        (13.0, "loads_restored", "operating_nominal"),
        (420.0, "sunset", "operating_night"),
        (481.0, "sunrise", "operating_nominal"),  # at once: its duty runs in watch()
    ]
    assert by_key["safe_mode"] == [
        (420.0, "hibernate", "hibernation_checkpointing"),
        (421.0, "checkpoint_written", "hibernation_asleep"),
        (480.0, "wake", "idle"),
    ]
    # The preempted leg replans from where it stood and arrives.
    assert by_key["rover_traverse"] == [
        (1.0, "start", "traverse_planning"),
        (2.0, "path_ready", "traverse_driving"),
        (13.0, "replan", "traverse_replanning"),
        (14.0, "path_ready", "traverse_driving"),
        (20.0, "goal_reached", "arrived"),
    ]
    assert [e for _, e, _ in by_key["sample_collection"]][-1] == "cached"
    assert station.cache.containers[1].cached
    tube = by_key["tube_exploration"]
    assert tube[-1] == (832.0, "surfaced", "done")
    # Nothing of the explorer's happens while it is suspended (420 s .. 482 s).
    assert not [t for t in tube if 420.0 <= t[0] < 482.0]
    assert all(b.finished for b in station.science)
    assert all(t.dest != "fault" for _, t in sup.transitions)
    assert (tmp_path / "station.ckpt").exists()


def test_safe_mode_preempts_the_lander_and_science_at_any_moment(tmp_path: Path) -> None:
    # The night falls while the lander is shedding loads and the traverse is preempted.
    station = fly(tmp_path, StationConfig(overload_s=(5.0, 40.0), night_s=(10.0, 20.0)))
    events = [(e.time_s, e.kind, e.behaviour) for e in station.supervisor.events]
    assert events[:12] == [
        (1.0, "control", "rover_traverse"),
        (6.0, "preempt", "rover_traverse"),
        (6.0, "control", "lander"),
        (10.0, "preempt", "lander"),
        (10.0, "control", "safe_mode"),
        (10.0, "checkpoint", None),
        (21.0, "control", "lander"),
        (21.0, "resume", "lander"),
        (41.0, "control", "rover_traverse"),
        (41.0, "resume", "rover_traverse"),
        (49.0, "control", "sample_collection"),
        (322.0, "control", "tube_exploration"),
    ]
    assert all(b.finished for b in station.science)


def test_the_lander_lets_science_run(tmp_path: Path) -> None:
    station = Station(tmp_path)
    try:
        station.step()
        assert station.lander.state == "operating_nominal"  # nothing for the power duty to do
        wants: property = vars(LanderCommandCentre)["wants_control"]
        assert wants.fget is not None and not wants.fget(station.lander)
    finally:
        station.close()
