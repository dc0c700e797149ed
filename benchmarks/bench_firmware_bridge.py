"""Benchmark of firmware_bridge: receive-path throughput against a 3 Mbaud UART, and command
round-trip latency.

    python benchmarks/bench_firmware_bridge.py [--seconds 2] [--round-trips 2000]

1. Throughput, one core: a recorded-like TM stream (housekeeping, acks, events, framed as the
   MCU sends them) is fed in 4 KiB chunks through (a) the deframer alone, returning events
   (Deframer.feed) or only payloads (Deframer.feed_payloads); (b) the link's whole receive
   path, per packet (CommandLink.process: deframe, Space Packet header, sequence-gap tracking,
   dictionary decode into typed records); (c) the same path in bulk (BatchReceiver: deframe,
   headers, gap tracking, every packet of one APID decoded at once into numpy columns), in
   4 KiB and in 64 KiB chunks. Each rate is the median over repeated passes over the stream,
   compared with a 3 Mbaud UART (8N1: 10 line bits per byte, 300,000 bytes/s).
2. Latency: NOOP round trips (sign, frame, send, robot verifies and acks, ack decoded) from
   CommandLink to the reference RobotEndpoint in another thread, over an in-process loopback
   and over a pty (a serial line through the kernel, as pyserial sees a UART); then to the C
   reference firmware, built with its Makefile into a temporary directory: the host build over
   TCP, and the Cortex-M3 build on an emulated mps2-an385 board (qemu-system-arm, UART0 on a
   TCP socket on 127.0.0.1); median and p99. A missing toolchain or QEMU skips that line and
   says which tool is missing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from firmware_bridge.auth import KeyRing, load_key_file
from firmware_bridge.batch import BatchReceiver
from firmware_bridge.dictionary import Ack, AckStatus, default_dictionary
from firmware_bridge.framing import Deframer, encode_frame
from firmware_bridge.link import CommandLink, RobotEndpoint
from firmware_bridge.sim_mcu import RoverMcuModel
from firmware_bridge.space_packet import SpacePacket
from firmware_bridge.testing import (
    EndpointThread,
    FirmwareProcess,
    FirmwareUnavailableError,
    build_firmware,
)
from firmware_bridge.transport import LoopbackTransport, Transport, TransportClosedError

UART_BAUD = 3_000_000
UART_BYTES_PER_S = UART_BAUD / 10  # 8N1: start + 8 data + stop bits per byte
CHUNK = 4096  # a UART read
BULK_CHUNK = 65536  # about 0.2 s of a 3 Mbaud line, decoded at once
BENCH_KEY = KeyRing({1: os.urandom(32)})  # a throwaway key: the benchmark needs no real one
# The C firmware reads (host) or has built in (board) a key file: the test keys.
TEST_KEYS = (
    Path(__file__).resolve().parents[1] / "tests" / "firmware_bridge" / "data" / "test_keys.txt"
)


def tm_stream(cycles: int) -> bytes:
    """``cycles`` x (1 housekeeping, 2 acks, 1 event), framed, with per-APID counts."""
    d = default_dictionary()
    hk_values: dict[str, object] = {f.name: 0 for f in d.housekeeping.points.fields}
    hk_values.update(battery_v=28.1, battery_soc_pct=88.0, rails=0b0100, hk_period_ms=1000)
    counts = {d.apids.ack: 0, d.apids.housekeeping: 0, d.apids.event: 0}
    frames: list[bytes] = []

    def add(apid: int, data: bytes) -> None:
        packet = SpacePacket.build(apid=apid, data=data, sequence_count=counts[apid])
        counts[apid] = (counts[apid] + 1) % 16384
        frames.append(encode_frame(packet.encode()))

    for i in range(cycles):
        hk_values["uptime_ms"] = i * 100
        add(d.apids.housekeeping, d.encode_fixed("housekeeping", hk_values))
        for j in range(2):
            ack = Ack(i * 100, 1, 1, 2 * i + j + 1, 1, AckStatus.EXECUTED, 0, 0, 2 * i + j + 1)
            add(d.apids.ack, ack.encode())
        add(d.apids.event, d.encode_event("RAIL_SWITCHED", i * 100, {"rail": 1, "on": True}))
    return b"".join(frames)


def rate(run: Callable[[], int], seconds: float) -> tuple[float, int]:
    """Bytes per second of ``run`` (one pass, returning the bytes it processed): the median
    over passes repeated for ``seconds`` (at least 5), so that a pass slowed by another
    process on the machine does not move the result; and the number of passes."""
    rates: list[float] = []
    started = time.perf_counter()
    while len(rates) < 5 or time.perf_counter() - started < seconds:
        begin = time.perf_counter()
        done = run()
        rates.append(done / (time.perf_counter() - begin))
    return statistics.median(rates), len(rates)


class _NullTransport(Transport):
    @property
    def name(self) -> str:
        return "null"

    def send(self, data: bytes) -> None:
        pass

    def receive(self, timeout_s: float) -> bytes:
        return b""

    def close(self) -> None:
        pass


def bench_throughput(seconds: float) -> None:
    d = default_dictionary()
    stream = tm_stream(2000)
    packets = 2000 * 4
    print(
        f"TM stream: {len(stream)} bytes, {packets} packets "
        f"(mean frame {len(stream) / packets:.1f} bytes)"
    )

    def chunked(size: int) -> list[bytes]:
        return [stream[i : i + size] for i in range(0, len(stream), size)]

    def deframe_events(chunks: list[bytes]) -> int:
        deframer = Deframer(max_payload_len=4096)
        for chunk in chunks:
            deframer.feed(chunk)
        assert deframer.counters.frames_ok == packets
        return len(stream)

    def deframe_payloads(chunks: list[bytes]) -> int:
        deframer = Deframer(max_payload_len=4096)
        for chunk in chunks:
            deframer.feed_payloads(chunk)
        assert deframer.counters.frames_ok == packets
        return len(stream)

    def per_packet(chunks: list[bytes]) -> int:
        link = CommandLink(_NullTransport(), d, BENCH_KEY, key_id=1, robot_id=1)
        for chunk in chunks:
            link.process(chunk)
        assert link.counters.tm_packets == packets and not link.counters.tm_errors
        return len(stream)

    def batch(chunks: list[bytes]) -> int:
        receiver = BatchReceiver(d)
        decoded = 0
        for chunk in chunks:
            decoded += receiver.receive(chunk).decoded
        counters = receiver.counters
        assert decoded == counters.tm_packets == packets and not counters.tm_errors
        assert counters.tm_gaps == 0
        return len(stream)

    cases: list[tuple[str, Callable[[list[bytes]], int], int]] = [
        ("deframe, events (feed)", deframe_events, CHUNK),
        ("deframe, payloads only", deframe_payloads, CHUNK),
        ("deframe+decode, typed", per_packet, CHUNK),
        ("deframe+decode, batch", batch, CHUNK),
        ("deframe+decode, batch", batch, BULK_CHUNK),
    ]
    print(f"3 Mbaud UART line rate: {UART_BYTES_PER_S / 1e3:.0f} kB/s (8N1)")
    for label, run, size in cases:
        chunks = chunked(size)
        bytes_per_s, passes = rate(partial(run, chunks), seconds)
        print(
            f"  {label:<23} {size // 1024:>2} KiB chunks  {bytes_per_s / 1e6:6.2f} MB/s  "
            f"{bytes_per_s / len(stream) * packets / 1e3:7.1f} kpackets/s  "
            f"= {bytes_per_s / UART_BYTES_PER_S:6.1f}x line rate  (median of {passes})"
        )


class _FdTransport(Transport):
    def __init__(self, fd: int) -> None:
        self._fd = fd

    @property
    def name(self) -> str:
        return "pty-master"

    def send(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            view = view[os.write(self._fd, view) :]

    def receive(self, timeout_s: float) -> bytes:
        import select

        ready, _, _ = select.select([self._fd], [], [], timeout_s)
        if not ready:
            return b""
        try:
            return os.read(self._fd, 65536)
        except OSError:
            raise TransportClosedError("pty closed") from None

    def close(self) -> None:
        pass


def round_trips(link: CommandLink, count: int) -> list[float]:
    """Seconds per NOOP round trip (sign, frame, send, the robot acks, ack decoded), sorted."""
    for _ in range(50):  # warm-up
        link.send("NOOP")
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        link.send("NOOP")
        samples.append(time.perf_counter() - started)
    samples.sort()
    return samples


def report_latency(label: str, samples: list[float], retries: int) -> None:
    p99 = samples[min(len(samples) - 1, int(0.99 * len(samples)))]
    print(
        f"  {label:<22} median {statistics.median(samples) * 1e3:6.3f} ms  "
        f"p99 {p99 * 1e3:6.3f} ms  max {samples[-1] * 1e3:6.3f} ms  "
        f"({len(samples)} NOOPs, {retries} retransmissions)"
    )


def bench_latency(label: str, ground: Transport, robot: Transport, count: int) -> None:
    d = default_dictionary()
    endpoint = RobotEndpoint(d, BENCH_KEY, 1, RoverMcuModel(hk_period_ms=60000))
    with EndpointThread(endpoint, robot):
        link = CommandLink(ground, d, BENCH_KEY, key_id=1, robot_id=1, timeout_s=1.0)
        samples = round_trips(link, count)
    report_latency(label, samples, link.counters.retransmissions)


def bench_firmware_latency(count: int) -> None:
    """NOOP round trips to the C firmware: the host build over TCP, the board in QEMU."""
    d = default_dictionary()
    keys = load_key_file(TEST_KEYS, d)
    with tempfile.TemporaryDirectory(prefix="bench-firmware-") as tmp:
        build_dir = Path(tmp)
        for target, label in (
            ("host-tcp", "C firmware, host, TCP"),
            ("mps2-an385-qemu", "C firmware, QEMU UART"),
        ):
            try:
                image = build_firmware(build_dir, target, TEST_KEYS)
                with FirmwareProcess(target, image, TEST_KEYS, build_dir / f"{target}.log") as fw:
                    link = CommandLink(fw.transport, d, keys, key_id=1, robot_id=1, timeout_s=1.0)
                    samples = round_trips(link, count)
            except FirmwareUnavailableError as error:
                print(f"  {label:<22} skipped: {error}")
                continue
            report_latency(label, samples, link.counters.retransmissions)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="per throughput case")
    parser.add_argument("--round-trips", type=int, default=2000)
    options = parser.parse_args()
    print(f"python {sys.version.split()[0]} on {os.uname().machine}, one core per side")
    print("Throughput (receive path, one core):")
    bench_throughput(options.seconds)
    print("Command round trip, CommandLink -> RobotEndpoint (Python) -> ack:")
    a, b = LoopbackTransport.pair()
    bench_latency("loopback", a, b, options.round_trips)
    try:
        from firmware_bridge.transport import SerialTransport

        master, slave = os.openpty()
        path = os.ttyname(slave)
        os.close(slave)
        serial = SerialTransport(path, UART_BAUD)
    except Exception as error:
        print(f"  {'pty':<22} skipped: {error}")
    else:
        bench_latency("pty", serial, _FdTransport(master), options.round_trips)
        serial.close()
        os.close(master)
    print("Command round trip, CommandLink -> C reference firmware -> ack:")
    bench_firmware_latency(options.round_trips)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    sys.exit(main())
