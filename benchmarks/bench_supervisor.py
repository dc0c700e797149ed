"""Supervisor overhead: what the supervisor adds per tick with EVERY registered behaviour loaded
into one supervisor, with and without the MCAP log, printed next to bare ``transitions``
machines doing the same transitions.

    taskset -c 0 python benchmarks/bench_supervisor.py [--repeat 5]

The workload is the simulated station (:mod:`ilrs_auto.sim.station`): safe mode, the lander
command centre, a rover traverse leg, a drill sample and a lava-tube exploration under one
supervisor on 1 s ticks. The lander sheds loads and preempts the traverse, which resumes; the
sample is taken; the night trips safe mode, which checkpoints the mission, suspends the tube
explorer and the lander and hands control back at dawn. The benchmark exits non-zero, naming
them, if any behaviour of :mod:`ilrs_auto.mission.registry` is not loaded, so a behaviour
registered later cannot be left out silently.

Per tick, the supervisor's overhead is the time in ``Supervisor.tick`` minus the time inside the
behaviours' own ``tick`` and ``watch`` (reading results and firing events, which a robot without
a supervisor would spend too): it counts arbitration, preemption and resumption, recording of
inputs, transitions and supervisor events, the event wrappers, and checkpoint writes. The peer
is bare machines: one ``HierarchicalMachine`` per behaviour with the same tables (queued, no
callbacks) firing the run's transition events in the same order, ending in the same states;
its time is per transition. Every time is the best of ``--repeat`` runs. Issue #5's target:
under 1 ms of overhead per tick.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from transitions.extensions import HierarchicalMachine

from ilrs_auto.mission import registry
from ilrs_auto.sim.station import Station


def check_all_loaded(station: Station) -> None:
    """Exits with status 1 naming every registered behaviour the station does not load."""
    loaded = {b.name for b in station.supervisor.behaviours.values()}
    missing = sorted(set(registry.names()) - loaded)
    if missing:
        sys.exit(
            f"bench_supervisor: registered behaviours not loaded: {', '.join(missing)} "
            f"(add them to ilrs_auto/sim/station.py)"
        )


def timed_station(folder: Path, record: bool) -> tuple[float, float, int, Station]:
    """(time in Supervisor.tick, time in the behaviours' tick and watch, ticks, the station)."""
    for stale in folder.iterdir():
        stale.unlink()
    station = Station(folder, log_path=folder / "bench.mcap" if record else None)
    check_all_loaded(station)
    inside = [0.0]

    def timed(own: Callable[[], None]) -> Callable[[], None]:
        def call() -> None:
            t0 = time.perf_counter()
            try:
                own()
            finally:
                inside[0] += time.perf_counter() - t0

        return call

    for behaviour in station.supervisor.behaviours.values():
        behaviour.tick = timed(behaviour.tick)  # type: ignore[method-assign]
        watch = getattr(behaviour, "watch", None)
        if callable(watch):
            behaviour.watch = timed(watch)  # type: ignore[attr-defined]
    supervised = 0.0
    ticks = 0
    supervisor_tick = station.supervisor.tick

    def timed_tick() -> None:
        nonlocal supervised, ticks
        t0 = time.perf_counter()
        supervisor_tick()
        supervised += time.perf_counter() - t0
        ticks += 1

    station.supervisor.tick = timed_tick  # type: ignore[method-assign]
    try:
        station.run()
    finally:
        station.close()
    return supervised, inside[0], ticks, station


class _BareModel:
    """A model without callbacks; named conditions hold (the run took those branches)."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") and not name.startswith("__"):
            return lambda *args, **kwargs: True
        raise AttributeError(name)


def bare_machines(station: Station) -> tuple[Callable[[], float], int]:
    """The run's transition events on bare machines with the same tables: a runner giving the
    time of the firing alone (building the machines is not timed), and the number fired."""
    behaviours = station.supervisor.behaviours
    sequence = [
        (key, t.event)
        for key, t in station.supervisor.transitions
        if t.event in behaviours[key].machine.events
    ]
    final = {key: b.state for key, b in behaviours.items()}

    def run() -> float:
        models: dict[str, Any] = {}
        for key, b in behaviours.items():
            model = _BareModel()
            HierarchicalMachine(
                model=model,
                states=type(b).STATES,
                transitions=type(b).TRANSITIONS,
                initial=type(b).INITIAL,
                queued=True,
                auto_transitions=False,
            )
            models[key] = model
        t0 = time.perf_counter()
        for key, event in sequence:
            models[key].trigger(event)
        elapsed = time.perf_counter() - t0
        reached = {key: m.state for key, m in models.items()}
        if reached != final:
            sys.exit(f"bench_supervisor: bare machines ended in {reached}, the run in {final}")
        return elapsed

    return run, len(sequence)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(f"registered behaviours: {', '.join(registry.names())}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        rows = []
        for record in (False, True):
            runs = [timed_station(folder, record) for _ in range(args.repeat)]
            overhead = min((s - b) / n for s, b, n, _ in runs)
            per_tick = min(s / n for s, _, n, _ in runs)
            rows.append((record, overhead, per_tick))
        station = runs[0][3]
        ticks = runs[0][2]
    bare, fired = bare_machines(station)
    bare_per = min(bare() for _ in range(args.repeat)) / fired
    sup = station.supervisor
    print(
        f"workload: {ticks} ticks, {len(sup.transitions)} transitions ({fired} fired events, "
        f"the rest notes), {len(sup.events)} supervisor events, "
        f"{len(sup.behaviours)} behaviours loaded: {', '.join(sup.behaviours)}"
    )
    print(f"{'':40} {'Supervisor.tick':>16} {'overhead/tick':>14} {'overhead/bare':>14}")
    for record, overhead, per_tick in rows:
        label = "supervisor, MCAP log on" if record else "supervisor, no log"
        print(
            f"{label:40} {per_tick * 1e6:>13.1f} us {overhead * 1e6:>11.1f} us "
            f"{overhead / bare_per:>13.1f}x"
        )
    print(f"{'bare transitions machines, per transition':40} {'':>16} {bare_per * 1e6:>11.1f} us")
    worst = max(r[1] for r in rows)
    print(
        f"target: supervisor overhead < 1 ms per tick: {'met' if worst < 1e-3 else 'NOT met'} "
        f"(worst {worst * 1e6:.1f} us = {worst / 1e-3:.3f} of the budget)"
    )


if __name__ == "__main__":
    main()
