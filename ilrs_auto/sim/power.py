"""Power and thermal of a solar rover: panels lit by the real Sun past the terrain horizon, a
battery, loads by activity, and one lumped thermal node with survival heaters.

Symbols, units, and the equations the code integrates (``ilrs_auto.sim.scenario.PowerConfig``
holds every parameter):

**The Sun at the rover** (:class:`SunAtRover`). The Sun's apparent direction (a MOON_ME unit
vector, :mod:`ilrs_auto.sim.ephemeris`) is sampled every ``sun_step_s`` from the mission's
start time (UTC) at the tile's centre and interpolated linearly in between (then normalised):
at the pole the Sun moves about 0.5 deg an hour, and its direction changes by under 1e-5 deg
across a tile. At the rover's DEM cell the Sun stands at elevation ``e_s`` and azimuth ``a_s``
(deg, clockwise from local north); the cell's terrain horizon ``h(a)`` (near terrain from the
tile, far terrain from the LDEM cap, :mod:`ilrs_auto.sim.horizon`), for an eye at the panel's
height, is computed once per cell and kept. The lit fraction ``f`` is the share of the Sun's
disk (angular radius ``r``, about 0.27 deg) above ``h(a_s)``:
``f = (acos(-u) + u sqrt(1 - u^2)) / pi`` with ``u = clip((e_s - h) / r, -1, 1)``.
The irradiance at normal incidence is ``S = 1361 W/m^2 x (1 AU / d)^2`` (``d`` the Sun's
distance).

**Generation** [W]: ``P_gen = S f A eta max(0, cos theta)``, panel area ``A`` [m^2] and cell
efficiency ``eta``; the incidence angle of a panel whose normal stands ``e_n`` above the
horizon at azimuth ``a_n``: ``cos theta = cos e_s cos e_n cos(a_s - a_n) + sin e_s sin e_n``.
A tracking (mast-mounted) panel turns its normal to the Sun's azimuth (``a_n = a_s``); a fixed
panel's normal points ``azimuth_offset_deg`` counter-clockwise from the rover's heading.

**Loads** [W]: ``P_load = P_idle + P_perc [camera on] + P_plan [planning] + k_drive v_cmd +
P_heat [heater on]``, with ``k_drive`` in W per m/s of commanded speed (a stuck wheel draws
its drive power while going nowhere).

**Battery**: stored energy ``E`` [Wh], state of charge ``SoC = E / C`` (``C`` the capacity).
With ``P_net = P_gen - P_load``: ``dE/dt = eta_c P_net`` when charging (until full: the excess
is shunted), ``dE/dt = P_net / eta_d`` when discharging (until empty: the rest is unserved).
Bus voltage [V]: ``V = V_empty + (V_full - V_empty) SoC - V_sag`` (``V_sag`` during a
brownout). The rover is *power critical* when ``SoC < reserve`` (``battery_reserve``) or
``V < V_min`` (``brownout``).

**Thermal node** at temperature ``T`` [K], heat capacity ``C_th`` [J/K]:
``C_th dT/dt = alpha A_sun S f + phi (P_load - P_heat [on]) + P_heat [on]
- eps sigma A_rad F (T^4 - T_sky^4)``: absorbed sunlight on the side facing the (low) Sun,
the share ``phi`` of the electrical load dissipated inside (the heaters wholly), and radiation
to a sky at ``T_sky`` (about 40 K) through view factor ``F``. With constant inputs ``Q_in``
it settles at ``T* = (Q_in / (eps sigma A_rad F) + T_sky^4)^(1/4)``. Heaters switch on below
the setpoint and off ``hysteresis`` above it, and only while the battery holds energy.

Time steps longer than ``MAX_SUBSTEP_S`` are split (explicit Euler; the node's radiative time
constant ``C_th / (4 eps sigma A_rad F T^3)`` is hours with the defaults).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ilrs_auto.errors import InputError
from ilrs_auto.sim.ephemeris import (
    AU_KM,
    SUN_RADIUS_KM,
    LunarEphemeris,
    default_ephemeris,
    parse_utc,
)
from ilrs_auto.sim.horizon import (
    FarTerrain,
    HorizonSettings,
    far_terrain,
    site_of_cell,
    terrain_horizon,
)
from ilrs_auto.sim.scenario import PowerConfig
from ilrs_auto.terrain.geotiff import Dem

__all__ = [
    "MAX_SUBSTEP_S",
    "SOLAR_CONSTANT_W_M2",
    "STEFAN_BOLTZMANN",
    "Activity",
    "PowerSample",
    "PowerSystem",
    "SunAtRover",
    "SunSample",
    "equilibrium_temperature_k",
]

SOLAR_CONSTANT_W_M2 = 1361.0  # total solar irradiance at 1 AU
STEFAN_BOLTZMANN = 5.670374419e-8  # W m^-2 K^-4
MAX_SUBSTEP_S = 5.0


@dataclass(frozen=True)
class SunSample:
    """The Sun seen from the rover's panel at one time."""

    irradiance_w_m2: float  # at normal incidence, unshadowed
    elevation_deg: float
    heading_rad: float  # site frame: counter-clockwise from east (+x), like the rover's heading
    lit_fraction: float  # of the Sun's disk above the terrain horizon, 0..1


DARK = SunSample(0.0, -90.0, 0.0, 0.0)


@dataclass(frozen=True)
class Activity:
    """What the rover does during a step."""

    speed_mps: float = 0.0  # commanded drive speed
    perceiving: bool = True  # camera and mapping on
    planning: bool = False  # a path being computed


@dataclass(frozen=True)
class PowerSample:
    time_s: float
    generation_w: float
    load_w: float
    soc: float
    bus_v: float
    temperature_k: float
    heater_on: bool


def panel_cos_incidence(sun: SunSample, config: PowerConfig, rover_heading_rad: float) -> float:
    """``max(0, cos theta)`` of the panel against the Sun (see the module docstring)."""
    panel = config.panel
    e_s = math.radians(sun.elevation_deg)
    e_n = math.radians(panel.normal_elevation_deg)
    if panel.tracking:
        relative = 0.0
    else:
        relative = sun.heading_rad - (rover_heading_rad + math.radians(panel.azimuth_offset_deg))
    cos_theta = math.cos(e_s) * math.cos(e_n) * math.cos(relative) + math.sin(e_s) * math.sin(e_n)
    return max(0.0, cos_theta)


def equilibrium_temperature_k(config: PowerConfig, heat_in_w: float) -> float:
    """The thermal node's steady temperature with a constant ``heat_in_w`` (absorbed sunlight
    plus internal dissipation)."""
    t = config.thermal
    conductance = t.emissivity * STEFAN_BOLTZMANN * t.radiator_area_m2 * t.sky_view_factor
    return float((heat_in_w / conductance + t.sky_k**4) ** 0.25)


class PowerSystem:
    """Battery, loads and thermal node of one rover, stepped on the mission clock."""

    def __init__(self, config: PowerConfig) -> None:
        self.config = config
        battery = config.battery
        self.energy_wh = battery.initial_soc * battery.capacity_wh
        self.temperature_k = config.thermal.initial_k
        self.heater_on = self.temperature_k < config.thermal.heater_setpoint_k
        self.sag_v = 0.0  # set while a brownout is injected
        self.generated_wh = 0.0
        self.load_wh = 0.0
        self.shunted_wh = 0.0
        self.unserved_wh = 0.0
        self.min_soc = self.soc
        self.min_temperature_k = self.max_temperature_k = self.temperature_k

    @property
    def soc(self) -> float:
        return self.energy_wh / self.config.battery.capacity_wh

    @property
    def bus_v(self) -> float:
        b = self.config.battery
        return b.empty_v + (b.full_v - b.empty_v) * self.soc - self.sag_v

    @property
    def critical(self) -> str | None:
        """Why the rover must stop (``brownout``, ``battery_reserve``), or None."""
        battery = self.config.battery
        if self.bus_v < battery.min_bus_v:
            return "brownout"
        if self.soc < battery.reserve_soc:
            return "battery_reserve"
        return None

    def generation_w(self, sun: SunSample, rover_heading_rad: float) -> float:
        panel = self.config.panel
        cos_incidence = panel_cos_incidence(sun, self.config, rover_heading_rad)
        return (
            sun.irradiance_w_m2
            * sun.lit_fraction
            * panel.area_m2
            * panel.efficiency
            * cos_incidence
        )

    def load_w(self, activity: Activity, heater_on: bool) -> float:
        loads = self.config.loads
        return (
            loads.idle_w
            + (loads.perception_w if activity.perceiving else 0.0)
            + (loads.planning_w if activity.planning else 0.0)
            + loads.drive_w_per_mps * max(0.0, activity.speed_mps)
            + (loads.heater_w if heater_on else 0.0)
        )

    def step(
        self, dt_s: float, sun: SunSample, activity: Activity, rover_heading_rad: float = 0.0
    ) -> PowerSample:
        """Integrates ``dt_s`` seconds with the Sun and the activity held constant."""
        if not dt_s > 0.0:
            raise ValueError(f"dt_s must be > 0, got {dt_s}")
        gen = self.generation_w(sun, rover_heading_rad)
        n = max(1, math.ceil(dt_s / MAX_SUBSTEP_S))
        h = dt_s / n
        load = 0.0
        for _ in range(n):
            load = self._substep(h, gen, sun, activity)
        return PowerSample(0.0, gen, load, self.soc, self.bus_v, self.temperature_k, self.heater_on)

    def _substep(self, h_s: float, gen_w: float, sun: SunSample, activity: Activity) -> float:
        battery, thermal = self.config.battery, self.config.thermal
        # Heater: hysteresis around the setpoint, powered only while the battery holds energy.
        if self.temperature_k < thermal.heater_setpoint_k:
            self.heater_on = True
        elif self.temperature_k > thermal.heater_setpoint_k + thermal.heater_hysteresis_k:
            self.heater_on = False
        heater = self.heater_on and (self.energy_wh > 0.0 or gen_w > 0.0)
        load_w = self.load_w(activity, heater)
        hours = h_s / 3600.0
        net_w = gen_w - load_w
        if net_w >= 0.0:
            charge = battery.charge_efficiency * net_w * hours
            room = battery.capacity_wh - self.energy_wh
            if charge > room:  # full: the rest is shunted
                self.shunted_wh += (charge - room) / battery.charge_efficiency
                charge = room
            self.energy_wh += charge
        else:
            draw = -net_w * hours / battery.discharge_efficiency
            if draw > self.energy_wh:  # empty: the rest is unserved
                self.unserved_wh += (draw - self.energy_wh) * battery.discharge_efficiency
                draw = self.energy_wh
            self.energy_wh -= draw
        self.generated_wh += gen_w * hours
        self.load_wh += load_w * hours
        # Thermal node (explicit Euler).
        heater_w = self.config.loads.heater_w if heater else 0.0
        heat_in = (
            thermal.absorptivity * thermal.sunlit_area_m2 * sun.irradiance_w_m2 * sun.lit_fraction
            + thermal.internal_fraction * (load_w - heater_w)
            + heater_w
        )
        conductance = (
            thermal.emissivity
            * STEFAN_BOLTZMANN
            * thermal.radiator_area_m2
            * thermal.sky_view_factor
        )
        out = conductance * (self.temperature_k**4 - thermal.sky_k**4)
        self.temperature_k += (heat_in - out) * h_s / thermal.heat_capacity_j_per_k
        self.min_soc = min(self.min_soc, self.soc)
        self.min_temperature_k = min(self.min_temperature_k, self.temperature_k)
        self.max_temperature_k = max(self.max_temperature_k, self.temperature_k)
        return load_w


_FAR_CACHE: dict[str, FarTerrain] = {}


def _far_terrain_of(dem: Dem) -> FarTerrain:
    """The far terrain around a tile, computed once per process and DEM file."""
    far = _FAR_CACHE.get(dem.source)
    if far is None:
        far = _FAR_CACHE[dem.source] = far_terrain(dem)
    return far


class SunAtRover:
    """The Sun from a panel ``panel_height_m`` above the ground anywhere on a polar DEM tile,
    from ``start_utc`` for ``duration_s`` of mission time (site frame: metres east and north of
    the tile's south-west corner)."""

    def __init__(
        self,
        dem: Dem,
        start_utc: str,
        duration_s: float,
        step_s: float = 60.0,
        panel_height_m: float = 1.5,
        far: FarTerrain | bool | None = True,
        ephemeris: LunarEphemeris | None = None,
    ) -> None:
        self.dem = dem
        self.step_s = float(step_s)
        self._settings = HorizonSettings(sectors=360, observer_height_m=panel_height_m)
        self._far = _far_terrain_of(dem) if far is True else (far or None)
        eph = ephemeris or default_ephemeris()
        start = parse_utc(start_utc)
        count = max(2, math.ceil(duration_s / self.step_s) + 2)
        offsets_s = np.arange(count) * self.step_s
        times = start + (offsets_s * 1e9).astype("timedelta64[ns]")
        rows, cols = dem.shape
        centre = site_of_cell(dem, rows // 2, cols // 2)
        directions, distance_km = eph.directions_me("sun", times, centre)
        self._directions = directions
        self._irradiance = SOLAR_CONSTANT_W_M2 * (AU_KM / distance_km) ** 2
        self._radius_deg = np.degrees(np.arcsin(SUN_RADIUS_KM / distance_km))
        self._cells: dict[tuple[int, int], tuple[npt.NDArray[np.float32], tuple[float, ...]]] = {}

    def cell_of(self, x_m: float, y_m: float) -> tuple[int, int]:
        rows, cols = self.dem.shape
        res = self.dem.resolution_m
        return (min(rows - 1, max(0, int(y_m // res))), min(cols - 1, max(0, int(x_m // res))))

    def horizon_deg(self, cell: tuple[int, int]) -> npt.NDArray[np.float32]:
        """The cell's horizon in 360 one-degree sectors (computed once)."""
        return self._cell(cell)[0]

    def _cell(self, cell: tuple[int, int]) -> tuple[npt.NDArray[np.float32], tuple[float, ...]]:
        known = self._cells.get(cell)
        if known is None:
            h = terrain_horizon(self.dem, [cell], settings=self._settings, far=self._far, workers=1)
            lat = math.radians(float(h.latitude_deg[0]))
            lon = math.radians(float(h.longitude_deg[0]))
            trig = (math.sin(lat), math.cos(lat), math.sin(lon), math.cos(lon), lon)
            known = self._cells[cell] = (h.elevation_deg[0], trig)
        return known

    def at(self, t_s: float, x_m: float, y_m: float) -> SunSample:
        """The Sun at mission time ``t_s`` from the panel over site point (x, y)."""
        position = min(max(t_s / self.step_s, 0.0), len(self._directions) - 1.000001)
        i = int(position)
        w = position - i
        dx, dy, dz = (1.0 - w) * self._directions[i] + w * self._directions[i + 1]
        irradiance = float((1.0 - w) * self._irradiance[i] + w * self._irradiance[i + 1])
        radius = float((1.0 - w) * self._radius_deg[i] + w * self._radius_deg[i + 1])
        horizon, (sin_lat, cos_lat, sin_lon, cos_lon, lon) = self._cell(self.cell_of(x_m, y_m))
        # Local east/north/up of the direction (as ephemeris.azimuth_elevation, scalar).
        norm = math.sqrt(dx * dx + dy * dy + dz * dz)
        radial = cos_lon * dx + sin_lon * dy
        up = (cos_lat * radial + sin_lat * dz) / norm
        east = (-sin_lon * dx + cos_lon * dy) / norm
        north = (-sin_lat * radial + cos_lat * dz) / norm
        azimuth = math.atan2(east, north)  # clockwise from north
        elevation = math.degrees(math.asin(max(-1.0, min(1.0, up))))
        sector = round(math.degrees(azimuth)) % len(horizon)
        u = max(-1.0, min(1.0, (elevation - float(horizon[sector])) / radius))
        lit = (math.acos(-u) + u * math.sqrt(1.0 - u * u)) / math.pi  # as disk_fraction_visible
        # Geographic azimuth to the map's: add the grid convergence (the longitude); then to a
        # heading counter-clockwise from map east, in (-pi, pi].
        heading = math.pi / 2.0 - (azimuth + lon)
        heading = math.atan2(math.sin(heading), math.cos(heading))
        return SunSample(irradiance, elevation, heading, lit)


def check_polar(dem: Dem, where: str) -> None:
    """The power model places the Sun with a south polar stereographic tile."""
    try:
        site_of_cell(dem, 0, 0)
    except InputError as exc:
        raise InputError(f"{where}: the power model needs it: {exc}") from None
