"""``ilrs-auto run`` of a lava-tube scenario (``kind: lava_tube``): flies the exploration in the
simulated tube with a progress bar, prints a summary table and writes a report folder (all or
nothing): ``summary.json`` (the numbers and the transition log) and ``lava_tube.png`` (the map
coverage seen from the side and from above, the path, the relays, and the link over time)."""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ilrs_auto.output import check_output_folder, write_folder
from ilrs_auto.sim.tube_mission import (
    TickProgress,
    TubeMissionRecord,
    load_tube_scenario,
    run_tube_mission,
    summary,
)

MARKER = "summary.json"
EXIT_MISSION_FAILED = 1


def run_scenario(path: Path, out_dir: Path | None, seed: int | None, console: Console) -> int:
    """Loads, flies and reports; 0 if the robot explored and came back up, else 1. Bad input
    raises InputError (FILE:LINE: key: problem)."""
    scenario = load_tube_scenario(path)
    if seed is not None:
        scenario = dataclasses.replace(scenario, seed=seed)
    target = check_output_folder(
        out_dir or Path(f"ilrs-report-{scenario.name}"),
        MARKER,
        "{target}: exists and is not a lava-tube report folder (no summary.json); "
        "choose another --out",
        "{target}: cannot create the report folder in {parent}: {reason}",
    )
    started = time.perf_counter()
    progress = Progress(
        TextColumn("[bold]{task.fields[state]:<20}"),
        BarColumn(),
        TextColumn("coverage {task.fields[coverage]:>5.1%}"),
        TextColumn("relays {task.fields[relays]}"),
        TextColumn("battery {task.fields[battery]:>6.1f} Wh"),
        TextColumn("t={task.fields[mission_s]:>6.0f} s"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )
    with progress:
        task = progress.add_task(
            "tube", total=1.0, state="idle", coverage=0.0, relays=0, battery=0.0, mission_s=0.0
        )

        def on_tick(p: TickProgress) -> None:
            progress.update(
                task,
                completed=p.coverage,
                state=p.state,
                coverage=p.coverage,
                relays=p.relays,
                battery=p.battery_wh,
                mission_s=p.time_s,
            )

        record = run_tube_mission(scenario, on_tick=on_tick)
        progress.update(
            task,
            completed=record.coverage,
            state=record.final_state,
            coverage=record.coverage,
            relays=len(record.relays_m),
            battery=record.final_battery_wh,
            mission_s=record.mission_time_s,
        )
    wall_s = time.perf_counter() - started
    data = summary(record)
    data["wall_time_s"] = round(wall_s, 3)

    def fill(folder: Path) -> None:
        (folder / MARKER).write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        plot(record, folder / "lava_tube.png")

    report = write_folder(target, fill)

    table = Table(title=f"{scenario.name} (seed {scenario.seed})", show_header=False)
    table.add_row("final state", record.final_state.upper())
    table.add_row(
        "mission time",
        f"{record.mission_time_s:.0f} s ({record.mission_time_s / max(wall_s, 1e-9):.0f}x real "
        "time)",
    )
    table.add_row("distance", f"{record.distance_m:.1f} m ({record.scans} scans)")
    table.add_row("map coverage", f"{record.coverage:.1%} of the tube's void and wall")
    table.add_row("relays", f"{len(record.relays_m)} of {scenario.radio.relays} dropped")
    table.add_row(
        "longest link gap",
        f"{record.max_link_gap_s:.0f} s (limit {scenario.radio.link_gap_limit_s:g} s)",
    )
    table.add_row(
        "battery",
        f"{record.final_battery_wh:.1f} Wh left of {scenario.power.battery_wh:g} "
        f"(reserve {scenario.power.reserve_wh:g})",
    )
    if record.fault is not None:
        table.add_row("fault", f"{record.fault.event} at {record.fault.time_s:.0f} s")
    table.add_row("report", str(report))
    console.print(table)
    return 0 if record.succeeded else EXIT_MISSION_FAILED


def plot(record: TubeMissionRecord, path: Path) -> None:
    """Side and top views of what the map knows against the true tube, the path and relays;
    below, the link and the battery over time."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    world = record.world
    grid = world.grid
    x0, y0, z0 = grid.origin_m
    x1, y1, z1 = grid.max_corner_m
    known = record.known & record.observable
    fig, axes = plt.subplots(3, 1, figsize=(11, 10), height_ratios=[1, 1, 0.8])
    views = (
        ("side (x, z)", 1, (x0, x1, z0, z1), 2),
        ("top (x, y)", 0, (x0, x1, y0, y1), 1),
    )
    for ax, (title, axis, extent, coord) in zip(axes[:2], views, strict=True):
        observable = record.observable.any(axis=axis)
        seen = known.any(axis=axis)
        image = np.where(seen, 2, np.where(observable, 1, 0))
        ax.imshow(
            image,
            origin="lower",
            extent=extent,
            cmap=matplotlib.colors.ListedColormap(["#3e2723", "#bdbdbd", "#4fc3f7"]),
            vmin=0,
            vmax=2,
            aspect="equal",
        )
        inside = record.position_m[:, 2] < world.ceiling_z_m
        driven = record.position_m[inside]
        ax.plot(driven[:, 0], driven[:, coord], color="#ffeb3b", lw=1.2, label="path")
        if record.relays_m:
            relays = np.asarray(record.relays_m)
            ax.plot(
                relays[:, 0], relays[:, coord], "o", color="#e53935", mec="black", label="relays"
            )
        node = world.surface_node_m
        ax.plot(node[0], node[coord], "^", color="white", mec="black", ms=10, label="skylight")
        ax.set_title(f"map coverage {record.coverage:.1%}, {title}: blue known, grey unseen")
        ax.set_xlabel("x along the tube (m)")
        ax.legend(loc="upper right", fontsize=8)
    ax = axes[2]
    ax.step(
        record.time_s, record.link_up.astype(float), where="post", color="#1e88e5", label="link up"
    )
    for start, end in record.link_gaps():
        ax.axvspan(start, end, color="#e53935", alpha=0.3)
    ax.set_ylim(-0.1, 1.1)
    ax.set_xlabel("mission time (s)")
    ax.set_ylabel("link")
    ax.set_title(
        f"link gaps (red): longest {record.max_link_gap_s:.0f} s, limit "
        f"{record.scenario.radio.link_gap_limit_s:g} s"
    )
    twin = ax.twinx()
    twin.plot(record.time_s, record.battery_wh, color="#43a047", label="battery")
    twin.axhline(record.scenario.power.reserve_wh, color="#43a047", ls="--", lw=0.8)
    twin.set_ylabel("battery (Wh)")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


__all__ = ["plot", "run_scenario"]
