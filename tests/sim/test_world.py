"""Building the world from the real LOLA tile, and the bad-input checks at its edge."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from ilrs_auto.assets import assets_dir
from ilrs_auto.errors import InputError
from ilrs_auto.sim.scenario import Scenario, parse_scenario
from ilrs_auto.sim.world import build_world

# A short traverse on the plain west of the crater, and the steepest spot of the crater wall.
PLAIN_START, PLAIN_GOAL = (520.0, 700.0), (560.0, 705.0)
CRATER_WALL = (982.5, 462.5)  # about 27 deg in the 5 m DEM


def scenario(
    tmp_path: Path,
    start: tuple[float, float] = PLAIN_START,
    goal: tuple[float, float] = PLAIN_GOAL,
    extra: str = "",
) -> Scenario:
    text = (
        f"seed: 3\n{extra}mission:\n  start_xy_m: [{start[0]}, {start[1]}]\n"
        f"  goal_xy_m: [{goal[0]}, {goal[1]}]\n"
    )
    path = tmp_path / "s.yaml"
    path.write_text(text)
    return parse_scenario(text, str(path))


def test_world_is_the_resampled_tile_with_rocks(tmp_path: Path) -> None:
    world = build_world(scenario(tmp_path))
    assert world.geometry.shape == (2560, 2560)
    assert world.geometry.resolution_m == pytest.approx(0.5)
    assert world.dem.shape == (256, 256)
    # Resampling keeps the DEM's heights: block means agree with the 5 m posts.
    blocks = world.ground_m.reshape(256, 10, 256, 10).mean(axis=(1, 3))
    assert np.abs(blocks - world.dem.heights_m).mean() < 0.2
    assert len(world.rocks) > 100
    raised = world.heights_m - world.ground_m
    assert raised.min() >= 0.0 and raised.max() <= world.rocks.height_m.max() + 1e-4
    assert (raised > 0.1).sum() > len(world.rocks) // 4


def test_same_seed_same_world(tmp_path: Path) -> None:
    a, b = build_world(scenario(tmp_path)), build_world(scenario(tmp_path))
    np.testing.assert_array_equal(a.heights_m, b.heights_m)
    c = build_world(scenario(tmp_path, extra="rocks:\n  field_margin_m: 10\n"))
    assert len(c.rocks) < len(a.rocks)


def test_goal_outside_the_map(tmp_path: Path) -> None:
    with pytest.raises(
        InputError,
        match=r"s\.yaml:4: mission\.goal_xy_m: \(5000, 10\) is "
        r"outside the map \(x in \[0, 1280\)",
    ):
        build_world(scenario(tmp_path, goal=(5000.0, 10.0)))


def test_goal_on_a_hazard(tmp_path: Path) -> None:
    with pytest.raises(
        InputError,
        match=r"s\.yaml:4: mission\.goal_xy_m: the goal .* is on a "
        r"hazard \(slope 2\d\.\d deg",
    ):
        build_world(scenario(tmp_path, goal=CRATER_WALL))


def test_start_on_an_obstacle(tmp_path: Path) -> None:
    with pytest.raises(
        InputError,
        match=r"s\.yaml:3: mission\.start_xy_m: the start .* is on a "
        r"hazard",
    ):
        build_world(scenario(tmp_path, start=CRATER_WALL))


def test_missing_dem(tmp_path: Path) -> None:
    with pytest.raises(
        InputError,
        match=r"s\.yaml:3: terrain\.dem: no such file \(.*/nowhere\.tif or .*/nowhere\.tif\)",
    ):
        build_world(scenario(tmp_path, extra="terrain:\n  dem: nowhere.tif\n"))


def test_corrupt_dem(tmp_path: Path) -> None:
    good = assets_dir() / "terrain" / "shoemaker_5mpp.tif"
    broken = tmp_path / "broken.tif"
    shutil.copy(good, broken)
    broken.write_bytes(broken.read_bytes()[:5000])  # cut short: strips run past the end
    with pytest.raises(
        InputError, match=r"s\.yaml:3: terrain\.dem: .*broken\.tif: .* the file has only 5000 bytes"
    ) as info:
        build_world(scenario(tmp_path, extra="terrain:\n  dem: broken.tif\n"))
    assert "\n" not in str(info.value)


def test_too_fine_a_resolution_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"terrain\.resolution_m: 0\.1 m .* \(over 50 million\)"):
        build_world(scenario(tmp_path, extra="terrain:\n  resolution_m: 0.1\n"))
