"""``ilrs-auto traverse``: plan a long-range route of least energy over an orbital DEM and draw
it (route over the terrain with hazards from orbit, and the elevation and energy profiles)."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import click

from ilrs_auto.errors import InputError

EXIT_BAD_INPUT = 2


def _point(text: str, name: str) -> tuple[float, float]:
    try:
        x, y = (float(part) for part in text.split(","))
    except ValueError:
        raise InputError(f"{name}: expected X,Y in metres, got {text!r}") from None
    if not (math.isfinite(x) and math.isfinite(y)):
        raise InputError(f"{name}: expected finite X,Y, got {text!r}")
    return x, y


@click.command()
@click.option("--from", "start", required=True, help="Start X,Y (m, site frame).")
@click.option("--to", "goal", required=True, help="Goal X,Y (m, site frame).")
@click.option(
    "--dem",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="GeoTIFF DEM [default: the shipped LOLA Shoemaker tile].",
)
@click.option(
    "--max-slope",
    type=click.FloatRange(1.0, 60.0),
    default=20.0,
    show_default=True,
    help="Steepest slope the rover may climb or descend (deg).",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("traverse-route.png"),
    show_default=True,
    help="Picture to write.",
)
def traverse(start: str, goal: str, dem: Path | None, max_slope: float, out: Path) -> None:
    """Plan the least-energy route between two points of a DEM and draw it."""
    try:
        _traverse(_point(start, "--from"), _point(goal, "--to"), dem, max_slope, out)
    except InputError as error:
        click.echo(f"ilrs-auto: error: {error}", err=True)
        sys.exit(EXIT_BAD_INPUT)


def _check_writable(out: Path) -> None:
    """Refuses an output path that cannot be written, before any planning, leaving nothing
    behind."""
    import tempfile

    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=out.parent, prefix=f".{out.name}.", delete=True):
            pass
    except OSError as error:
        raise InputError(f"--out: {out}: {error.strerror}") from None


def _traverse(
    start: tuple[float, float],
    goal: tuple[float, float],
    dem_path: Path | None,
    max_slope: float,
    out: Path,
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib.colors import ListedColormap

    from ilrs_auto.assets import assets_dir
    from ilrs_auto.perception import HazardConfig
    from ilrs_auto.planning import PlanningError
    from ilrs_auto.planning.traverse import EnergyModel, orbital_hazards, plan_traverse
    from ilrs_auto.terrain import read_dem

    if out.suffix.lower() not in (".png", ".pdf", ".svg"):
        raise InputError(f"--out: {out}: write a .png, .pdf or .svg picture")
    dem = read_dem(dem_path or assets_dir() / "terrain" / "shoemaker_5mpp.tif")
    if np.isnan(dem.heights_m).any():
        raise InputError(f"{dem.source}: has NoData posts; the traverse planner needs a full DEM")
    for name, (x, y) in (("--from", start), ("--to", goal)):
        if not (0 <= x < dem.width_m and 0 <= y < dem.height_m):
            raise InputError(
                f"{name}: ({x:g}, {y:g}) is outside the DEM "
                f"(x in [0, {dem.width_m:g}), y in [0, {dem.height_m:g}) m)"
            )
    _check_writable(out)
    model = EnergyModel(max_slope_deg=max_slope)
    heights = np.ascontiguousarray(dem.heights_m, dtype=np.float32)
    blocked = orbital_hazards(
        heights,
        dem.resolution_m,
        HazardConfig(footprint_radius_m=dem.resolution_m, max_slope_deg=max_slope),
    )
    try:
        route = plan_traverse(heights, dem.resolution_m, start, goal, model, blocked)
    except PlanningError as failure:
        raise InputError(f"no traverse: {failure}") from None

    fig, (ax, profile) = plt.subplots(
        2, 1, figsize=(9, 11), height_ratios=[3, 1], layout="constrained"
    )
    extent = (0.0, dem.width_m, 0.0, dem.height_m)
    shade = ax.imshow(heights, origin="lower", extent=extent, cmap="gray")
    fig.colorbar(shade, ax=ax, label="height above 1737.4 km (m)", shrink=0.8)
    ax.imshow(
        np.ma.masked_equal(blocked, 0),
        origin="lower",
        extent=extent,
        cmap=ListedColormap(["#ff9800"]),
        alpha=0.8,
        interpolation="nearest",
    )
    ax.plot(
        route.xy_m[:, 0],
        route.xy_m[:, 1],
        color="#4fc3f7",
        lw=2.2,
        label=f"least-energy route: {route.distance_m:.0f} m, {route.energy_wh:.0f} Wh",
    )
    ax.plot(*start, marker="^", color="white", mec="black", ms=11, ls="", label="start")
    ax.plot(*goal, marker="*", color="#ffee58", mec="black", ms=15, ls="", label="goal")
    ax.plot([], [], color="orange", lw=6, label=f"steeper than {max_slope:g} deg (from orbit)")
    ax.legend(loc="upper left", fontsize=8)
    ax.set_xlabel("x east (m)")
    ax.set_ylabel("y north (m)")
    ax.set_title(
        f"Traverse over {Path(dem.source).name}: steepest move {route.max_slope_deg:.1f} deg"
    )
    rows, cols = route.cells[:, 0], route.cells[:, 1]
    along = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(route.xy_m, axis=0).T))])
    profile.plot(along, heights[rows, cols], color="black")
    profile.set_xlabel("distance along the route (horizontal, m)")
    profile.set_ylabel("height (m)")
    profile.set_title("elevation profile")
    fig.savefig(out, dpi=100, bbox_inches="tight")
    plt.close(fig)
    click.echo(
        f"{route.distance_m:.1f} m, {route.energy_wh:.1f} Wh, steepest "
        f"{route.max_slope_deg:.1f} deg, {len(route.cells)} posts -> {out}"
    )
