"""Harnesses that run the Python reference endpoint on a transport, for tests and demos.

:class:`EndpointThread` serves one :class:`~firmware_bridge.link.RobotEndpoint` on one
transport in a background thread; :class:`TcpEndpointServer` listens on 127.0.0.1 (a free port
by default) and serves each accepted connection in turn with the same endpoint, so its replay
windows and counters persist across connections like a board's would. Both are context
managers and stop their thread on exit.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from types import TracebackType

from firmware_bridge.link import RobotEndpoint
from firmware_bridge.transport import TcpTransport, Transport


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
