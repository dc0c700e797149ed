"""Scenario files: what world, which rover, where from and where to.

A scenario is a YAML mapping whose sections and keys mirror the dataclasses below. Every key
is optional except ``mission.start_xy_m`` and ``mission.goal_xy_m``; an unknown key, a value of
the wrong type or out of range is reported as ``FILE:LINE: section.key: problem``.

Coordinates are metres in the *site frame*: x east and y north from the south-west corner of
the terrain tile.
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ilrs_auto.errors import InputError
from ilrs_auto.located import compose_yaml, node_text, scalar_value


def spec(
    doc: str, *, lo: float | None = None, hi: float | None = None, lo_open: bool = False
) -> Any:
    """Field metadata: a one-line description and the allowed range."""
    return {"doc": doc, "lo": lo, "hi": hi, "lo_open": lo_open}


@dataclass(frozen=True)
class TerrainConfig:
    dem: str = field(
        default="terrain/shoemaker_5mpp.tif",
        metadata=spec("GeoTIFF DEM, relative to the scenario file or to the shipped assets"),
    )
    resolution_m: float = field(
        default=0.5, metadata=spec("simulation grid spacing", lo=0.05, hi=10.0)
    )


@dataclass(frozen=True)
class RockConfig:
    cumulative_fractional_area: float = field(
        default=0.06,
        metadata=spec("Golombek-Rapp k: area fraction covered by rocks", lo=0.0, hi=0.4),
    )
    min_diameter_m: float = field(
        default=0.3, metadata=spec("smallest rock placed", lo=0.05, hi=10.0, lo_open=True)
    )
    max_diameter_m: float = field(
        default=2.5, metadata=spec("largest rock placed", lo=0.05, hi=20.0, lo_open=True)
    )
    height_ratio: float = field(
        default=0.5, metadata=spec("rock height / diameter", lo=0.05, hi=1.0)
    )
    field_margin_m: float = field(
        default=60.0,
        metadata=spec("rocks cover the start-goal box grown by this much", lo=0.0, hi=5000.0),
    )
    clear_radius_m: float = field(
        default=4.0,
        metadata=spec("no rock within this distance of the start and the goal", lo=0.0, hi=100.0),
    )


@dataclass(frozen=True)
class RoverConfig:
    speed_mps: float = field(
        default=0.2, metadata=spec("drive speed", lo=0.0, hi=5.0, lo_open=True)
    )
    yaw_rate_dps: float = field(
        default=20.0, metadata=spec("turn rate", lo=0.0, hi=180.0, lo_open=True)
    )
    footprint_radius_m: float = field(
        default=0.75, metadata=spec("half-width of the hazard windows", lo=0.05, hi=10.0)
    )
    max_slope_deg: float = field(
        default=20.0, metadata=spec("steepest traversable slope", lo=1.0, hi=60.0)
    )
    max_step_m: float = field(
        default=0.25, metadata=spec("highest traversable step", lo=0.01, hi=2.0)
    )
    max_roughness_m: float = field(
        default=0.08, metadata=spec("roughest traversable ground (RMS)", lo=0.005, hi=1.0)
    )
    belly_clearance_m: float = field(
        default=0.3,
        metadata=spec("ground clearance under the chassis (belly hazard)", lo=0.01, hi=5.0),
    )


@dataclass(frozen=True)
class DepthCameraConfig:
    width_px: int = field(default=64, metadata=spec("image width", lo=2, hi=4096))
    height_px: int = field(default=48, metadata=spec("image height", lo=2, hi=4096))
    hfov_deg: float = field(
        default=70.0, metadata=spec("horizontal field of view", lo=5.0, hi=170.0)
    )
    mast_height_m: float = field(
        default=1.5, metadata=spec("camera height above the ground", lo=0.1, hi=10.0)
    )
    pitch_deg: float = field(
        default=25.0, metadata=spec("downward tilt of the optical axis", lo=0.0, hi=89.0)
    )
    max_range_m: float = field(default=10.0, metadata=spec("farthest return", lo=1.0, hi=200.0))
    rate_hz: float = field(
        default=1.0, metadata=spec("frames per second", lo=0.0, hi=100.0, lo_open=True)
    )
    noise_floor_m: float = field(
        default=0.003,
        metadata=spec("depth noise at zero range (1 sigma)", lo=0.0, hi=1.0, lo_open=True),
    )
    noise_per_range2: float = field(
        default=0.0002, metadata=spec("depth noise growth per range squared", lo=0.0, hi=1.0)
    )
    lit_only: bool = field(
        default=False,
        metadata=spec("no depth where neither the Sun nor the rover light reaches the surface"),
    )
    rover_light_intensity: float = field(
        default=0.0,
        metadata=spec(
            "rover light at the camera: irradiance at 1 m, fraction of full sunlight (0 = none)",
            lo=0.0,
            hi=1000.0,
        ),
    )
    min_irradiance: float = field(
        default=0.01,
        metadata=spec("with lit_only, the least irradiance that gives depth", lo=0.0, hi=1.0),
    )


@dataclass(frozen=True)
class MissionConfig:
    start_xy_m: tuple[float, float] = field(
        default=(math.nan, math.nan), metadata=spec("lander position (required)")
    )
    goal_xy_m: tuple[float, float] = field(
        default=(math.nan, math.nan), metadata=spec("science target (required)")
    )
    start_heading_deg: float = field(
        default=0.0, metadata=spec("initial heading, counter-clockwise from east", lo=-360, hi=360)
    )
    goal_tolerance_m: float = field(default=1.0, metadata=spec("arrival radius", lo=0.1, hi=100.0))
    time_limit_s: float = field(
        default=7200.0, metadata=spec("mission time budget", lo=1.0, hi=1e7)
    )
    tick_s: float = field(default=0.5, metadata=spec("control period", lo=0.01, hi=10.0))
    planning_latency_s: float = field(
        default=2.0, metadata=spec("mission time charged per plan", lo=0.0, hi=600.0)
    )
    planner: str = field(
        default="d_star_lite",
        metadata=spec("path planner by name: d_star_lite (incremental) or grid_astar"),
    )
    smooth_paths: bool = field(
        default=True,
        metadata=spec("drive any-angle shortcuts of each plan (line of sight on its costmap)"),
    )
    stall_timeout_s: float = field(
        default=60.0, metadata=spec("no progress for this long is a stall", lo=1.0, hi=1e5)
    )
    start_utc: str = field(
        default="2024-08-14T12:00",
        metadata=spec("mission start time, UTC (YYYY-MM-DD[THH:MM[:SS]]): places the Sun"),
    )


# ---- power and thermal (the model is ilrs_auto.sim.power) ------------------------------------
@dataclass(frozen=True)
class PanelConfig:
    area_m2: float = field(default=0.8, metadata=spec("cell area", lo=0.0, hi=50.0, lo_open=True))
    efficiency: float = field(
        default=0.28, metadata=spec("cell efficiency at the bus", lo=0.0, hi=1.0, lo_open=True)
    )
    tracking: bool = field(
        default=True,
        metadata=spec("mast-mounted panel turned to the Sun's azimuth (false: fixed to the body)"),
    )
    normal_elevation_deg: float = field(
        default=0.0,
        metadata=spec(
            "panel normal above the horizon (0: vertical, best for a low Sun)", lo=-90, hi=90
        ),
    )
    azimuth_offset_deg: float = field(
        default=90.0,
        metadata=spec(
            "fixed panel: normal counter-clockwise from the rover's heading", lo=-360, hi=360
        ),
    )
    height_m: float = field(
        default=1.5, metadata=spec("panel height above the ground (its horizon)", lo=0.0, hi=10.0)
    )


@dataclass(frozen=True)
class BatteryConfig:
    capacity_wh: float = field(
        default=600.0, metadata=spec("usable energy when full", lo=0.0, hi=1e6, lo_open=True)
    )
    initial_soc: float = field(default=0.8, metadata=spec("state of charge at start", lo=0, hi=1))
    charge_efficiency: float = field(
        default=0.95, metadata=spec("stored / delivered by the bus", lo=0.0, hi=1.0, lo_open=True)
    )
    discharge_efficiency: float = field(
        default=0.95, metadata=spec("delivered / drawn from cells", lo=0.0, hi=1.0, lo_open=True)
    )
    reserve_soc: float = field(
        default=0.2, metadata=spec("below this state of charge: power_critical", lo=0, hi=1)
    )
    full_v: float = field(default=33.6, metadata=spec("bus voltage when full", lo=1, hi=1000))
    empty_v: float = field(default=24.0, metadata=spec("bus voltage when empty", lo=1, hi=1000))
    min_bus_v: float = field(
        default=22.0, metadata=spec("below this bus voltage: brownout", lo=0, hi=1000)
    )


@dataclass(frozen=True)
class LoadConfig:
    idle_w: float = field(default=15.0, metadata=spec("avionics, always on", lo=0, hi=1e4))
    perception_w: float = field(
        default=10.0, metadata=spec("camera and mapping, while frames come", lo=0, hi=1e4)
    )
    planning_w: float = field(
        default=15.0, metadata=spec("path planning, while a plan is computed", lo=0, hi=1e4)
    )
    drive_w_per_mps: float = field(
        default=250.0, metadata=spec("drive motors per m/s of commanded speed", lo=0, hi=1e5)
    )
    heater_w: float = field(default=40.0, metadata=spec("survival heaters when on", lo=0, hi=1e4))


@dataclass(frozen=True)
class ThermalConfig:
    initial_k: float = field(
        default=283.0, metadata=spec("node temperature at start", lo=1, hi=600)
    )
    heat_capacity_j_per_k: float = field(
        default=20000.0, metadata=spec("lumped heat capacity", lo=0.0, hi=1e9, lo_open=True)
    )
    absorptivity: float = field(
        default=0.1, metadata=spec("solar absorptivity of the sunlit side", lo=0, hi=1)
    )
    sunlit_area_m2: float = field(
        default=0.5, metadata=spec("area facing the Sun (a side: the Sun is low)", lo=0, hi=100)
    )
    emissivity: float = field(
        default=0.8, metadata=spec("infrared emissivity of the radiator", lo=0, hi=1)
    )
    radiator_area_m2: float = field(
        default=0.5, metadata=spec("radiating area", lo=0.0, hi=100.0, lo_open=True)
    )
    sky_view_factor: float = field(
        default=0.5, metadata=spec("fraction of the radiator's view that is sky", lo=0, hi=1)
    )
    sky_k: float = field(default=40.0, metadata=spec("effective sky temperature", lo=0, hi=400))
    internal_fraction: float = field(
        default=0.8, metadata=spec("share of the electrical load dissipated inside", lo=0, hi=1)
    )
    heater_setpoint_k: float = field(
        default=253.0, metadata=spec("heaters switch on below this", lo=1, hi=600)
    )
    heater_hysteresis_k: float = field(
        default=3.0, metadata=spec("heaters switch off this far above the setpoint", lo=0, hi=100)
    )


@dataclass(frozen=True)
class PowerConfig:
    panel: PanelConfig = field(default_factory=PanelConfig)
    battery: BatteryConfig = field(default_factory=BatteryConfig)
    loads: LoadConfig = field(default_factory=LoadConfig)
    thermal: ThermalConfig = field(default_factory=ThermalConfig)
    sun_step_s: float = field(
        default=60.0, metadata=spec("spacing of the precomputed Sun track", lo=1.0, hi=3600.0)
    )


# ---- faults injected at mission times, and how the traverse responds ------------------------
FAULT_TYPES = ("wheel_stuck", "sensor_dropout", "link_loss", "mcu_reset", "brownout")
# brownout's sag lasts a second unless told; every other fault needs its duration.
FAULT_DEFAULT_DURATION_S = {"brownout": 1.0}


@dataclass(frozen=True)
class FaultConfig:
    type: str = field(default="", metadata=spec(f"one of: {', '.join(FAULT_TYPES)}"))
    time_s: float = field(
        default=math.nan, metadata=spec("mission time it strikes (required)", lo=0.0, hi=1e7)
    )
    duration_s: float = field(
        default=math.nan,
        metadata=spec(
            "how long it lasts (mcu_reset: the reboot time)", lo=0.0, hi=1e7, lo_open=True
        ),
    )
    sag_v: float = field(
        default=12.0, metadata=spec("brownout: bus voltage drop", lo=0.0, hi=1000.0, lo_open=True)
    )

    def __post_init__(self) -> None:
        if math.isnan(self.duration_s) and self.type in FAULT_DEFAULT_DURATION_S:
            object.__setattr__(self, "duration_s", FAULT_DEFAULT_DURATION_S[self.type])

    @property
    def end_s(self) -> float:
        return self.time_s + self.duration_s


@dataclass(frozen=True)
class ResponseConfig:
    frame_gap_s: float = field(
        default=3.0, metadata=spec("no frame for this long: stop and wait", lo=0.01, hi=1e5)
    )
    dropout_timeout_s: float = field(
        default=60.0, metadata=spec("no frame for this long: sensor_dropout fault", lo=0.01, hi=1e5)
    )
    unknown_lookahead_m: float = field(
        default=3.0, metadata=spec("path length ahead checked for unknown ground", lo=0, hi=100)
    )
    unknown_max_fraction: float = field(
        default=0.3, metadata=spec("more unknown than this ahead: stop and wait", lo=0, hi=1)
    )
    unknown_timeout_s: float = field(
        default=60.0,
        metadata=spec("still unknown after this long: view_unknown fault", lo=0.01, hi=1e5),
    )
    reboot_timeout_s: float = field(
        default=120.0, metadata=spec("drive not back after this long: fault", lo=0.01, hi=1e5)
    )
    max_slip: float = field(
        default=0.4,
        metadata=spec(
            "wheel slip (1 - distance covered / wheel distance) above this: excessive_slip fault",
            lo=0.0,
            hi=1.0,
            lo_open=True,
        ),
    )
    slip_window_m: float = field(
        default=3.0,
        metadata=spec("wheel travel over which slip is measured", lo=0.1, hi=1e4),
    )


@dataclass(frozen=True)
class Scenario:
    name: str = field(default="unnamed", metadata=spec("short name, used in reports"))
    kind: str = field(
        default="traverse",
        metadata=spec("the mission: traverse here (see ilrs_auto.mission_kinds for the others)"),
    )
    description: str = field(default="", metadata=spec("what the scenario is for"))
    seed: int = field(default=0, metadata=spec("seed of every random choice", lo=0, hi=2**63 - 1))
    terrain: TerrainConfig = field(default_factory=TerrainConfig)
    rocks: RockConfig = field(default_factory=RockConfig)
    rover: RoverConfig = field(default_factory=RoverConfig)
    camera: DepthCameraConfig = field(default_factory=DepthCameraConfig)
    mission: MissionConfig = field(default_factory=MissionConfig)
    power: PowerConfig = field(default_factory=PowerConfig)
    responses: ResponseConfig = field(default_factory=ResponseConfig)
    faults: tuple[FaultConfig, ...] = field(default=(), metadata=spec("faults to inject"))
    source: str = field(default="<memory>", metadata=spec("the file this came from"))
    lines: dict[str, int] = field(default_factory=dict, compare=False, repr=False)

    def where(self, key: str) -> str:
        """``FILE:LINE: key`` for a dotted key, for error messages."""
        line = self.lines.get(key)
        return f"{self.source}:{line}: {key}" if line else f"{self.source}: {key}"

    def dem_path(self) -> Path:
        """The DEM file: beside the scenario file if it is there, else in the shipped assets.

        Raises InputError naming both places when it is in neither.
        """
        from ilrs_auto.assets import assets_dir

        given = Path(self.terrain.dem)
        candidates = (
            [given]
            if given.is_absolute()
            else [Path(self.source).parent / given, assets_dir() / given]
        )
        for candidate in candidates:
            if candidate.is_file():
                return candidate
        tried = " or ".join(str(c) for c in candidates)
        raise InputError(f"{self.where('terrain.dem')}: no such file ({tried})")


_NOT_FROM_FILE = {"source", "lines"}


def load_scenario(path: str | os.PathLike[str]) -> Scenario:
    """Reads and validates a scenario file; raises InputError naming FILE:LINE: key."""
    source = os.fspath(path)
    try:
        text = Path(source).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{source}: no such scenario file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{source}: cannot read scenario file: {exc}") from None
    return parse_scenario(text, source)


def parse_scenario(text: str, source: str = "<memory>") -> Scenario:
    """Validates scenario YAML text; ``source`` names it in error messages."""
    node = compose_yaml(text, source)
    if node is None:
        raise InputError(f"{source}: scenario file is empty")
    lines: dict[str, int] = {}
    values = _build(Scenario, node, "", source, lines)
    scenario = Scenario(**values, source=source, lines=lines)
    if scenario.kind != "traverse":
        raise InputError(
            f"{scenario.where('kind')}: a {scenario.kind!r} scenario is not a traverse scenario"
        )
    _check_mission(scenario)
    return scenario


def build_section(
    cls: type, node: yaml.Node, prefix: str, source: str, lines: dict[str, int]
) -> dict[str, Any]:
    """The keyword arguments of dataclass ``cls`` read from a YAML mapping node, validated
    against each field's type and ``spec`` range, nested dataclasses included; ``lines``
    collects the line of every dotted key. For other mission kinds' scenario files."""
    values: dict[str, Any] = _build(cls, node, prefix, source, lines)
    return values


def _build(cls: type, node: yaml.Node, prefix: str, source: str, lines: dict[str, int]) -> Any:
    where = f"{source}:{node.start_mark.line + 1}: {prefix.rstrip('.') or 'scenario'}"
    if not isinstance(node, yaml.MappingNode):
        raise InputError(f"{where}: expected a mapping of keys to values")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.name not in _NOT_FROM_FILE}
    values: dict[str, Any] = {}
    for key_node, value_node in node.value:
        line = key_node.start_mark.line + 1
        if not isinstance(key_node, yaml.ScalarNode):
            raise InputError(
                f"{source}:{line}: {prefix.rstrip('.') or 'scenario'}: keys must be plain names"
            )
        key = key_node.value
        dotted = prefix + str(key)
        if key not in fields:
            known = ", ".join(sorted(fields))
            raise InputError(f"{source}:{line}: {dotted}: unknown key (expected one of: {known})")
        if key in values:
            raise InputError(f"{source}:{line}: {dotted}: given twice")
        lines[dotted] = line
        hint: Any = hints[key]
        if isinstance(hint, type) and dataclasses.is_dataclass(hint):
            section: Any = hint
            values[key] = section(**_build(section, value_node, dotted + ".", source, lines))
        elif _section_list(hint) is not None:
            values[key] = _build_list(_section_list(hint), value_node, dotted, source, lines)
        else:
            values[key] = _scalar(hint, value_node, f"{source}:{line}: {dotted}", fields[key])
    return values


def _section_list(hint: Any) -> Any:
    """The dataclass of a ``tuple[Section, ...]`` hint, else None."""
    args = typing.get_args(hint)
    tuple_of_any = typing.get_origin(hint) is tuple and len(args) == 2 and args[1] is Ellipsis
    if tuple_of_any and isinstance(args[0], type) and dataclasses.is_dataclass(args[0]):
        return args[0]
    return None


def _build_list(
    cls: Any, node: yaml.Node, dotted: str, source: str, lines: dict[str, int]
) -> tuple[Any, ...]:
    """A YAML sequence of mappings as a tuple of ``cls``; item i's keys are ``dotted.i.key``."""
    if not isinstance(node, yaml.SequenceNode):
        raise InputError(f"{source}:{node.start_mark.line + 1}: {dotted}: expected a list")
    items = []
    for i, item in enumerate(node.value):
        lines[f"{dotted}.{i}"] = item.start_mark.line + 1
        items.append(cls(**_build(cls, item, f"{dotted}.{i}.", source, lines)))
    return tuple(items)


def _scalar(hint: Any, node: yaml.Node, where: str, spec: dataclasses.Field[Any]) -> Any:
    if typing.get_origin(hint) is tuple:
        if not isinstance(node, yaml.SequenceNode) or len(node.value) != 2:
            raise InputError(f"{where}: expected a pair [x, y] of numbers")
        return tuple(_number(float, item, where) for item in node.value)
    if not isinstance(node, yaml.ScalarNode):
        raise InputError(f"{where}: expected a single value")
    if hint is str:
        return str(node.value)
    if hint is bool:
        value = scalar_value(node)
        if not isinstance(value, bool):
            raise InputError(f"{where}: expected true or false, got {node_text(node)!r}")
        return value
    value = _number(hint, node, where)
    meta = spec.metadata
    lo, hi = meta.get("lo"), meta.get("hi")
    if lo is not None and (value < lo or (meta.get("lo_open") and value == lo)):
        relation = ">" if meta.get("lo_open") else ">="
        raise InputError(f"{where}: must be {relation} {lo}, got {value}")
    if hi is not None and value > hi:
        raise InputError(f"{where}: must be <= {hi}, got {value}")
    return value


def _number(kind: Any, node: yaml.Node, where: str) -> Any:
    value = scalar_value(node) if isinstance(node, yaml.ScalarNode) else None
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise InputError(f"{where}: expected a whole number, got {node_text(node)!r}")
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise InputError(f"{where}: expected a finite number, got {node_text(node)!r}")
    return float(value)


_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def _check_mission(scenario: Scenario) -> None:
    if not _NAME.fullmatch(scenario.name):
        raise InputError(
            f"{scenario.where('name')}: {scenario.name!r} is not a usable name (1 to 64 "
            "letters, digits, '.', '_' or '-', starting with a letter or digit; it names the "
            "report folder)"
        )
    for key in ("start_xy_m", "goal_xy_m"):
        if any(math.isnan(v) for v in getattr(scenario.mission, key)):
            raise InputError(f"{scenario.source}: mission.{key}: required, give [x, y] in metres")
    from ilrs_auto.planning import planner_names

    if scenario.mission.planner == "hybrid_astar":
        raise InputError(
            f"{scenario.where('mission.planner')}: hybrid_astar needs the rover's heading in "
            "every plan request, which the traverse behaviour does not pass yet; use "
            "d_star_lite or grid_astar"
        )
    if scenario.mission.planner not in planner_names():
        raise InputError(
            f"{scenario.where('mission.planner')}: unknown planner "
            f"{scenario.mission.planner!r} (known: {', '.join(planner_names())})"
        )
    _check_power_and_faults(scenario)
    rocks = scenario.rocks
    if rocks.max_diameter_m < rocks.min_diameter_m:
        raise InputError(
            f"{scenario.where('rocks.max_diameter_m')}: must be >= rocks.min_diameter_m "
            f"({rocks.min_diameter_m}), got {rocks.max_diameter_m}"
        )


def _check_power_and_faults(scenario: Scenario) -> None:
    from ilrs_auto.sim.ephemeris import parse_utc

    try:
        parse_utc(scenario.mission.start_utc)
    except InputError as exc:
        raise InputError(f"{scenario.where('mission.start_utc')}: {exc}") from None
    battery = scenario.power.battery
    if battery.empty_v >= battery.full_v:
        raise InputError(
            f"{scenario.where('power.battery.empty_v')}: must be < power.battery.full_v "
            f"({battery.full_v}), got {battery.empty_v}"
        )
    for i, fault in enumerate(scenario.faults):
        item = f"faults.{i}"
        if fault.type not in FAULT_TYPES:
            where = scenario.where(f"{item}.type") if fault.type else scenario.where(item)
            problem = f"unknown fault type {fault.type!r}" if fault.type else "type missing"
            raise InputError(f"{where}: {problem} (one of: {', '.join(FAULT_TYPES)})")
        if math.isnan(fault.time_s):
            raise InputError(f"{scenario.where(item)}: time_s missing (mission time, s)")
        if math.isnan(fault.duration_s) and fault.type not in FAULT_DEFAULT_DURATION_S:
            raise InputError(
                f"{scenario.where(item)}: duration_s missing (a {fault.type} lasts a given time)"
            )
        if f"{item}.sag_v" in scenario.lines and fault.type != "brownout":
            raise InputError(f"{scenario.where(item + '.sag_v')}: only a brownout has sag_v")


__all__ = [
    "FAULT_TYPES",
    "BatteryConfig",
    "DepthCameraConfig",
    "FaultConfig",
    "LoadConfig",
    "MissionConfig",
    "PanelConfig",
    "PowerConfig",
    "ResponseConfig",
    "RockConfig",
    "RoverConfig",
    "Scenario",
    "TerrainConfig",
    "ThermalConfig",
    "load_scenario",
    "parse_scenario",
]
