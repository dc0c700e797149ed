"""Supervisor overhead: what the supervisor adds per tick with every registered behaviour loaded
(safe mode watching for the night, three rover traverse legs), with and without the MCAP log,
printed next to a bare ``transitions`` machine doing the same transitions.

    python benchmarks/bench_supervisor.py [--repeat 5]

The workload is the simulated patrol (:mod:`ilrs_auto.sim.patrol`: 3 legs, replans around
rocks, two nights with checkpoints and hibernation). Per tick, the supervisor's overhead is
the time in ``Supervisor.tick`` minus the time in the ticked behaviour's own ``tick`` (reading
results and firing events, which a robot without a supervisor would spend too), so it counts
the watch phase, arbitration, preemption and resumption, recording, and checkpoint writes. The
peer is the bare machines: one ``HierarchicalMachine`` per behaviour with the same tables
(queued, no callbacks) firing the run's transition events in the same order; against it the
same transitions fired through the supervised behaviours (replay of the recorded log:
recorded inputs, stand-in drives, arbitration at every tick). Every time is the best of
``--repeat`` runs. The target of the issue: under 1 ms per tick.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from transitions.extensions import HierarchicalMachine

from ilrs_auto.mission import registry
from ilrs_auto.mission.recorder import read_log
from ilrs_auto.mission.replay import replay
from ilrs_auto.sim.patrol import Patrol, PatrolConfig

CONFIG = PatrolConfig(nights_s=((50.0, 110.0), (130.0, 140.0)))


def timed_patrol(folder: Path, record: bool) -> tuple[float, float, int, Patrol]:
    """(time in Supervisor.tick, time in the behaviours' ticks, ticks, the patrol)."""
    log = folder / "bench.mcap" if record else None
    patrol = Patrol(CONFIG, log_path=log, checkpoint_path=folder / "bench.ckpt")
    inside = [0.0]
    for behaviour in patrol.supervisor.behaviours.values():
        own_tick = behaviour.tick

        def tick(own: Callable[[], None] = own_tick) -> None:
            t0 = time.perf_counter()
            try:
                own()
            finally:
                inside[0] += time.perf_counter() - t0

        behaviour.tick = tick  # type: ignore[method-assign]
    supervised = 0.0
    ticks = 0
    supervisor_tick = patrol.supervisor.tick

    def timed_tick() -> None:
        nonlocal supervised, ticks
        t0 = time.perf_counter()
        supervisor_tick()
        supervised += time.perf_counter() - t0
        ticks += 1

    patrol.supervisor.tick = timed_tick  # type: ignore[method-assign]
    try:
        patrol.run()
    finally:
        patrol.close()
    return supervised, inside[0], ticks, patrol


def bare_machines(patrol: Patrol) -> Callable[[], float]:
    """The same transition events on bare machines with the same tables; returns a runner
    giving the time of the firing alone (building the machines is not timed)."""
    sequence = [(key, t.event) for key, t in patrol.supervisor.transitions]
    tables = {
        key: (type(b).STATES, type(b).TRANSITIONS, type(b).INITIAL)
        for key, b in patrol.supervisor.behaviours.items()
    }

    def run() -> float:
        models: dict[str, Any] = {}
        for key, (states, transitions, initial) in tables.items():
            model = type("Bare", (), {})()
            HierarchicalMachine(
                model=model,
                states=states,
                transitions=transitions,
                initial=initial,
                queued=True,
                auto_transitions=False,
                ignore_invalid_triggers=True,
            )
            models[key] = model
        t0 = time.perf_counter()
        for key, event in sequence:
            models[key].trigger(event)
        return time.perf_counter() - t0

    return run


def best(repeat: int, work: Callable[[], Any]) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - t0)
    return min(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(f"registered behaviours: {', '.join(registry.names())}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        rows = []
        for record in (False, True):
            runs = [timed_patrol(folder, record) for _ in range(args.repeat)]
            overhead = min((s - b) / n for s, b, n, _ in runs)
            per_tick = min(s / n for s, _, n, _ in runs)
            rows.append((record, overhead, per_tick, runs[0][2], runs[0][3]))
        patrol = rows[0][4]
        transitions = len(patrol.supervisor.transitions)
        bare = bare_machines(patrol)
        bare_s = min(bare() for _ in range(args.repeat))
        # Replay needs the recorded log: record once more, then time replays of it.
        timed_patrol(folder, True)
        log = read_log(folder / "bench.mcap")
        replay_s, result = best(args.repeat, lambda: replay(log))
        assert result.matched, result.divergence

    ticks = rows[0][3]
    print(
        f"workload: {ticks} ticks, {transitions} transitions, "
        f"{len(patrol.supervisor.behaviours)} behaviours loaded"
    )
    print(f"{'':44} {'per tick':>12} {'overhead/tick':>14}")
    for record, overhead, per_tick, _, _ in rows:
        label = "Supervisor.tick, MCAP log on" if record else "Supervisor.tick, no log"
        print(f"{label:44} {per_tick * 1e6:>9.1f} us {overhead * 1e6:>11.1f} us")
    bare_per = bare_s / transitions
    replay_per = replay_s / transitions
    print(f"{'bare transitions machines, per transition':44} {bare_per * 1e6:>9.1f} us")
    print(f"{'supervised (replay), per transition':44} {replay_per * 1e6:>9.1f} us")
    print(f"{'supervised (replay), per tick':44} {replay_s / ticks * 1e6:>9.1f} us")
    worst = max(r[1] for r in rows)
    print(
        f"overhead per tick with the log / bare machine per transition: {worst / bare_per:.1f}; "
        f"target < 1 ms per tick: {'met' if worst < 1e-3 else 'NOT met'} ({worst * 1e6:.0f} us)"
    )


if __name__ == "__main__":
    main()
