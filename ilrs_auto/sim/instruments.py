"""Simulated sampling instruments on the mission clock: an arm with a scoop or a drill, and the
sample cache (containers, sealing, a balance).

Nothing moves until :meth:`SimTool.advance_to` is called with the mission clock's time; the
model then integrates in fixed sub-steps of ``SUBSTEP_S``, so the same calls at the same mission
times give the same readings on any machine.

The ground under the tool is a :class:`RegolithProfile`: strength and bulk density per depth
bin, with buried rock clasts, drawn from a seed. The drill's penetration rate falls as strength
rises; its thrust (force on the bit, capped by the feed motor) and its torque rise with depth and
with strength, so a rock shows as a rise of both. When the torque needed exceeds the motor's
stall torque the drill stops advancing (stuck in rock) until it is retracted. The scoop digs at
a fixed rate with a force that rises with depth and strength: a rock under the scoop makes the
force climb.

Faults are injected at given mission times (:class:`FaultInjection`): ``stuck_drill`` jams the
bit (no progress, torque at stall) until the drill is retracted to the surface;
``force_spike`` adds ``magnitude`` newtons to the force reading for ``duration_s``;
``sensor_dropout`` makes force and torque read NaN for ``duration_s``; ``instrument_fault``
stops the tool and latches a fault code; ``deploy_jam`` stops the arm short of deployed;
``seal_leak`` makes the next seal's leak check fail.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum

import numpy as np
import numpy.typing as npt

from ilrs_auto.mission.sample_collection import CacheStatus, SealStatus, ToolPhase, ToolReading

Phase = ToolPhase

SUBSTEP_S = 0.1
"""Integration step of the instrument model, mission seconds."""

FAULT_KINDS = (
    "stuck_drill",
    "force_spike",
    "sensor_dropout",
    "instrument_fault",
    "deploy_jam",
    "seal_leak",
)


class ToolKind(str, Enum):
    SCOOP = "scoop"
    DRILL = "drill"


@dataclass(frozen=True)
class RegolithProfile:
    """Ground under one site: per ``bin_cm`` of depth, strength (kPa), bulk density (g/cm3) and
    whether a rock clast fills the bin."""

    bin_cm: float
    strength_kpa: npt.NDArray[np.float64]
    density_g_cm3: npt.NDArray[np.float64]
    rock: npt.NDArray[np.bool_]

    @classmethod
    def generate(
        cls,
        seed: int | Sequence[int],
        max_depth_cm: float = 100.0,
        bin_cm: float = 1.0,
        surface_strength_kpa: float = 3.0,
        strength_gradient_kpa_per_cm: float = 1.5,
        variability: float = 0.2,
        rock_fraction: float = 0.0,
        rock_strength_kpa: float = 2000.0,
        surface_density_g_cm3: float = 1.50,
        density_at_60cm_g_cm3: float = 1.80,
    ) -> RegolithProfile:
        """A seeded profile: strength grows linearly with depth (times a log-normal factor per
        bin of spread ``variability``), density from the surface value to the 60 cm value
        (Apollo core bulk densities are about 1.5 and 1.8), rocks in ``rock_fraction`` of bins."""
        rng = np.random.default_rng(seed)
        bins = max(1, math.ceil(max_depth_cm / bin_cm))
        depth = (np.arange(bins) + 0.5) * bin_cm
        strength = surface_strength_kpa + strength_gradient_kpa_per_cm * depth
        strength = strength * np.exp(variability * rng.standard_normal(bins))
        density = surface_density_g_cm3 + (density_at_60cm_g_cm3 - surface_density_g_cm3) * (
            np.minimum(depth, 60.0) / 60.0
        )
        rock = rng.random(bins) < rock_fraction
        return cls(
            bin_cm,
            np.where(rock, rock_strength_kpa, strength).astype(np.float64),
            np.where(rock, 2.9, density).astype(np.float64),
            rock,
        )

    @classmethod
    def uniform(
        cls, strength_kpa: float, density_g_cm3: float, max_depth_cm: float = 100.0
    ) -> RegolithProfile:
        bins = math.ceil(max_depth_cm)
        return cls(
            1.0,
            np.full(bins, strength_kpa),
            np.full(bins, density_g_cm3),
            np.zeros(bins, np.bool_),
        )

    def with_rock(self, top_cm: float, bottom_cm: float, strength_kpa: float) -> RegolithProfile:
        """The same profile with a rock clast between two depths."""
        rock = self.rock.copy()
        i0, i1 = int(top_cm / self.bin_cm), math.ceil(bottom_cm / self.bin_cm)
        rock[i0:i1] = True
        strength = np.where(rock, strength_kpa, self.strength_kpa)
        density = np.where(rock, 2.9, self.density_g_cm3)
        return RegolithProfile(self.bin_cm, strength, density, rock)

    @property
    def max_depth_cm(self) -> float:
        return len(self.strength_kpa) * self.bin_cm

    def index(self, depth_cm: float) -> int:
        return min(max(int(depth_cm / self.bin_cm), 0), len(self.strength_kpa) - 1)

    def strength_at(self, depth_cm: float) -> float:
        return float(self.strength_kpa[self.index(depth_cm)])

    def mass_g(self, depth_cm: float, area_cm2: float) -> float:
        """Mass of a column of ``area_cm2`` from the surface to ``depth_cm``."""
        full = int(depth_cm / self.bin_cm)
        mass = float(self.density_g_cm3[:full].sum()) * self.bin_cm
        rest = depth_cm - full * self.bin_cm
        if rest > 0 and full < len(self.density_g_cm3):
            mass += float(self.density_g_cm3[full]) * rest
        return mass * area_cm2


@dataclass(frozen=True)
class ToolConfig:
    """One tool's mechanics. Defaults are a small rotary drill; :func:`default_tool_config`
    gives the scoop's."""

    kind: ToolKind = ToolKind.DRILL
    deploy_s: float = 30.0
    stow_s: float = 30.0
    max_depth_cm: float = 100.0
    max_rate_cm_per_s: float = 0.1
    rate_coeff_kpa_cm_per_s: float = 1.0  # rate = min(max_rate, coeff / strength)
    retract_rate_cm_per_s: float = 0.5
    base_force_n: float = 5.0
    force_per_kpa_n: float = 1.0
    force_per_kpa_cm_n: float = 0.0  # scoop: the blade's load grows with depth x strength
    max_thrust_n: float = 120.0  # the feed motor's limit: above it the rate falls in proportion
    base_torque_nm: float = 0.5
    torque_per_cm_nm: float = 0.05
    torque_per_kpa_nm: float = 0.01
    stall_torque_nm: float = 6.0
    area_cm2: float = 2.0  # core cross-section (drill) or blade footprint (scoop)


def default_tool_config(kind: ToolKind | str) -> ToolConfig:
    kind = ToolKind(kind)
    if kind is ToolKind.DRILL:
        return ToolConfig()
    return ToolConfig(
        kind=ToolKind.SCOOP,
        deploy_s=20.0,
        stow_s=20.0,
        max_depth_cm=5.0,
        max_rate_cm_per_s=0.2,
        rate_coeff_kpa_cm_per_s=10.0,
        base_force_n=2.0,
        force_per_kpa_n=0.0,
        force_per_kpa_cm_n=1.5,
        max_thrust_n=1e9,
        base_torque_nm=0.0,
        torque_per_cm_nm=0.0,
        torque_per_kpa_nm=0.0,
        stall_torque_nm=math.inf,
        area_cm2=20.0,
    )


@dataclass(frozen=True)
class FaultInjection:
    at_s: float
    kind: str
    duration_s: float = 5.0  # force_spike, sensor_dropout
    magnitude: float = 300.0  # force_spike: newtons added

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r} (known: {', '.join(FAULT_KINDS)})")

    def active(self, now_s: float) -> bool:
        return self.at_s <= now_s < self.at_s + self.duration_s


class SimTool:
    """An arm with a scoop, or a drill, over one regolith profile."""

    def __init__(
        self,
        config: ToolConfig,
        profile: RegolithProfile,
        faults: Sequence[FaultInjection] = (),
        start_s: float = 0.0,
    ) -> None:
        self.config = config
        self.profile = profile
        self.faults = tuple(sorted(faults, key=lambda f: f.at_s))
        self.time_s = start_s
        self.phase = Phase.STOWED
        self.depth_cm = 0.0  # of the tool tip below the surface
        self.hole_cm = 0.0  # deepest point dug so far
        self.deploy_fraction = 0.0
        self.target_cm = 0.0
        self.jammed = False
        self.fault: str | None = None
        self.force_n = 0.0
        self.torque_nm = 0.0
        self._fired: set[int] = set()
        self._seal_leak = False
        self._stow_after = False

    # ---- commands ---------------------------------------------------------------------------
    def deploy(self, now_s: float) -> None:
        self.advance_to(now_s)
        if self.fault is None and not self.reading(now_s).deployed:
            self.phase = Phase.DEPLOYING

    def acquire(self, target_depth_cm: float, now_s: float) -> None:
        """Digs or drills down to ``target_depth_cm`` (clipped to the tool's reach)."""
        self.advance_to(now_s)
        ready = self.phase in (Phase.DEPLOYED, Phase.HOLDING, Phase.HALTED)
        if self.fault is None and ready and self.deploy_fraction >= 1.0:
            self.target_cm = min(target_depth_cm, self.config.max_depth_cm)
            self.phase = Phase.ACQUIRING

    def retract(self, now_s: float) -> None:
        """Back to the surface (deployed), keeping what the tool holds."""
        self.advance_to(now_s)
        if self.fault is None and self.deploy_fraction >= 1.0:
            self.phase = Phase.RETRACTING
            self._stow_after = False

    def stow(self, now_s: float) -> None:
        self.advance_to(now_s)
        if self.fault is None:
            self.phase = Phase.RETRACTING if self.depth_cm > 0 else Phase.STOWING
            self._stow_after = True

    def halt(self, now_s: float) -> None:
        self.advance_to(now_s)
        if self.moving:
            self.phase = Phase.HALTED

    # ---- state ------------------------------------------------------------------------------
    @property
    def moving(self) -> bool:
        return self.phase in (Phase.DEPLOYING, Phase.ACQUIRING, Phase.RETRACTING, Phase.STOWING)

    def reading(self, now_s: float) -> ToolReading:
        self.advance_to(now_s)
        force, torque = self.force_n, self.torque_nm
        for fault in self._active("force_spike"):
            force += fault.magnitude
        if any(True for _ in self._active("sensor_dropout")):
            force = torque = math.nan
        return ToolReading(
            self.time_s, self.phase, self.depth_cm, force, torque, self.fault, self.moving
        )

    def sample_mass_g(self) -> float:
        """True mass of regolith the tool holds: the column down to the deepest point dug."""
        return self.profile.mass_g(self.hole_cm, self.config.area_cm2)

    def take_sample(self) -> float:
        """Hands the sample over (to the cache); the tool holds nothing after."""
        mass = self.sample_mass_g()
        self.hole_cm = 0.0
        return mass

    def take_seal_leak(self) -> bool:
        """True once if a ``seal_leak`` fault has been injected (the cache asks at each seal)."""
        leak, self._seal_leak = self._seal_leak, False
        return leak

    # ---- the model --------------------------------------------------------------------------
    def advance_to(self, now_s: float) -> None:
        while self.time_s < now_s - 1e-9:
            dt = min(SUBSTEP_S, now_s - self.time_s)
            self._inject(self.time_s + dt)
            self._step(dt)
            self.time_s += dt

    def _active(self, kind: str) -> list[FaultInjection]:
        return [f for f in self.faults if f.kind == kind and f.active(self.time_s)]

    def _inject(self, at_s: float) -> None:
        for i, fault in enumerate(self.faults):
            if i in self._fired or fault.at_s > at_s:
                continue
            self._fired.add(i)
            if fault.kind == "stuck_drill":
                self.jammed = True
            elif fault.kind == "instrument_fault":
                self.fault = "motor_driver_fault"
                self.phase = Phase.HALTED
            elif fault.kind == "deploy_jam" and self.phase is Phase.DEPLOYING:
                self.phase = Phase.HALTED
            elif fault.kind == "seal_leak":
                self._seal_leak = True

    def _step(self, dt: float) -> None:
        cfg = self.config
        if self.phase is Phase.DEPLOYING:
            self.deploy_fraction = _toward(self.deploy_fraction, dt / cfg.deploy_s, 1.0)
            if self.deploy_fraction >= 1.0:
                self.phase = Phase.DEPLOYED
        elif self.phase is Phase.STOWING:
            self.deploy_fraction = _toward(self.deploy_fraction, dt / cfg.stow_s, 0.0)
            if self.deploy_fraction <= 0.0:
                self.phase = Phase.STOWED
        elif self.phase is Phase.RETRACTING:
            self.depth_cm = _toward(self.depth_cm, cfg.retract_rate_cm_per_s * dt, 0.0)
            self.jammed = False
            self.force_n = self.torque_nm = 0.0
            if self.depth_cm <= 0.0:
                self.phase = Phase.STOWING if self._stow_after else Phase.DEPLOYED
        elif self.phase is Phase.ACQUIRING:
            self._dig(dt)
        if self.phase not in (Phase.ACQUIRING, Phase.HOLDING):
            self.force_n = self.torque_nm = 0.0

    def _dig(self, dt: float) -> None:
        cfg = self.config
        at = self.depth_cm
        strength = self.profile.strength_at(at)
        # Down an existing hole the bit meets no ground: it feeds at the full rate.
        fresh = at >= self.hole_cm - 1e-9
        demand_n = (
            cfg.base_force_n
            + cfg.force_per_kpa_n * strength
            + cfg.force_per_kpa_cm_n * strength * max(at, 0.5)
        )
        force_n = min(demand_n, cfg.max_thrust_n) if fresh else cfg.base_force_n
        torque_nm = cfg.base_torque_nm + cfg.torque_per_cm_nm * at
        if fresh:
            torque_nm += cfg.torque_per_kpa_nm * strength
        rate = cfg.max_rate_cm_per_s
        if fresh:
            rate = min(rate, cfg.rate_coeff_kpa_cm_per_s / strength)
            rate *= min(1.0, cfg.max_thrust_n / demand_n)
        stuck = self.jammed or torque_nm > cfg.stall_torque_nm
        if stuck:
            # The motor holds at its stall torque; a tool with no stall limit reads what it needs.
            if math.isfinite(cfg.stall_torque_nm):
                torque_nm = cfg.stall_torque_nm
            rate = 0.0
        self.force_n, self.torque_nm = force_n, torque_nm
        self.depth_cm = _toward(at, rate * dt, self.target_cm)
        self.hole_cm = max(self.hole_cm, self.depth_cm)
        if self.depth_cm >= self.target_cm:
            self.phase = Phase.HOLDING


def _toward(value: float, step: float, limit: float) -> float:
    """``value`` moved ``step`` towards ``limit``, not past it, and onto it when within rounding
    error (sums of sub-step increments are not exact)."""
    moved = value + step if limit > value else value - step
    if abs(moved - limit) <= 1e-9 or (moved - limit) * (value - limit) <= 0:
        return limit
    return moved


@dataclass
class Container:
    id: int
    capacity_g: float
    mass_g: float = 0.0
    sealed: bool = False
    cached: bool = False

    @property
    def used(self) -> bool:
        return self.mass_g > 0.0 or self.sealed


@dataclass
class SimSampleCache:
    """Numbered containers; a sample is poured from the tool into one, sealed (a leak check at
    the end), and moved into the cache, where a balance weighs it (``balance_g`` resolution)."""

    tool: SimTool
    containers: dict[int, Container] = field(default_factory=dict)
    seal_s: float = 60.0
    cache_s: float = 30.0
    balance_g: float = 0.1
    _sealing: tuple[int, float] | None = None
    _caching: tuple[int, float] | None = None
    _leak: bool = False

    @classmethod
    def with_containers(
        cls,
        tool: SimTool,
        count: int = 12,
        capacity_g: float = 250.0,
        seal_s: float = 60.0,
        cache_s: float = 30.0,
    ) -> SimSampleCache:
        containers = {i: Container(i, capacity_g) for i in range(1, count + 1)}
        return cls(tool, containers, seal_s, cache_s)

    def free_containers(self) -> tuple[int, ...]:
        return tuple(i for i, c in sorted(self.containers.items()) if not c.used)

    def capacity_g(self, container_id: int) -> float:
        return self.containers[container_id].capacity_g

    def seal(self, container_id: int, now_s: float) -> None:
        """Pours the tool's sample into the container and starts sealing it."""
        self.tool.advance_to(now_s)
        container = self.containers[container_id]
        if not container.sealed:
            if self._sealing is None or self._sealing[0] != container_id:
                container.mass_g += self.tool.take_sample()
                self._leak = self.tool.take_seal_leak()
            self._sealing = (container_id, now_s)

    def seal_status(self, now_s: float) -> SealStatus:
        self.tool.advance_to(now_s)
        if self._sealing is None:
            return SealStatus(False, False, "", "not sealing")
        container_id, started = self._sealing
        container = self.containers[container_id]
        if now_s - started < self.seal_s - 1e-9:
            return SealStatus(False, False, "", "sealing")
        if container.mass_g > container.capacity_g:
            return SealStatus(
                True,
                False,
                "overfilled",
                f"container {container_id} overfilled: {container.mass_g:.1f} g > "
                f"{container.capacity_g:g} g, the lid does not close",
            )
        if self._leak:
            detail = f"container {container_id} failed its leak check"
            return SealStatus(True, False, "leak", detail)
        container.sealed = True
        return SealStatus(True, True, "", f"container {container_id} sealed")

    def cache(self, container_id: int, now_s: float) -> None:
        if self._caching is None or self._caching[0] != container_id:
            self._caching = (container_id, now_s)

    def cache_status(self, now_s: float) -> CacheStatus:
        if self._caching is None:
            return CacheStatus(False)
        container_id, started = self._caching
        if now_s - started < self.cache_s - 1e-9:
            return CacheStatus(False)
        container = self.containers[container_id]
        container.cached = True
        weighed = round(container.mass_g / self.balance_g) * self.balance_g
        return CacheStatus(True, round(weighed, 6))

    def halt(self, now_s: float) -> None:
        self._sealing = None
        self._caching = None


__all__ = [
    "FAULT_KINDS",
    "SUBSTEP_S",
    "CacheStatus",
    "Container",
    "FaultInjection",
    "Phase",
    "RegolithProfile",
    "SealStatus",
    "SimSampleCache",
    "SimTool",
    "ToolConfig",
    "ToolKind",
    "ToolReading",
    "default_tool_config",
]
