"""Byte transports behind one interface: loopback, TCP client, serial (pyserial).

A :class:`Transport` moves raw bytes; framing and packets live above it. ``receive`` returns
whatever bytes have arrived (possibly part of a frame, possibly several frames), or ``b""`` when
``timeout_s`` passes with nothing; it raises :class:`TransportClosedError` once the other end has
gone or :meth:`Transport.close` was called. Transports are chosen by name through
:func:`open_transport` (``loopback``, ``tcp:HOST:PORT``, ``serial:PATH[@BAUD]``).

:class:`ImpairedTransport` wraps another transport and flips bits at a given bit-error rate
and drops whole writes, with a seeded generator: for tests and benchmarks of the link.
"""

from __future__ import annotations

import contextlib
import importlib
import math
import queue
import random
import select
import socket
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from types import TracebackType
from typing import Any, Final

DEFAULT_MAX_READ: Final = 65536
"""Largest chunk one receive returns, bytes."""


class TransportError(OSError):
    """A transport failed (could not open, write or read)."""


class TransportClosedError(TransportError):
    """The transport was closed, or the other end went away."""


class Transport(ABC):
    """Moves bytes. Not thread-safe for two concurrent readers or writers; one of each is fine."""

    @abstractmethod
    def send(self, data: bytes) -> None:
        """Write all of ``data``; raises TransportClosedError or TransportError."""

    @abstractmethod
    def receive(self, timeout_s: float) -> bytes:
        """Bytes that arrived within ``timeout_s`` seconds (``b""`` if none)."""

    @abstractmethod
    def close(self) -> None:
        """Release the transport; idempotent. Pending and later calls raise TransportClosedError."""

    @property
    @abstractmethod
    def name(self) -> str:
        """Where this transport goes, for messages (``tcp:127.0.0.1:5000``)."""

    def __enter__(self) -> Transport:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


# ------------------------------------------------------------------------------------------
# Loopback
# ------------------------------------------------------------------------------------------

_CLOSED: Final = object()


class LoopbackTransport(Transport):
    """One end of an in-process byte pipe; make both ends with :meth:`pair`."""

    def __init__(self, inbox: queue.Queue[object], outbox: queue.Queue[object], label: str) -> None:
        self._inbox = inbox
        self._outbox = outbox
        self._label = label
        self._closed = False
        self._peer_closed = False
        self._pending = bytearray()

    @classmethod
    def pair(cls) -> tuple[LoopbackTransport, LoopbackTransport]:
        """Two connected ends: what one sends, the other receives, in order, unchanged."""
        a_to_b: queue.Queue[object] = queue.Queue()
        b_to_a: queue.Queue[object] = queue.Queue()
        return cls(b_to_a, a_to_b, "loopback:a"), cls(a_to_b, b_to_a, "loopback:b")

    @property
    def name(self) -> str:
        return self._label

    def send(self, data: bytes) -> None:
        if self._closed or self._peer_closed:
            raise TransportClosedError(f"{self._label}: closed")
        if data:
            self._outbox.put(bytes(data))

    def receive(self, timeout_s: float) -> bytes:
        if self._closed:
            raise TransportClosedError(f"{self._label}: closed")
        if not self._pending:
            try:
                item = (
                    self._inbox.get(timeout=max(0.0, timeout_s))
                    if timeout_s > 0
                    else (self._inbox.get_nowait())
                )
            except queue.Empty:
                return b""
            if not self._take(item):
                raise TransportClosedError(f"{self._label}: the other end closed")
        while len(self._pending) < DEFAULT_MAX_READ:
            try:
                item = self._inbox.get_nowait()
            except queue.Empty:
                break
            if not self._take(item):
                break
        if not self._pending and self._peer_closed:
            raise TransportClosedError(f"{self._label}: the other end closed")
        chunk = bytes(self._pending[:DEFAULT_MAX_READ])
        del self._pending[:DEFAULT_MAX_READ]
        return chunk

    def _take(self, item: object) -> bool:
        if item is _CLOSED:
            self._peer_closed = True
            return False
        assert isinstance(item, bytes)  # only send() puts items, always bytes
        self._pending += item
        return True

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._outbox.put(_CLOSED)
            self._inbox.put(_CLOSED)  # wakes a reader blocked on this end


# ------------------------------------------------------------------------------------------
# TCP
# ------------------------------------------------------------------------------------------


class TcpTransport(Transport):
    """A TCP stream: a client connection (:meth:`connect`) or an accepted socket."""

    def __init__(self, sock: socket.socket, label: str) -> None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setblocking(True)
        self._sock = sock
        self._label = label
        self._closed = False
        self._lock = threading.Lock()

    @classmethod
    def connect(cls, host: str, port: int, *, timeout_s: float = 5.0) -> TcpTransport:
        """Connect to ``host:port`` within ``timeout_s`` seconds."""
        label = f"tcp:{host}:{port}"
        try:
            sock = socket.create_connection((host, port), timeout=timeout_s)
        except OSError as error:
            raise TransportError(f"{label}: cannot connect: {error.strerror or error}") from None
        sock.settimeout(None)
        return cls(sock, label)

    @property
    def name(self) -> str:
        return self._label

    def send(self, data: bytes) -> None:
        if self._closed:
            raise TransportClosedError(f"{self._label}: closed")
        try:
            with self._lock:
                self._sock.sendall(data)
        except OSError as error:
            raise TransportClosedError(
                f"{self._label}: write failed: {error.strerror or error}"
            ) from None

    def receive(self, timeout_s: float) -> bytes:
        if self._closed:
            raise TransportClosedError(f"{self._label}: closed")
        try:
            ready, _, _ = select.select([self._sock], [], [], max(0.0, timeout_s))
            if not ready:
                return b""
            data = self._sock.recv(DEFAULT_MAX_READ)
        except (OSError, ValueError) as error:
            raise TransportClosedError(f"{self._label}: read failed: {error}") from None
        if not data:
            raise TransportClosedError(f"{self._label}: the other end closed")
        return data

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            with contextlib.suppress(OSError):
                self._sock.shutdown(socket.SHUT_RDWR)
            self._sock.close()


# ------------------------------------------------------------------------------------------
# Serial
# ------------------------------------------------------------------------------------------


class SerialTransport(Transport):
    """A serial port through pyserial: a UART device or a pty (``/dev/pts/N``).

    8 data bits, no parity, 1 stop bit, no flow control; ``baudrate`` in bit/s (ignored by
    ptys).
    """

    def __init__(self, port: str, baudrate: int = 115200) -> None:
        self._label = f"serial:{port}@{baudrate}"
        try:
            serial: Any = importlib.import_module("serial")
        except ImportError:
            raise TransportError(
                f"{self._label}: pyserial is not installed (pip install pyserial)"
            ) from None
        try:
            self._port: Any = serial.Serial(
                port, baudrate=baudrate, timeout=0, write_timeout=5.0, exclusive=True
            )
        except (OSError, ValueError, serial.SerialException) as error:
            raise TransportError(f"{self._label}: cannot open: {error}") from None
        self._errors: tuple[type[BaseException], ...] = (OSError, serial.SerialException)
        self._closed = False

    @property
    def name(self) -> str:
        return self._label

    def send(self, data: bytes) -> None:
        if self._closed:
            raise TransportClosedError(f"{self._label}: closed")
        try:
            self._port.write(data)
            self._port.flush()
        except self._errors as error:
            raise TransportClosedError(f"{self._label}: write failed: {error}") from None

    def receive(self, timeout_s: float) -> bytes:
        if self._closed:
            raise TransportClosedError(f"{self._label}: closed")
        try:
            self._port.timeout = max(0.0, timeout_s)
            first: bytes = self._port.read(1)
            if not first:
                return b""
            waiting = int(self._port.in_waiting)
            rest: bytes = self._port.read(min(waiting, DEFAULT_MAX_READ - 1)) if waiting else b""
        except self._errors as error:
            raise TransportClosedError(f"{self._label}: read failed: {error}") from None
        return first + rest

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            with contextlib.suppress(*self._errors):
                self._port.close()


# ------------------------------------------------------------------------------------------
# Impairment (tests, benchmarks)
# ------------------------------------------------------------------------------------------


class ImpairedTransport(Transport):
    """Wraps a transport and damages what it sends: each bit flips with probability
    ``bit_error_rate``, each write is dropped with probability ``drop_rate``. Receives pass
    through unchanged (impair both ends to damage both directions). ``seed`` makes it repeat.
    """

    def __init__(
        self,
        inner: Transport,
        *,
        bit_error_rate: float = 0.0,
        drop_rate: float = 0.0,
        seed: int = 0,
    ) -> None:
        if not 0.0 <= bit_error_rate < 1.0 or not 0.0 <= drop_rate <= 1.0:
            raise ValueError(
                f"bit_error_rate={bit_error_rate}, drop_rate={drop_rate} not in [0, 1)"
            )
        self._inner = inner
        self._ber = bit_error_rate
        self._drop = drop_rate
        self._rng = random.Random(seed)
        self.bits_flipped = 0
        self.writes_dropped = 0

    @property
    def name(self) -> str:
        return f"impaired({self._inner.name})"

    def send(self, data: bytes) -> None:
        if self._drop and self._rng.random() < self._drop:
            self.writes_dropped += 1
            return
        if self._ber:
            data = self._flip(data)
        self._inner.send(data)

    def _flip(self, data: bytes) -> bytes:
        damaged = bytearray(data)
        bits = len(damaged) * 8
        # Walk from error to error with geometric gaps: cost is per error, not per bit.
        position = self._gap()
        while position < bits:
            damaged[position // 8] ^= 0x80 >> (position % 8)
            self.bits_flipped += 1
            position += 1 + self._gap()
        return bytes(damaged)

    def _gap(self) -> int:
        # Number of intact bits before the next error, geometric with p = BER.
        u = 1.0 - self._rng.random()  # (0, 1]
        return int(math.log(u) / math.log1p(-self._ber))

    def receive(self, timeout_s: float) -> bytes:
        return self._inner.receive(timeout_s)

    def close(self) -> None:
        self._inner.close()


# ------------------------------------------------------------------------------------------
# Registry
# ------------------------------------------------------------------------------------------


def _open_tcp(spec: str) -> Transport:
    host, sep, port = spec.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"tcp transport needs HOST:PORT, got {spec!r}")
    return TcpTransport.connect(host, int(port))


def _open_serial(spec: str) -> Transport:
    port, sep, baud = spec.partition("@")
    if not port or (sep and not baud.isdigit()):
        raise ValueError(f"serial transport needs PATH[@BAUD], got {spec!r}")
    return SerialTransport(port, int(baud) if sep else 115200)


TRANSPORTS: Final[dict[str, Callable[[str], Transport]]] = {
    "tcp": _open_tcp,
    "serial": _open_serial,
}
"""Transport factories by name; each takes the part of the spec after ``name:``."""


def open_transport(spec: str) -> Transport:
    """Open ``tcp:HOST:PORT`` or ``serial:PATH[@BAUD]``; ValueError names a bad spec."""
    kind, sep, rest = spec.partition(":")
    if not sep or kind not in TRANSPORTS:
        raise ValueError(
            f"unknown transport {spec!r} (use {', '.join(t + ':...' for t in TRANSPORTS)})"
        )
    return TRANSPORTS[kind](rest)
