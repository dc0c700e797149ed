"""Mission reports: a picture of the traverse, a JSON summary and, when the mission was flown
with a log, the MCAP mission log (``mission.mcap``, for ``ilrs-auto replay``), all or nothing.

The report is assembled in a temporary folder beside the destination and moved into place
only when every file is written, so a failed run never leaves a half-written report.
"""

from __future__ import annotations

import json
import math
import os
import shutil
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # reports are files; never open a window

import matplotlib.pyplot as plt
import numpy as np
import numpy.typing as npt
from matplotlib.colors import ListedColormap
from matplotlib.patches import Circle

from ilrs_auto import __version__
from ilrs_auto.output import check_output_folder, write_folder
from ilrs_auto.sim.runner import MissionRecord

SUMMARY_NAME = "summary.json"
MAP_NAME = "traverse.png"
LOG_NAME = "mission.mcap"

STATE_COLOURS = {
    "idle": "#9e9e9e",
    "traverse_planning": "#42a5f5",
    "traverse_driving": "#66bb6a",
    "traverse_replanning": "#ffa726",
    "arrived": "#26a69a",
    "fault": "#e53935",
    "safe": "#8e24aa",
}


def summarize(record: MissionRecord) -> dict[str, Any]:
    """The JSON summary: the same scenario and seed give the same summary, byte for byte."""
    scenario = record.scenario
    first_plan = record.plans[0][1] if record.plans else None
    res = record.world.geometry.resolution_m
    return {
        "ilrs_auto_version": __version__,
        "scenario": scenario.name,
        "scenario_file": scenario.source,
        "seed": scenario.seed,
        "final_state": record.final_state,
        "arrived": record.arrived,
        "mission_time_s": round(record.mission_time_s, 3),
        "distance_m": round(record.distance_m, 3),
        "straight_line_m": round(
            math.dist(scenario.mission.start_xy_m, scenario.mission.goal_xy_m), 3
        ),
        "first_plan_length_m": round(first_plan.length_cells * res, 3) if first_plan else None,
        "planner": scenario.mission.planner,
        "plans": len(record.plans),
        "plan_log": [
            {
                "time_s": t,
                "cost": round(p.cost, 6),
                "cells": len(p.cells),
                "expansions": p.expansions,
            }
            for t, p in record.plans
        ],
        "replans": len(record.replan_causes),
        "replans_caused_by_rocks": sum(c.cause == "rock" for c in record.replan_causes),
        "replan_causes": [
            {
                "time_s": c.time_s,
                "rover_xy_m": [round(v, 3) for v in c.position_xy_m],
                "blocked_cell": list(c.cell),
                "cause": c.cause,
                "rock_diameter_m": None
                if math.isnan(c.rock_diameter_m)
                else round(c.rock_diameter_m, 3),
                "lethal_in_orbital_map": c.lethal_in_prior,
            }
            for c in record.replan_causes
        ],
        "wheel_odometry_m": round(record.wheel_distance_m, 3),
        "mission_log": LOG_NAME if record.log_path is not None else None,
        "depth_frames": record.frames,
        "rocks_in_world": len(record.world.rocks),
        "fault": None
        if record.fault is None
        else {
            "time_s": record.fault.time_s,
            "event": record.fault.event,
            "detail": _jsonable(record.fault.detail),
        },
        "timeline": [
            {"time_s": t.time_s, "event": t.event, "from": t.source, "to": t.dest}
            for t in record.transitions
        ],
    }


def check_report_target(out_dir: str | os.PathLike[str]) -> Path:
    """The report folder, checked before any work: it must be absent or an earlier report,
    and its parent must be a folder we can write in. Raises InputError naming the path."""
    return check_output_folder(
        out_dir,
        SUMMARY_NAME,
        "{target}: exists and is not an ilrs_auto report folder; choose another --out",
        "{target}: cannot write a report folder in {parent}: {reason}",
    )


def write_report(record: MissionRecord, out_dir: str | os.PathLike[str]) -> Path:
    """Writes ``traverse.png``, ``summary.json`` and a copy of the mission's log (when it has
    one) into ``out_dir``, all or nothing."""

    def fill(folder: Path) -> None:
        if record.log_path is not None:
            shutil.copyfile(record.log_path, folder / LOG_NAME)
        summary = summarize(record)
        (folder / SUMMARY_NAME).write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
        draw_traverse(record, folder / MAP_NAME)

    return write_folder(check_report_target(out_dir), fill)


def draw_traverse(record: MissionRecord, path: Path) -> None:
    """Map of the traverse (hazards, plans, driven path, replans) over a state timeline."""
    world = record.world
    res = world.geometry.resolution_m
    mission = record.scenario.mission
    xs = [mission.start_xy_m[0], mission.goal_xy_m[0], *record.driven_xy_m[:, 0]]
    ys = [mission.start_xy_m[1], mission.goal_xy_m[1], *record.driven_xy_m[:, 1]]
    margin = 25.0
    x0, x1 = max(0.0, min(xs) - margin), min(world.geometry.width_m, max(xs) + margin)
    y0, y1 = max(0.0, min(ys) - margin), min(world.geometry.height_m, max(ys) + margin)
    c0, c1 = int(x0 / res), math.ceil(x1 / res)
    r0, r1 = int(y0 / res), math.ceil(y1 / res)
    extent = (c0 * res, c1 * res, r0 * res, r1 * res)

    fig = plt.figure(figsize=(13, 8.5), layout="constrained")
    grid = fig.add_gridspec(2, 1, height_ratios=[4, 1.3])
    ax = fig.add_subplot(grid[0])
    shade = _hillshade(world.heights_m[r0:r1, c0:c1], res)
    ax.imshow(shade, cmap="gray", origin="lower", extent=extent, vmin=0, vmax=1)

    # Hazards the rover knows at the end: known from orbit (slopes) and found by its camera.
    lethal = np.isinf(record.rover_cost[r0:r1, c0:c1])
    prior = record.prior_lethal[r0:r1, c0:c1]
    layers = np.zeros(lethal.shape, np.uint8)
    layers[lethal & prior] = 1
    layers[lethal & ~prior] = 2
    cmap = ListedColormap([(0, 0, 0, 0), (0.45, 0.1, 0.6, 0.55), (0.95, 0.15, 0.1, 0.85)])
    ax.imshow(
        layers, cmap=cmap, origin="lower", extent=extent, vmin=0, vmax=2, interpolation="nearest"
    )

    for i, (_, plan) in enumerate(record.plans):
        xy = (plan.corners[:, ::-1] + 0.5) * res
        ax.plot(
            xy[:, 0],
            xy[:, 1],
            color="white" if i == 0 else "#4fc3f7",
            lw=1.6 if i == 0 else 1.0,
            ls="--" if i == 0 else "-",
            alpha=0.9,
            label="first plan" if i == 0 else ("replans" if i == 1 else None),
        )
    ax.plot(
        record.driven_xy_m[:, 0], record.driven_xy_m[:, 1], color="#ffd54f", lw=2.2, label="driven"
    )
    for n, cause in enumerate(record.replan_causes, start=1):
        bx, by = world.geometry.centre_of(cause.cell)
        ax.plot(*cause.position_xy_m, marker="X", color="#ff7043", ms=9, mec="black")
        ax.annotate(
            f"{n}",
            cause.position_xy_m,
            textcoords="offset points",
            xytext=(6, 6),
            color="white",
            fontsize=9,
            weight="bold",
        )
        ax.add_patch(Circle((bx, by), 3.0, fill=False, ec="#ff7043", lw=1.8))
    ax.plot(
        *mission.start_xy_m, marker="^", color="#e0e0e0", ms=12, mec="black", ls="", label="lander"
    )
    ax.plot(
        *mission.goal_xy_m,
        marker="*",
        color="#ffee58",
        ms=16,
        mec="black",
        ls="",
        label="science target",
    )
    ax.plot([], [], color=(0.95, 0.15, 0.1), lw=6, label="hazard seen by depth camera")
    ax.plot([], [], color=(0.45, 0.1, 0.6), lw=6, label="hazard known from orbit")
    ax.plot([], [], marker="X", color="#ff7043", mec="black", ls="", label="replan (rock ahead)")
    ax.set_xlim(extent[0], extent[1])
    ax.set_ylim(extent[2], extent[3])
    ax.set_aspect("equal")
    ax.set_xlabel("x east (m)")
    ax.set_ylabel("y north (m)")
    ax.legend(loc="upper left", fontsize=8, framealpha=0.8, ncols=2)
    ax.set_title(
        f"{record.scenario.name}: {record.final_state.upper()} after "
        f"{record.mission_time_s:.0f} s, {record.distance_m:.1f} m driven, "
        f"{len(record.replan_causes)} replans, {len(world.rocks)} rocks (seed "
        f"{record.scenario.seed})"
    )

    timeline = fig.add_subplot(grid[1])
    _draw_timeline(timeline, record)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)


def _draw_timeline(ax: Any, record: MissionRecord) -> None:
    """One lane per state, so that short states (a 2 s plan) stay visible."""
    changes = [(0.0, "idle")] + [(t.time_s, t.dest) for t in record.transitions]
    end = max(record.mission_time_s, 1.0)
    lanes = list(dict.fromkeys(state for _, state in changes))
    for i, (start, state) in enumerate(changes):
        stop = changes[i + 1][0] if i + 1 < len(changes) else end
        width = max(stop - start, end * 0.004)
        start = min(start, end - width)  # a state entered at the very end still shows
        ax.broken_barh(
            [(start, width)],
            (lanes.index(state) - 0.4, 0.8),
            color=STATE_COLOURS.get(state, "black"),
        )
    for cause in record.replan_causes:
        ax.axvline(cause.time_s, color="black", lw=0.8, ls=":")
    ax.set_xlim(0, end)
    ax.set_ylim(len(lanes) - 0.5, -0.5)
    ax.set_yticks(
        range(len(lanes)), [state.replace("traverse_", "") for state in lanes], fontsize=8
    )
    ax.set_xlabel("mission time (s)")
    ax.set_title("state timeline (dotted: replans)", fontsize=10)


def _hillshade(
    heights: npt.NDArray[np.float32],
    res: float,
    azimuth_deg: float = 315.0,
    elevation_deg: float = 35.0,
) -> npt.NDArray[np.float64]:
    gy, gx = np.gradient(heights.astype(np.float64), res)
    az, el = math.radians(azimuth_deg), math.radians(elevation_deg)
    normal = np.stack([-gx, -gy, np.ones_like(gx)])
    normal /= np.linalg.norm(normal, axis=0)
    light = np.array([math.cos(el) * math.sin(az), math.cos(el) * math.cos(az), math.sin(el)])
    return np.clip(np.tensordot(light, normal, axes=1), 0.0, 1.0)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return round(float(value), 6)
    return value
