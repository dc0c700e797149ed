"""Simulated counterparts of the lander command centre: robots that report to it, Earth's ground
station, and a harness that steps them together on the mission clock.

:class:`SimRobot` is ``firmware_bridge``'s reference :class:`~firmware_bridge.link.RobotEndpoint`
over a :class:`~firmware_bridge.transport.LoopbackTransport`, with the
:class:`~firmware_bridge.sim_mcu.RoverMcuModel` behind it and the MCU clock read from the
mission clock. It runs in the caller's thread: the lander's end of the loopback serves the
robot whenever the lander reads from it (:class:`ServedTransport`), so a command is answered
within the lander's own call and every run is the same. Faults to inject: ``silent`` (the robot
sends nothing, heartbeats included), ``deaf`` (it hears commands but they never arrive: no
acknowledgement), and its battery (``model.battery_soc_pct``: empty, it browns out into SAFE).

:class:`SimEarth` is the ground station on the far end of the lander's Earth link: it sends
commands (they wait in the link until the lander listens, in a contact window) and collects
the downlinked records. :class:`BreakableTransport` wraps a transport and fails its writes on
demand (a link that drops). :class:`LanderSim` wires a lander to robots and Earth and steps
them: robots first, then the clock, then the lander's tick, with robot charging following the
power the lander grants.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from pathlib import Path

from firmware_bridge.auth import KeyRing
from firmware_bridge.dictionary import Dictionary, default_dictionary
from firmware_bridge.framing import Deframer, DeframeStatus
from firmware_bridge.link import RobotEndpoint
from firmware_bridge.sim_mcu import BATTERY_CAPACITY_AH, BATTERY_V_FULL, RoverMcuModel
from firmware_bridge.transport import LoopbackTransport, Transport, TransportError
from ilrs_auto.mission.clock import SimClock
from ilrs_auto.mission.lander import (
    ContactWindows,
    EarthLink,
    LanderCommandCentre,
    LanderConfig,
    LoadClass,
    LoadRequest,
    PowerBus,
    PowerConfig,
    RelayCommand,
    RobotPort,
    StoredRecord,
    TelemetryStore,
    decode_downlink,
    encode_uplink,
)

BATTERY_WH = BATTERY_CAPACITY_AH * BATTERY_V_FULL
"""Energy of the robot model's full battery, Wh (for charging)."""


def sim_keys(dictionary: Dictionary) -> KeyRing:
    """A key for every key id of the dictionary, derived from its number: SIMULATION ONLY."""
    return KeyRing(
        {k.key_id: hashlib.sha256(f"ilrs-lander-sim-key-{k.key_id}".encode()).digest()
         for k in dictionary.keys}
    )  # fmt: skip


class ServedTransport(Transport):
    """``inner`` with ``serve()`` called before every read: the simulated far end answers
    what was sent to it in the reader's thread."""

    def __init__(self, inner: Transport, serve: Callable[[], None]) -> None:
        self._inner = inner
        self._serve = serve

    @property
    def name(self) -> str:
        return f"served({self._inner.name})"

    def send(self, data: bytes) -> None:
        self._inner.send(data)

    def receive(self, timeout_s: float) -> bytes:
        self._serve()
        return self._inner.receive(timeout_s)

    def close(self) -> None:
        self._inner.close()


class BreakableTransport(Transport):
    """``inner``, whose writes fail with :class:`TransportError` while :attr:`broken` (or
    once ``break_after_sends`` more writes went through). Nothing of a failed write arrives."""

    def __init__(self, inner: Transport, *, break_after_sends: int | None = None) -> None:
        self._inner = inner
        self.broken = False
        self.break_after_sends = break_after_sends
        self.sends = 0

    @property
    def name(self) -> str:
        return f"breakable({self._inner.name})"

    def send(self, data: bytes) -> None:
        if self.break_after_sends is not None and self.sends >= self.break_after_sends:
            self.broken = True
            self.break_after_sends = None
        if self.broken:
            raise TransportError(f"{self.name}: link down")
        self._inner.send(data)
        self.sends += 1

    def receive(self, timeout_s: float) -> bytes:
        return self._inner.receive(timeout_s)

    def heal(self) -> None:
        self.broken = False

    def close(self) -> None:
        self._inner.close()


class SimRobot:
    """A robot reporting to the lander: an MCU endpoint on a loopback, in the caller's thread.

    ``hk_period_s`` is its housekeeping period (its heartbeat). Its end of the link is
    :attr:`lander_transport`.
    """

    def __init__(
        self,
        name: str,
        dictionary: Dictionary,
        keys: KeyRing,
        clock: SimClock,
        *,
        hk_period_s: float = 60.0,
        battery_soc_pct: float = 90.0,
    ) -> None:
        self.name = name
        self.clock = clock
        self.model = RoverMcuModel(
            battery_soc_pct=battery_soc_pct, hk_period_ms=round(hk_period_s * 1000)
        )
        self.endpoint = RobotEndpoint(
            dictionary,
            keys,
            dictionary.robot(name).robot_id,
            self.model,
            clock_ms=lambda: round(clock.now_s * 1000),
        )
        lander_end, self._end = LoopbackTransport.pair()
        self.lander_transport: Transport = ServedTransport(lander_end, self.serve)
        self.silent = False
        self.deaf = False
        self.charge_w = 0.0
        self._booted = False
        self._charged_at_s = clock.now_s

    def serve(self) -> None:
        """Answer what the lander sent (nothing while silent; swallow it while deaf)."""
        if self.silent:
            return
        data = self._end.receive(0.0)
        if data and not self.deaf:
            reply = self.endpoint.feed(data)
            if reply:
                self._end.send(reply)

    def step(self) -> None:
        """Advance the robot to the mission clock's time: charge it, send what is due."""
        now = self.clock.now_s
        dt_s, self._charged_at_s = now - self._charged_at_s, now
        if self.charge_w > 0.0:
            gained_pct = 100.0 * self.charge_w * dt_s / 3600.0 / BATTERY_WH
            self.model.battery_soc_pct = min(100.0, self.model.battery_soc_pct + gained_pct)
        if self.silent:
            return
        out = b""
        if not self._booted:
            self._booted = True
            out += self.endpoint.boot()
        out += self.endpoint.tick()
        if out:
            self._end.send(out)

    def disconnect(self) -> None:
        """Cut the link: the robot falls silent and the lander's end finds it closed."""
        self.silent = True
        self._end.close()

    @property
    def executed(self) -> list[str]:
        """Names of the commands the robot carried out, in order."""
        return [name for name, _ in self.model.executed]


class SimEarth:
    """Earth's ground station at the far end of the lander's Earth link."""

    def __init__(self) -> None:
        self.lander_transport, self._end = LoopbackTransport.pair()
        self.received: list[StoredRecord] = []
        self._deframer = Deframer()
        self._sent = 0

    def send(self, command: RelayCommand) -> None:
        """Uplink ``command``: it waits in the link until the lander listens."""
        self._end.send(encode_uplink(command, self._sent))
        self._sent += 1

    def send_raw(self, frame: bytes) -> None:
        self._end.send(frame)

    def receive(self) -> list[StoredRecord]:
        """Collect what has been downlinked since the last call."""
        new: list[StoredRecord] = []
        while data := self._end.receive(0.0):
            for event in self._deframer.feed(data):
                if event.status is DeframeStatus.FRAME:
                    new.append(decode_downlink(event.payload))
        self.received.extend(new)
        return new


def charge_load(robot: str, power_w: float = 100.0) -> LoadRequest:
    return LoadRequest(f"charge_{robot}", LoadClass.ROBOT_CHARGING, power_w)


class LanderSim:
    """A lander with its robots and Earth, stepped together on a :class:`SimClock`."""

    def __init__(
        self,
        store_path: Path,
        *,
        robots: Sequence[str] = ("rover_r1", "rover_r2"),
        windows_s: Sequence[tuple[float, float]] = (),
        illumination: Callable[[float], float] = lambda t: 1.0,
        config: LanderConfig | None = None,
        power: PowerConfig | None = None,
        hk_period_s: float = 60.0,
        charge_w: float = 100.0,
        start_s: float = 0.0,
        store_capacity: int = 100_000,
    ) -> None:
        self.dictionary = default_dictionary()
        self.keys = sim_keys(self.dictionary)
        self.clock = SimClock(start_s)
        self.config = config or LanderConfig()
        self.power = power or PowerConfig()
        self.bus = PowerBus(self.power, illumination, start_s)
        self.robots = {
            name: SimRobot(name, self.dictionary, self.keys, self.clock, hk_period_s=hk_period_s)
            for name in robots
        }
        self.earth = SimEarth()
        self.earth_transport = BreakableTransport(self.earth.lander_transport)
        self.windows = ContactWindows(windows_s)
        self.store_path = store_path
        self.store_capacity = store_capacity
        self.charge_w = charge_w
        self.lander = self.build_lander()

    def build_lander(self) -> LanderCommandCentre:
        """A lander on this sim's robots, Earth link, bus and store file (a restart makes a
        new one, reopening the store)."""
        store = TelemetryStore(self.store_path, capacity=self.store_capacity, fsync=False)
        lander = LanderCommandCentre(
            self.config,
            self.power,
            self.bus,
            store,
            EarthLink(self.earth_transport, self.windows),
            [RobotPort(name, robot.lander_transport) for name, robot in self.robots.items()],
            self.dictionary,
            self.keys,
            self.clock,
        )
        for name in self.robots:
            if self.charge_w > 0.0:
                lander.request_power(charge_load(name, self.charge_w))
        return lander

    def step(self) -> None:
        """One control period: the robots act at the current time, the clock moves on, the
        lander ticks; each robot charges at the power its charging load was granted."""
        switched = self.bus.switched
        for name, robot in self.robots.items():
            robot.charge_w = switched.get(f"charge_{name}", 0.0)
            robot.step()
        self.clock.advance(self.config.period_s)
        self.lander.tick()

    def run_until(self, end_s: float) -> None:
        while self.clock.now_s + self.config.period_s <= end_s + 1e-9:
            self.step()


__all__ = [
    "BreakableTransport",
    "LanderSim",
    "ServedTransport",
    "SimEarth",
    "SimRobot",
    "charge_load",
    "sim_keys",
]
