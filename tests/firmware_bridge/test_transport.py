"""Transports: loopback, TCP on 127.0.0.1 with a test server, serial over a pty, the registry,
the impairment wrapper; and the whole link over TCP and over a pty."""

from __future__ import annotations

import os
import select
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from firmware_bridge.auth import load_key_file
from firmware_bridge.dictionary import default_dictionary
from firmware_bridge.link import CommandLink, RobotEndpoint
from firmware_bridge.sim_mcu import RoverMcuModel
from firmware_bridge.testing import EndpointThread, TcpEndpointServer
from firmware_bridge.transport import (
    ImpairedTransport,
    LoopbackTransport,
    SerialTransport,
    TcpTransport,
    Transport,
    TransportClosedError,
    TransportError,
    open_transport,
)

TEST_KEYS = Path(__file__).parent / "data" / "test_keys.txt"


def receive_exactly(transport: Transport, size: int, timeout_s: float = 2.0) -> bytes:
    data = b""
    deadline = time.monotonic() + timeout_s
    while len(data) < size and time.monotonic() < deadline:
        data += transport.receive(0.05)
    return data


def test_loopback_delivers_in_order_and_reports_close() -> None:
    a, b = LoopbackTransport.pair()
    for chunk in (b"ab", b"", b"cde", bytes(range(256)) * 300):
        a.send(chunk)
    assert receive_exactly(b, 5 + 256 * 300) == b"abcde" + bytes(range(256)) * 300
    assert b.receive(0.01) == b""
    assert b.receive(0) == b""
    a.close()
    with pytest.raises(TransportClosedError, match="the other end closed"):
        b.receive(0.5)
    with pytest.raises(TransportClosedError):
        a.send(b"x")
    with pytest.raises(TransportClosedError):
        b.send(b"x")


def test_closing_wakes_a_blocked_reader() -> None:
    a, _b = LoopbackTransport.pair()
    errors: list[BaseException] = []

    def read() -> None:
        try:
            a.receive(10.0)
        except TransportClosedError as error:
            errors.append(error)

    reader = threading.Thread(target=read)
    reader.start()
    time.sleep(0.02)
    a.close()
    reader.join(timeout=2.0)
    assert not reader.is_alive() and len(errors) == 1


def test_tcp_client_against_a_test_server_on_localhost() -> None:
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        client = TcpTransport.connect("127.0.0.1", port)
        peer, _ = server.accept()
        assert client.name == f"tcp:127.0.0.1:{port}"
        client.send(b"\x1a\xcf\xfc\x1d hello")
        assert peer.recv(100) == b"\x1a\xcf\xfc\x1d hello"
        peer.sendall(b"telemetry")
        assert receive_exactly(client, 9) == b"telemetry"
        assert client.receive(0.01) == b""
        peer.close()
        with pytest.raises(TransportClosedError, match="the other end closed"):
            client.receive(1.0)
        client.close()
        client.close()
    with pytest.raises(TransportError, match="cannot connect"):
        TcpTransport.connect("127.0.0.1", port, timeout_s=1.0)


def test_the_link_over_tcp() -> None:
    d = default_dictionary()
    keys = load_key_file(TEST_KEYS, d)
    model = RoverMcuModel()
    with TcpEndpointServer(RobotEndpoint(d, keys.only(1), 1, model)) as server:
        for _ in range(2):  # a second connection sees the same robot state
            with open_transport(f"tcp:127.0.0.1:{server.port}") as transport:
                link = CommandLink(transport, d, keys, key_id=1, robot_id=1, timeout_s=1.0)
                assert link.send("SET_POWER", {"rail": "CAMERA", "on": True}).succeeded
                assert link.send("REQUEST_HOUSEKEEPING").succeeded
                deadline = time.monotonic() + 2.0
                while link.latest_housekeeping is None and time.monotonic() < deadline:
                    link.poll(0.05)
                assert link.latest_housekeeping is not None
                assert link.latest_housekeeping.text("rails") == "RADIO|CAMERA"
        assert server.connections == 2
    assert [name for name, _ in model.executed] == ["SET_POWER", "REQUEST_HOUSEKEEPING"] * 2


class FdTransport(Transport):
    """The master side of a pty, by file descriptor (test helper)."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.closed = False

    @property
    def name(self) -> str:
        return f"fd:{self.fd}"

    def send(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            view = view[os.write(self.fd, view) :]

    def receive(self, timeout_s: float) -> bytes:
        if self.closed:
            raise TransportClosedError("closed")
        ready, _, _ = select.select([self.fd], [], [], timeout_s)
        if not ready:
            return b""
        try:
            return os.read(self.fd, 4096)
        except OSError:
            raise TransportClosedError("pty closed") from None

    def close(self) -> None:
        self.closed = True


@pytest.fixture
def pty_pair() -> Iterator[tuple[int, str]]:
    pytest.importorskip("serial", reason="pyserial is not installed")
    master, slave = os.openpty()
    path = os.ttyname(slave)
    # Keep a slave descriptor open for the whole test: with none open, reading the master
    # fails with EIO (so a reader started before the port is opened would quit).
    yield master, path
    os.close(slave)
    os.close(master)


def test_serial_transport_over_a_pty(pty_pair: tuple[int, str]) -> None:
    master, path = pty_pair
    port = SerialTransport(path, 3_000_000)
    try:
        assert port.name == f"serial:{path}@3000000"
        payload = bytes(range(256))  # every byte value passes unchanged (raw mode)
        port.send(payload)
        received = b""
        deadline = time.monotonic() + 2.0
        while len(received) < 256 and time.monotonic() < deadline:
            received += os.read(master, 4096)
        assert received == payload
        os.write(master, b"\r\n\x00\x1a\xcf\xfc\x1d\x03")
        assert receive_exactly(port, 8) == b"\r\n\x00\x1a\xcf\xfc\x1d\x03"
        assert port.receive(0.01) == b""
    finally:
        port.close()
    with pytest.raises(TransportClosedError):
        port.receive(0.01)


def test_the_link_over_a_pty(pty_pair: tuple[int, str]) -> None:
    master, path = pty_pair
    d = default_dictionary()
    keys = load_key_file(TEST_KEYS, d)
    model = RoverMcuModel()
    endpoint = RobotEndpoint(d, keys.only(1), 1, model)
    with (
        EndpointThread(endpoint, FdTransport(master)),
        open_transport(f"serial:{path}@115200") as port,
    ):
        link = CommandLink(port, d, keys, key_id=1, robot_id=1, timeout_s=1.0)
        result = link.send("DRIVE", {"left_mps": 0.3, "right_mps": 0.3, "duration_ms": 100})
        assert result.succeeded
        assert link.send("STOP").succeeded
    assert [name for name, _ in model.executed] == ["DRIVE", "STOP"]


def test_serial_errors_are_transport_errors(tmp_path: Path) -> None:
    pytest.importorskip("serial", reason="pyserial is not installed")
    with pytest.raises(TransportError, match="cannot open"):
        SerialTransport(str(tmp_path / "no-such-tty"))


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("usb:/dev/x", "unknown transport 'usb:/dev/x'"),
        ("tcp:localhost", "tcp transport needs HOST:PORT"),
        ("tcp:localhost:99999", "tcp transport needs HOST:PORT"),
        ("serial:/dev/ttyS0@fast", r"serial transport needs PATH\[@BAUD\]"),
        ("/dev/ttyS0", "unknown transport"),
    ],
)
def test_transport_specs_are_checked(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        open_transport(spec)


def test_impairment_flips_bits_at_the_requested_rate_and_drops_writes() -> None:
    a, b = LoopbackTransport.pair()
    noisy = ImpairedTransport(a, bit_error_rate=1e-3, seed=5)
    data = bytes(100_000)
    noisy.send(data)
    received = receive_exactly(b, len(data))
    flipped = sum(bin(x).count("1") for x in received)
    assert flipped == noisy.bits_flipped
    assert 650 <= flipped <= 950  # 800 expected
    lossy = ImpairedTransport(a, drop_rate=0.5, seed=5)
    for _ in range(400):
        lossy.send(b"x")
    assert 150 <= lossy.writes_dropped <= 250
    assert len(receive_exactly(b, 400 - lossy.writes_dropped)) == 400 - lossy.writes_dropped
    with pytest.raises(ValueError):
        ImpairedTransport(a, bit_error_rate=1.5)
