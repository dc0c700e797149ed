"""Harnesses for tests, benchmarks and demos: the Python reference endpoint on a transport, and
the C reference firmware built and run as a process.

:class:`EndpointThread` serves one :class:`~firmware_bridge.link.RobotEndpoint` on one
transport in a background thread; :class:`TcpEndpointServer` listens on 127.0.0.1 (a free port
by default) and serves each accepted connection in turn with the same endpoint, so its replay
windows and counters persist across connections like a board's would. Both are context
managers and stop their thread on exit.

:func:`build_firmware` builds the C firmware with its Makefile, and :class:`FirmwareProcess`
runs it on the host (TCP or pty) or on an emulated mps2-an385 board in QEMU (UART0 on TCP) and
connects a transport to it. A missing tool raises :class:`FirmwareUnavailableError`, whose
message names it.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import select
import shutil
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import Final

from firmware_bridge.link import RobotEndpoint
from firmware_bridge.transport import SerialTransport, TcpTransport, Transport, TransportError


class EndpointThread:
    """Run ``endpoint.serve(transport)`` in a daemon thread until :meth:`stop`."""

    def __init__(self, endpoint: RobotEndpoint, transport: Transport) -> None:
        self.endpoint = endpoint
        self.transport = transport
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=endpoint.serve, args=(transport, self._stop), name="robot-endpoint", daemon=True
        )

    def start(self) -> EndpointThread:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5.0)
        self.transport.close()

    def __enter__(self) -> EndpointThread:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class TcpEndpointServer:
    """Serve ``endpoint`` to TCP clients on ``host:port`` (port 0: a free one, see :attr:`port`)."""

    def __init__(self, endpoint: RobotEndpoint, host: str = "127.0.0.1", port: int = 0) -> None:
        self.endpoint = endpoint
        self._listener = socket.create_server((host, port))
        self._listener.settimeout(0.05)
        self.host = host
        self.port: int = self._listener.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="tcp-endpoint", daemon=True)
        self.connections = 0

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                sock, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            transport = TcpTransport(sock, f"tcp:{self.host}:{self.port}:server")
            self.endpoint.serve(transport, self._stop, announce=self.connections == 1)
            transport.close()

    def start(self) -> TcpEndpointServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5.0)
        with contextlib.suppress(OSError):
            self._listener.close()

    def __enter__(self) -> TcpEndpointServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


# ------------------------------------------------------------------------------------------
# The C reference firmware (firmware/), built with its Makefile and run as a process
# ------------------------------------------------------------------------------------------

FIRMWARE_DIR: Final = Path(__file__).resolve().parent / "firmware"
FIRMWARE_TARGETS: Final = ("host-tcp", "host-pty", "mps2-an385-qemu")
"""Where :class:`FirmwareProcess` runs the firmware: the host build on TCP or on a pty, or the
Cortex-M3 build on an emulated mps2-an385 board with UART0 on TCP."""

_BUILD_TIMEOUT_S: Final = 120.0
_START_TIMEOUT_S: Final = 10.0
_STOP_TIMEOUT_S: Final = 5.0
_PTY_BAUD: Final = 115200  # a pty ignores the rate


class FirmwareUnavailableError(RuntimeError):
    """A tool needed to build or run the firmware is missing; the message names it."""


class FirmwareError(RuntimeError):
    """The firmware failed to build or start; the message holds its output."""


def _is_board(target: str) -> bool:
    if target not in FIRMWARE_TARGETS:
        raise ValueError(f"unknown firmware target {target!r} (known: {FIRMWARE_TARGETS})")
    return target == "mps2-an385-qemu"


def require_firmware_tools(target: str) -> None:
    """Raise :class:`FirmwareUnavailableError` naming what ``target`` needs and is missing."""
    tools = ["make", "cc"]
    if _is_board(target):
        tools += ["arm-none-eabi-gcc", "qemu-system-arm"]
    missing = [tool for tool in tools if shutil.which(tool) is None]
    if missing:
        raise FirmwareUnavailableError(
            f"not on PATH: {', '.join(missing)} (needed to build or run the firmware)"
        )
    if _is_board(target):
        # nano.specs comes with libnewlib-arm-none-eabi; without it gcc prints the bare name.
        found = subprocess.run(
            ["arm-none-eabi-gcc", "-print-file-name=nano.specs"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        ).stdout.strip()
        if not os.path.isabs(found):
            raise FirmwareUnavailableError(
                "newlib for arm-none-eabi (nano.specs, package libnewlib-arm-none-eabi)"
            )
    if target == "host-pty" and importlib.util.find_spec("serial") is None:
        raise FirmwareUnavailableError("pyserial is not installed (pip install pyserial)")


def build_firmware(build_dir: Path, target: str, keys: Path, robot_id: int = 1) -> Path:
    """Build the image ``target`` runs (``make`` into ``build_dir``); return its path.

    The board image has ``keys`` (a key file) and ``robot_id`` built in; the host image reads
    them when it starts. Raises :class:`FirmwareUnavailableError` or :class:`FirmwareError`.
    """
    require_firmware_tools(target)
    image = (
        build_dir / "arm" / "rover_mcu.elf"
        if _is_board(target)
        else build_dir / "host" / "rover_mcu_host"
    )
    result = subprocess.run(
        [
            "make",
            "-C",
            str(FIRMWARE_DIR),
            f"BUILD={build_dir}",
            f"KEYS={keys}",
            f"ROBOT_ID={robot_id}",
            str(image),
        ],
        capture_output=True,
        text=True,
        timeout=_BUILD_TIMEOUT_S,
        check=False,
    )
    if result.returncode != 0:
        raise FirmwareError(f"make {image.name} failed:\n{result.stdout}\n{result.stderr}")
    return image


def free_tcp_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class FirmwareProcess:
    """Run a built firmware ``image`` on ``target`` and connect a transport to its UART.

    The host build is started with ``keys`` and ``robot_id`` and says where to connect (a TCP
    port it picked, or a pty); the board runs in ``qemu-system-arm -M mps2-an385`` with UART0
    on a free TCP port on 127.0.0.1, and starts once :attr:`transport` has connected, so the
    client sees every packet from BOOT on. Output goes to ``log``. :meth:`stop` closes the
    transport and ends the process group (SIGTERM, then SIGKILL). Raises
    :class:`FirmwareError` if the firmware does not come up within 10 s.
    """

    def __init__(
        self, target: str, image: Path, keys: Path, log: Path, *, robot_id: int = 1
    ) -> None:
        self.target = target
        self.log = log
        board = _is_board(target)
        if board:
            self._port = free_tcp_port()
            self.command = [
                "qemu-system-arm", "-M", "mps2-an385", "-display", "none", "-monitor", "none",
                "-serial", f"tcp:127.0.0.1:{self._port},server=on,wait=on,nodelay=on",
                "-kernel", str(image),
            ]  # fmt: skip
        else:
            link = ["--tcp", "0"] if target == "host-tcp" else ["--pty"]
            self.command = [str(image), "--keys", str(keys), "--robot-id", str(robot_id), *link]
        self._process: subprocess.Popen[bytes] | None = None
        self._transport: Transport | None = None

    @property
    def transport(self) -> Transport:
        if self._transport is None:
            raise RuntimeError("the firmware is not running (call start())")
        return self._transport

    def start(self) -> FirmwareProcess:
        board = _is_board(self.target)
        with self.log.open("wb") as log_file:
            self._process = subprocess.Popen(
                self.command,
                stdin=subprocess.DEVNULL,
                stdout=log_file if board else subprocess.PIPE,
                stderr=log_file,
                start_new_session=True,
            )
        try:
            self._transport = self._connect_board() if board else self._connect_host()
        except BaseException:
            self.stop()
            raise
        return self

    def _log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def _connect_board(self) -> Transport:
        assert self._process is not None
        deadline = time.monotonic() + _START_TIMEOUT_S
        while True:
            try:
                return TcpTransport.connect("127.0.0.1", self._port, timeout_s=1.0)
            except TransportError:
                if self._process.poll() is not None or time.monotonic() > deadline:
                    raise FirmwareError(
                        f"nothing listens on 127.0.0.1:{self._port}: {self._log_text()}"
                    ) from None
                time.sleep(0.05)

    def _connect_host(self) -> Transport:
        # The host firmware's first line says where to connect: "TCP 127.0.0.1:n" or "PTY path".
        assert self._process is not None and self._process.stdout is not None
        ready, _, _ = select.select([self._process.stdout], [], [], _START_TIMEOUT_S)
        line = self._process.stdout.readline().decode().strip() if ready else ""
        kind, _, where = line.partition(" ")
        if kind == "TCP":
            host, _, port = where.rpartition(":")
            return TcpTransport.connect(host, int(port))
        if kind == "PTY":
            return SerialTransport(where, _PTY_BAUD)
        raise FirmwareError(f"the host firmware printed no address ({line!r}): {self._log_text()}")

    def stop(self) -> None:
        if self._transport is not None:
            self._transport.close()
            self._transport = None
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=_STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=_STOP_TIMEOUT_S)
        if process.stdout is not None:
            process.stdout.close()

    def __enter__(self) -> FirmwareProcess:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
