"""``ilrs-auto light``: sunlight on a LOLA tile at one time, and a site's contact windows.

Writes into ``--out``:

- ``lit_map.png``: the tile shaded by the fraction of the Sun's disk each cell sees at
  ``--time`` (UTC), from DE421 + the NAIF lunar frame kernels and the terrain horizon (the tile
  itself and, beyond 1 km, the global LOLA DEM);
- ``contact_timeline.png`` and ``contact_timeline.csv``: Earth (and the Sun) seen from one site
  (default: the default scenario's lander) every ``--step-min`` minutes for ``--days`` days from
  ``--start``; contact while Earth's centre is above the terrain horizon;
- ``contact_windows.csv``: the contact windows of that span.

Bad input (a time that is not one or is outside 1900..2049, a site off the tile, a missing DEM)
ends with one line on stderr and exit status 2.
"""

from __future__ import annotations

import csv
import math
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ilrs_auto.errors import InputError

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress

    from ilrs_auto.sim.light import ContactWindow, LitMap, SiteTimeline
    from ilrs_auto.terrain.geotiff import Dem

EXIT_BAD_INPUT = 2
DEFAULT_TIME = "2024-08-14T00:00"  # inside the JPL Horizons table shipped with the tile
DEFAULT_START = "2024-08-12T00:00"
MAX_SAMPLES = 200_000  # timeline rows: ~20 MB of CSV, a few seconds of ephemeris


def _point(text: str, name: str) -> tuple[float, float]:
    try:
        x, y = (float(part) for part in text.split(","))
    except ValueError:
        raise InputError(f"{name}: expected X,Y in metres, got {text!r}") from None
    if not (math.isfinite(x) and math.isfinite(y)):
        raise InputError(f"{name}: expected finite X,Y, got {text!r}")
    return x, y


@click.command()
@click.option(
    "--time",
    "time_text",
    default=DEFAULT_TIME,
    show_default=True,
    help="UTC time of the lit/shadowed map (YYYY-MM-DDTHH:MM).",
)
@click.option(
    "--site",
    default=None,
    help="X,Y (m, site frame: east/north of the tile's south-west corner) of the contact "
    "timeline [default: the default scenario's lander].",
)
@click.option(
    "--start", default=DEFAULT_START, show_default=True, help="UTC start of the timeline."
)
@click.option(
    "--days",
    type=click.FloatRange(0.01, 3660.0),
    default=30.0,
    show_default=True,
    help="Length of the timeline.",
)
@click.option(
    "--step-min",
    type=click.FloatRange(1.0, 1440.0),
    default=30.0,
    show_default=True,
    help="Timeline step (minutes).",
)
@click.option(
    "--antenna-height",
    type=click.FloatRange(0.0, 100.0),
    default=2.0,
    show_default=True,
    help="Height of the site's antenna above the ground (m).",
)
@click.option(
    "--dem",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="South polar stereographic GeoTIFF DEM [default: the shipped LOLA Shoemaker tile].",
)
@click.option("--no-far", is_flag=True, help="Leave out the far terrain (global LOLA DEM).")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("ilrs-light"),
    show_default=True,
    help="Folder for the pictures and tables.",
)
@click.option("--quiet", is_flag=True, help="No progress bars or summary.")
def light(
    time_text: str,
    site: str | None,
    start: str,
    days: float,
    step_min: float,
    antenna_height: float,
    dem: Path | None,
    no_far: bool,
    out: Path,
    quiet: bool,
) -> None:
    """Draw the tile lit by the Sun at one time, and a site's Earth contact windows."""
    try:
        _light(time_text, site, start, days, step_min, antenna_height, dem, no_far, out, quiet)
    except InputError as error:
        click.echo(f"ilrs-auto: error: {error}", err=True)
        sys.exit(EXIT_BAD_INPUT)


def _light(
    time_text: str,
    site_text: str | None,
    start_text: str,
    days: float,
    step_min: float,
    antenna_height: float,
    dem_path: Path | None,
    no_far: bool,
    out: Path,
    quiet: bool,
) -> None:
    import numpy as np
    from rich.console import Console
    from rich.table import Table

    from ilrs_auto.assets import assets_dir, default_scenario_path
    from ilrs_auto.sim.ephemeris import parse_utc, to_utc_array
    from ilrs_auto.sim.horizon import HorizonSettings, far_terrain
    from ilrs_auto.sim.light import contact_windows, site_timeline, sun_lit_map
    from ilrs_auto.sim.scenario import load_scenario
    from ilrs_auto.terrain import read_dem

    # Everything from outside is checked before anything is computed or written.
    map_time = parse_utc(time_text)
    start = parse_utc(start_text)
    step = np.timedelta64(round(step_min * 60e9), "ns")
    count = int(days * 86400e9 // step.astype(np.int64)) + 1
    if count > MAX_SAMPLES:
        raise InputError(
            f"--days {days:g} at --step-min {step_min:g} makes {count} samples, more than "
            f"{MAX_SAMPLES}: lengthen the step or shorten the span"
        )
    times = start + np.arange(count) * step
    to_utc_array(times)  # the span's end must lie in the kernels' span too
    if site_text is None:
        lander = load_scenario(default_scenario_path()).mission.start_xy_m
        site_xy = (float(lander[0]), float(lander[1]))
    else:
        site_xy = _point(site_text, "--site")
    dem_file = dem_path or assets_dir() / "terrain" / "shoemaker_5mpp.tif"
    tile = read_dem(dem_file)
    row, col = (int(site_xy[1] // tile.resolution_m), int(site_xy[0] // tile.resolution_m))
    if not (0 <= row < tile.shape[0] and 0 <= col < tile.shape[1]):
        raise InputError(
            f"--site: ({site_xy[0]:g}, {site_xy[1]:g}) is outside the DEM "
            f"(0..{tile.width_m:g} x 0..{tile.height_m:g} m)"
        )
    if out.exists() and not out.is_dir():
        raise InputError(f"--out: {out} exists and is not a folder")

    console = Console(stderr=True, quiet=quiet)
    far = None if no_far else far_terrain(tile)
    ground = HorizonSettings(sectors=360)
    antenna = HorizonSettings(sectors=360, observer_height_m=antenna_height)
    with _progress(console) as progress:
        task = progress.add_task("shading the tile", total=1)

        def shading(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        lit = sun_lit_map(tile, map_time, settings=ground, far=far, progress=shading)
        task = progress.add_task("Sun and Earth from the site", total=count)

        def tracking(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        timeline = site_timeline(
            tile, (row, col), times, settings=antenna, far=far, progress=tracking, chunk=2000
        )
    windows = contact_windows(timeline.times_utc, timeline.contact)

    out.mkdir(parents=True, exist_ok=True)
    lit_png = out / "lit_map.png"
    _draw_lit_map(lit, tile, site_xy, lit_png)
    timeline_png = out / "contact_timeline.png"
    _draw_timeline(timeline, windows, site_xy, timeline_png)
    timeline_csv = out / "contact_timeline.csv"
    _write_timeline_csv(timeline, timeline_csv)
    windows_csv = out / "contact_windows.csv"
    _write_windows_csv(windows, windows_csv)

    table = Table(title="light and contact", show_header=False)
    table.add_row(
        "map time (UTC)",
        f"{map_time.astype('datetime64[m]')!s}: Sun at azimuth "
        f"{lit.sun_azimuth_deg.mean():.2f}, elevation {lit.sun_elevation_deg.mean():.2f} deg",
    )
    table.add_row("tile lit", f"{100.0 * lit.lit_fraction.mean():.1f} % of the Sun's light")
    in_contact = 100.0 * timeline.contact.mean()
    table.add_row(
        "site",
        f"({site_xy[0]:g}, {site_xy[1]:g}) m, cell ({row}, {col}), antenna {antenna_height:g} m",
    )
    table.add_row(
        "contact",
        f"{len(windows)} windows, Earth in view {in_contact:.1f} % of {days:g} days",
    )
    for path in (lit_png, timeline_png, timeline_csv, windows_csv):
        table.add_row("wrote", str(path))
    console.print(table)
    click.echo(str(out))


def _progress(console: Console) -> Progress:
    from rich.progress import (
        BarColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    return Progress(
        TextColumn("{task.description:<28}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        console=console,
    )


def _draw_lit_map(lit: LitMap, tile: Dem, site_xy: tuple[float, float], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from ilrs_auto.sim.horizon import map_to_latlon

    extent = (0.0, tile.width_m, 0.0, tile.height_m)
    fig, ax = plt.subplots(figsize=(7.4, 6.2))
    image = ax.imshow(
        lit.lit_fraction, origin="lower", extent=extent, cmap="gray", vmin=0.0, vmax=1.0
    )
    levels = np.arange(
        math.floor(float(tile.heights_m.min()) / 20) * 20, float(tile.heights_m.max()) + 20, 20
    )
    xs = (np.arange(tile.shape[1]) + 0.5) * tile.resolution_m
    ys = (np.arange(tile.shape[0]) + 0.5) * tile.resolution_m
    contours = ax.contour(
        xs, ys, tile.heights_m, levels=levels, colors="tab:orange", linewidths=0.5
    )
    ax.clabel(contours, levels[::2], fontsize=6, fmt="%.0f m")
    ax.plot(*site_xy, marker="^", color="tab:red", markersize=9, linestyle="none", label="lander")

    # A compass: local north and the Sun's direction, turned into map directions by the grid
    # convergence (the longitude) at the tile's centre.
    cx, cy = tile.origin_xy_m[0] + 0.5 * tile.width_m, tile.origin_xy_m[1] + 0.5 * tile.height_m
    _, lon = map_to_latlon(cx, cy)
    rows, cols = tile.shape
    sun_az = float(lit.sun_azimuth_deg[rows // 2, cols // 2])
    sun_el = float(lit.sun_elevation_deg[rows // 2, cols // 2])
    compass = ax.inset_axes((0.02, 0.76, 0.22, 0.22))
    compass.set_xlim(-1.3, 1.3)
    compass.set_ylim(-1.3, 1.3)
    compass.set_xticks([])
    compass.set_yticks([])
    compass.set_aspect("equal")
    for azimuth, label, color in ((0.0, "N", "tab:blue"), (sun_az, "Sun", "tab:red")):
        angle = math.radians(azimuth + float(lon))
        dx, dy = math.sin(angle), math.cos(angle)
        compass.annotate(
            "",
            xy=(0.8 * dx, 0.8 * dy),
            xytext=(0.0, 0.0),
            arrowprops={"arrowstyle": "->", "color": color, "lw": 2},
        )
        side = 1.0 if label == "N" else -1.0
        compass.text(
            0.55 * dx + side * 0.45 * dy,
            0.55 * dy - side * 0.45 * dx,
            label,
            color=color,
            ha="center",
            va="center",
            fontsize=8,
        )
    when = str(lit.time_utc.astype("datetime64[m]")).replace("T", " ")
    ax.set_title(
        f"Sunlight on the LOLA Shoemaker tile, {when} UTC\n"
        f"Sun azimuth {sun_az:.1f}, elevation {sun_el:.2f} deg; "
        f"{100.0 * float(lit.lit_fraction.mean()):.0f} % of the tile lit",
        fontsize=10,
    )
    ax.set_xlabel("x east of the tile's south-west corner (m, map)")
    ax.set_ylabel("y north (m, map)")
    ax.legend(loc="upper right", fontsize=8)
    fig.colorbar(image, ax=ax, label="fraction of the Sun's disk in view", shrink=0.85)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)


def _draw_timeline(
    timeline: SiteTimeline,
    windows: list[ContactWindow],
    site_xy: tuple[float, float],
    path: Path,
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    t = timeline.times_utc.astype("datetime64[s]").astype(object)
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(9.0, 5.6), sharex=True)
    top.plot(t, timeline.earth_elevation_deg, color="tab:blue", lw=1.2, label="Earth elevation")
    top.plot(t, timeline.earth_horizon_deg, color="saddlebrown", lw=1.0, label="terrain horizon")
    for w in windows:
        top.axvspan(
            w.start_utc.astype("datetime64[s]").astype(object),
            w.end_utc.astype("datetime64[s]").astype(object),
            color="tab:green",
            alpha=0.2,
            lw=0,
        )
    top.set_ylabel("towards Earth (deg)")
    hours = sum(w.duration_h for w in windows)
    top.set_title(
        f"Earth contact from ({site_xy[0]:g}, {site_xy[1]:g}) m on the tile: "
        f"{len(windows)} window{'' if len(windows) == 1 else 's'} (green), "
        f"{hours:.0f} h in view",
        fontsize=10,
    )
    top.legend(loc="upper right", fontsize=8)
    top.grid(alpha=0.3)
    bottom.plot(t, timeline.sun_elevation_deg, color="goldenrod", lw=1.2, label="Sun elevation")
    bottom.plot(t, timeline.sun_horizon_deg, color="saddlebrown", lw=1.0, label="terrain horizon")
    lit = bottom.twinx()
    lit.fill_between(t, 0.0, timeline.sun_lit_fraction, color="gold", alpha=0.35, lw=0)
    lit.set_ylim(0.0, 4.0)
    lit.set_yticks([0.0, 1.0])
    lit.set_ylabel("Sun's disk in view", fontsize=8)
    bottom.set_ylabel("towards the Sun (deg)")
    bottom.set_title("the Sun from the same site: lit while above the horizon (gold)", fontsize=9)
    bottom.legend(loc="upper right", fontsize=8)
    bottom.grid(alpha=0.3)
    bottom.xaxis.set_major_formatter(mdates.DateFormatter("%m-%d"))  # type: ignore[no-untyped-call]
    bottom.set_xlabel("UTC")
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)


def _write_timeline_csv(timeline: SiteTimeline, path: Path) -> None:
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(
            [
                "time_utc",
                "earth_azimuth_deg",
                "earth_elevation_deg",
                "earth_horizon_deg",
                "earth_visible_fraction",
                "contact",
                "sun_azimuth_deg",
                "sun_elevation_deg",
                "sun_horizon_deg",
                "sun_lit_fraction",
            ]
        )
        contact = timeline.contact
        for i, t in enumerate(timeline.times_utc.astype("datetime64[s]")):
            writer.writerow(
                [
                    f"{t}Z",
                    f"{timeline.earth_azimuth_deg[i]:.4f}",
                    f"{timeline.earth_elevation_deg[i]:.4f}",
                    f"{timeline.earth_horizon_deg[i]:.4f}",
                    f"{timeline.earth_visible_fraction[i]:.4f}",
                    int(contact[i]),
                    f"{timeline.sun_azimuth_deg[i]:.4f}",
                    f"{timeline.sun_elevation_deg[i]:.4f}",
                    f"{timeline.sun_horizon_deg[i]:.4f}",
                    f"{timeline.sun_lit_fraction[i]:.4f}",
                ]
            )


def _write_windows_csv(windows: list[ContactWindow], path: Path) -> None:
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["start_utc", "end_utc", "duration_h", "open_start", "open_end"])
        for w in windows:
            writer.writerow(
                [
                    f"{w.start_utc.astype('datetime64[s]')}Z",
                    f"{w.end_utc.astype('datetime64[s]')}Z",
                    f"{w.duration_h:.2f}",
                    int(w.open_start),
                    int(w.open_end),
                ]
            )
