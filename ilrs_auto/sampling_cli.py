"""``ilrs-auto run`` of a ``kind: sampling`` scenario: fly it, show progress, write a report.

The report folder (written all or nothing) holds ``summary.json`` (outcome, site, chain of
custody, the transition timeline of both legs), ``timeline.json`` (the timeline alone) and
``sampling.png`` (the science-value map around the sampling area, the search radius, the chosen
site and the path driven).
"""

from __future__ import annotations

import dataclasses
import json
import math
import time
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ilrs_auto import __version__
from ilrs_auto.output import check_output_folder, write_folder

SUMMARY_NAME = "summary.json"
TIMELINE_NAME = "timeline.json"
MAP_NAME = "sampling.png"
EXIT_MISSION_FAILED = 1


def run_scenario(path: Path, out_dir: Path | None, seed: int | None, console: Console) -> int:
    """Loads, flies and reports a sampling scenario; 1 when no sample was cached."""
    from ilrs_auto.sim.sampling_mission import (
        SamplingProgress,
        load_sampling_scenario,
        run_sampling,
    )
    from ilrs_auto.sim.world import build_world

    scenario = load_sampling_scenario(path)
    if seed is not None:
        scenario = dataclasses.replace(
            scenario, traverse=dataclasses.replace(scenario.traverse, seed=seed)
        )
    target = check_output_folder(
        out_dir or Path(f"ilrs-report-{scenario.name}"),
        SUMMARY_NAME,
        "{target}: exists and is not an ilrs_auto report folder; choose another --out",
        "{target}: cannot write a report folder in {parent}: {reason}",
    )
    started = time.perf_counter()
    with console.status(f"building the world of {scenario.name}"):
        world = build_world(scenario.traverse)
    progress = Progress(
        TextColumn("[bold]{task.fields[leg]:<9}"),
        TextColumn("{task.fields[state]:<22}"),
        BarColumn(),
        TextColumn("depth {task.fields[depth]:>5.1f} cm"),
        TextColumn("t={task.fields[mission_s]:>6.0f} s"),
        TimeElapsedColumn(),
        console=console,
    )
    steps = ["traverse", "selecting_site", "approaching", "deploying", "acquiring",
             "retracting", "sealing", "caching", "done"]  # fmt: skip
    with progress:
        task = progress.add_task(
            "sampling", total=len(steps) - 1, leg="traverse", state="idle", depth=0.0, mission_s=0.0
        )

        def on_tick(p: SamplingProgress) -> None:
            key = "traverse" if p.leg == "traverse" else p.state.split("_approach")[0]
            key = "approaching" if key.startswith("approaching") else key
            key = "acquiring" if key == "recovering" else key
            done = steps.index(key) if key in steps else None
            progress.update(
                task,
                completed=done if done is not None else progress.tasks[0].completed,
                leg=p.leg,
                state=p.state,
                depth=p.depth_cm,
                mission_s=p.time_s,
            )

        record = run_sampling(scenario, world, on_tick)
    wall_s = time.perf_counter() - started
    summary = summarize(record)

    def fill(folder: Path) -> None:
        (folder / SUMMARY_NAME).write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
        (folder / TIMELINE_NAME).write_text(
            json.dumps(summary["timeline"], indent=2) + "\n", encoding="utf-8"
        )
        draw_sampling(record, folder / MAP_NAME)

    report = write_folder(target, fill)

    table = Table(title=f"{scenario.name} (seed {scenario.seed})", show_header=False)
    table.add_row("final state", record.final_state.upper())
    table.add_row(
        "mission time",
        f"{record.mission_time_s:.1f} s (traverse {record.sampling_started_s:.1f} s; "
        f"{record.mission_time_s / max(wall_s, 1e-9):.0f}x real time)",
    )
    table.add_row("distance driven", f"{record.traverse.distance_m:.1f} m to the sampling area")
    if record.site is not None:
        site = record.site
        table.add_row(
            "site",
            f"({site.xy_m[0]:.2f}, {site.xy_m[1]:.2f}) m, science value {site.value:.3f} "
            f"(best of {site.candidates} reachable safe cells)",
        )
    for entry in record.custody:
        table.add_row(
            f"sample {entry.sequence}",
            f"{entry.tool} {entry.depth_cm:g} cm, {entry.mass_g:.1f} g in container "
            f"{entry.container_id}, sealed at {entry.sealed_s:.1f} s, hash {entry.hash[:12]}",
        )
    retries = sum(t.event == "drill_jammed" for t in record.transitions)
    if retries:
        table.add_row("stuck-drill recoveries", str(retries))
    if record.fault is not None:
        table.add_row("fault", f"{record.fault.event} at {record.fault.time_s:.1f} s")
    table.add_row("report", str(report))
    console.print(table)
    click.echo(str(report))
    return 0 if record.succeeded else EXIT_MISSION_FAILED


def summarize(record: Any) -> dict[str, Any]:
    """The JSON summary; the same scenario and seed give the same summary."""
    from ilrs_auto.mission.sequence_executor import finite_for_json

    scenario = record.scenario
    site = record.site
    summary: dict[str, Any] = finite_for_json(
        {
            "ilrs_auto_version": __version__,
            "scenario": scenario.name,
            "scenario_file": scenario.traverse.source,
            "kind": "sampling",
            "seed": scenario.seed,
            "final_state": record.final_state,
            "sample_cached": record.succeeded,
            "mission_time_s": round(record.mission_time_s, 3),
            "sampling_started_s": round(record.sampling_started_s, 3),
            "traverse_final_state": record.traverse.final_state,
            "traverse_distance_m": round(record.traverse.distance_m, 3),
            "site": None
            if site is None
            else {
                "cell": list(site.cell),
                "xy_m": list(site.xy_m),
                "science_value": round(site.value, 6),
                "candidates": site.candidates,
            },
            "fault": record.fault.to_json() if record.fault else None,
            "chain_of_custody": [r.to_json() for r in record.custody],
            "injected_faults": [dataclasses.asdict(f) for f in scenario.faults],
            "timeline": record.timeline(),
        }
    )
    return summary


def draw_sampling(record: Any, path: Path) -> None:
    """The science-value map around the sampling area, the search radius, the candidate site,
    the path of both legs, the lander and where the traverse stopped."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib.patches import Circle

    geometry = record.world.geometry
    res = geometry.resolution_m
    driven = record.driven_xy_m
    stop_xy = record.traverse.driven_xy_m[-1]
    radius = record.scenario.sampling.search_radius_m
    xs = np.concatenate([driven[:, 0], [stop_xy[0] - radius, stop_xy[0] + radius]])
    ys = np.concatenate([driven[:, 1], [stop_xy[1] - radius, stop_xy[1] + radius]])
    margin = 6.0
    x0, x1 = max(0.0, xs.min() - margin), min(geometry.width_m, xs.max() + margin)
    y0, y1 = max(0.0, ys.min() - margin), min(geometry.height_m, ys.max() + margin)
    c0, c1 = int(x0 / res), math.ceil(x1 / res)
    r0, r1 = int(y0 / res), math.ceil(y1 / res)
    value = record.science[r0:r1, c0:c1]
    extent = (c0 * res, c1 * res, r0 * res, r1 * res)

    fig, ax = plt.subplots(figsize=(8, 7))
    shown = ax.imshow(value, origin="lower", extent=extent, cmap="viridis", vmin=0.0, vmax=1.0)
    fig.colorbar(shown, ax=ax, label="science value", shrink=0.8)
    lethal = ~np.isfinite(record.traverse.rover_cost[r0:r1, c0:c1])
    ax.contourf(
        np.linspace(extent[0], extent[1], lethal.shape[1]),
        np.linspace(extent[2], extent[3], lethal.shape[0]),
        lethal.astype(float),
        levels=[0.5, 1.5],
        colors=["#000000"],
        alpha=0.35,
    )
    ax.plot(driven[:, 0], driven[:, 1], color="white", lw=1.6, label="path driven")
    ax.add_patch(
        Circle(tuple(stop_xy), radius, fill=False, ls="--", color="white", label="site search")
    )
    start = record.scenario.traverse.mission.start_xy_m
    ax.plot(*start, marker="^", color="#e0e0e0", ms=11, mec="black", ls="", label="lander")
    if record.site is not None:
        ax.plot(
            *record.site.xy_m, marker="*", color="#ff5252", ms=18, mec="black", ls="",
            label=f"site (value {record.site.value:.2f})",
        )  # fmt: skip
    ax.set_xlim(extent[0], extent[1])
    ax.set_ylim(extent[2], extent[3])
    ax.set_xlabel("x east (m)")
    ax.set_ylabel("y north (m)")
    ax.set_title(
        f"{record.scenario.name}: {record.final_state.upper()} at {record.mission_time_s:.0f} s\n"
        "(dark: lethal on the rover's map)"
    )
    ax.legend(loc="upper left", fontsize=8)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)


__all__ = ["run_scenario", "summarize"]
