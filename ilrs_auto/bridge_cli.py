"""``ilrs-auto bridge``: command a robot's microcontroller and watch its telemetry.

Connects over a serial port (``--port``) or TCP (``--tcp``, e.g. the emulated board's UART),
sends one command from the rover_mcu dictionary given as ``NAME arg=value ...``, authenticated
with a partner key from ``--keys``, and with ``--watch SECONDS`` shows live housekeeping and
events in a table. Bad input (an unknown command or argument, a value out of range, a bad key
file, a port that cannot be opened) ends with one line on stderr and exit status 2; a command
the robot rejects or never acknowledges ends with exit status 1.
"""

from __future__ import annotations

import os
import sys
import time
from collections import deque
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from ilrs_auto.errors import InputError

if TYPE_CHECKING:
    from rich.table import Table

    from firmware_bridge.auth import KeyRing
    from firmware_bridge.dictionary import Dictionary, EventRecord, TelemetryRecord, TmRecord
    from firmware_bridge.link import CommandLink
    from firmware_bridge.transport import Transport

EXIT_BAD_INPUT = 2
EXIT_COMMAND_FAILED = 1
KEYS_ENV = "ILRS_BRIDGE_KEYS"


def _fail(message: str, status: int = EXIT_BAD_INPUT) -> NoReturn:
    click.echo(f"ilrs-auto bridge: error: {message}", err=True)
    sys.exit(status)


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("command", required=False)
@click.argument("args", nargs=-1)
@click.option("--port", metavar="DEVICE", help="Serial port, e.g. /dev/ttyUSB0 or a pty.")
@click.option("--baud", type=click.IntRange(min=1), default=115200, show_default=True)
@click.option("--tcp", "tcp", metavar="HOST:PORT", help="TCP endpoint, e.g. 127.0.0.1:5760.")
@click.option(
    "--keys",
    "key_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=lambda: os.environ.get(KEYS_ENV),
    help=f"Key file (PROTOCOL.md section 6) [default: ${KEYS_ENV}].",
)
@click.option("--key-id", type=click.IntRange(1, 255), default=None, help="Key to sign with.")
@click.option("--robot", default=None, help="Target robot name or id (needed to command).")
@click.option(
    "--dictionary",
    "dictionary_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Dictionary file [default: the packaged rover_mcu.yaml].",
)
@click.option(
    "--timeout",
    "timeout_s",
    type=click.FloatRange(min=0.001),
    default=0.5,
    show_default=True,
    help="Seconds to wait for an ack per transmission.",
)
@click.option("--retries", type=click.IntRange(min=0), default=3, show_default=True)
@click.option(
    "--first-seq",
    type=click.IntRange(1, 0xFFFFFFFF),
    default=1,
    show_default=True,
    help="First sequence number (the robot's ack resyncs a stale one).",
)
@click.option(
    "--watch",
    "watch_s",
    type=click.FloatRange(min=0.0),
    default=0.0,
    help="Show live telemetry for this many seconds.",
)
def bridge(
    command: str | None,
    args: tuple[str, ...],
    port: str | None,
    baud: int,
    tcp: str | None,
    key_file: Path | None,
    key_id: int | None,
    robot: str | None,
    dictionary_path: Path | None,
    timeout_s: float,
    retries: int,
    first_seq: int,
    watch_s: float,
) -> None:
    """Send COMMAND (a rover_mcu dictionary command, with NAME=VALUE arguments) to a board and
    show its telemetry.

    \b
    Examples:
      ilrs-auto bridge --tcp 127.0.0.1:5760 --keys ops.keys --robot rover_r1 \\
          DRIVE left_mps=0.2 right_mps=0.2 duration_ms=3000 --watch 5
      ilrs-auto bridge --port /dev/ttyUSB0 --keys ops.keys --watch 30
    """
    # Imported here so that `ilrs-auto --help` stays quick.
    from firmware_bridge.dictionary import (
        CommandError,
        DictionaryError,
        EventRecord,
        default_dictionary,
        load_dictionary,
    )
    from firmware_bridge.link import CommandFailedError, CommandLink
    from firmware_bridge.transport import TransportError

    if (port is None) == (tcp is None):
        _fail("give exactly one of --port DEVICE or --tcp HOST:PORT")
    if command is None and watch_s <= 0:
        _fail("nothing to do: give a COMMAND, --watch SECONDS, or both")
    try:
        dictionary = load_dictionary(dictionary_path) if dictionary_path else default_dictionary()
    except DictionaryError as error:
        _fail(str(error))

    arguments = _parse_arguments(command, args) if command is not None else {}
    target = _resolve_robot(dictionary, robot, needed=command is not None)
    if command is not None:
        try:
            definition, _ = dictionary.encode_args(command, arguments)
        except CommandError as error:
            _fail(str(error))
    try:
        keys, key_id = load_keys(dictionary, key_file, key_id)
    except InputError as error:
        _fail(str(error))
    if command is not None and not dictionary.is_authorized(key_id, target, definition.opcode):
        info = dictionary.key(key_id)
        partner = info.partner if info else "?"
        _fail(
            f"{definition.name}: key {key_id} ({partner}) may not send it to robot "
            f"{dictionary.robot(target).name} (dictionary authorization rules)"
        )

    try:
        transport = open_port(port, baud, tcp)
    except InputError as error:
        _fail(str(error))

    events: deque[EventRecord] = deque(maxlen=8)

    def keep_events(record: TmRecord) -> None:
        if isinstance(record, EventRecord):
            events.append(record)

    link = CommandLink(
        transport,
        dictionary,
        keys,
        key_id=key_id,
        robot_id=target,
        timeout_s=timeout_s,
        retries=retries,
        first_seq=first_seq,
        on_telemetry=keep_events,
    )
    status = 0
    try:
        if command is not None:
            try:
                result = link.send(command, arguments)
            except CommandFailedError as error:
                click.echo(f"ilrs-auto bridge: {error}", err=True)
                status = EXIT_COMMAND_FAILED
            else:
                label = getattr(result.status, "name", str(result.status))
                plural = "s" if result.attempts != 1 else ""
                click.echo(
                    f"{result.name} seq {result.seq}: {label} ({result.attempts} "
                    f"transmission{plural}, {result.round_trip_s * 1000:.1f} ms)"
                )
        if watch_s > 0:
            _watch(link, events, watch_s)
    except TransportError as error:
        _fail(f"{transport.name}: {error}", EXIT_COMMAND_FAILED)
    finally:
        link.close()
    if status:
        sys.exit(status)


def load_keys(
    dictionary: Dictionary, key_file: Path | None, key_id: int | None
) -> tuple[KeyRing, int]:
    """The key ring of ``--keys`` and the key to sign with (the only one when not given)."""
    from firmware_bridge.auth import KeyFileError, load_key_file

    if key_file is None:
        raise InputError(f"give --keys FILE (or set ${KEYS_ENV})")
    try:
        keys = load_key_file(key_file, dictionary)
    except KeyFileError as error:
        raise InputError(str(error)) from None
    if key_id is None:
        if len(keys) != 1:
            raise InputError(f"{key_file} holds keys {sorted(keys)}: choose one with --key-id")
        key_id = next(iter(keys))
    if key_id not in keys:
        raise InputError(f"--key-id {key_id}: not in {key_file} (holds {sorted(keys)})")
    return keys, key_id


def open_port(port: str | None, baud: int, tcp: str | None) -> Transport:
    """The transport of ``--port DEVICE`` (at ``baud``) or ``--tcp HOST:PORT``."""
    from firmware_bridge.transport import TransportError, open_transport

    if (port is None) == (tcp is None):
        raise InputError("give exactly one of --port DEVICE or --tcp HOST:PORT")
    spec = f"serial:{port}@{baud}" if port is not None else f"tcp:{tcp}"
    try:
        return open_transport(spec)
    except (TransportError, ValueError) as error:
        raise InputError(str(error)) from None


def _parse_arguments(command: str, items: tuple[str, ...]) -> dict[str, str]:
    parsed: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name:
            _fail(f"{command.upper()}: {item!r}: arguments are NAME=VALUE")
        if name in parsed:
            _fail(f"{command.upper()}: {name}: given twice")
        parsed[name] = value
    return parsed


def _resolve_robot(dictionary: Dictionary, robot: str | None, *, needed: bool) -> int:
    if robot is None:
        if needed:
            names = ", ".join(r.name for r in dictionary.robots)
            _fail(f"give --robot NAME (one of {names})")
        return 0
    try:
        return dictionary.robot(int(robot) if robot.isdigit() else robot).robot_id
    except KeyError as error:
        _fail(f"--robot: {error.args[0]}")


def _watch(link: CommandLink, events: deque[EventRecord], watch_s: float) -> None:
    from rich.console import Console
    from rich.live import Live

    console = Console()
    deadline = time.monotonic() + watch_s
    with Live(
        _render(link.latest_housekeeping, events, link),
        console=console,
        refresh_per_second=4,
        transient=False,
    ) as live:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            link.poll(min(0.1, remaining))
            live.update(_render(link.latest_housekeeping, events, link))


_STYLE = {"red": "bold red", "yellow": "yellow", "ok": ""}


def _render(hk: TelemetryRecord | None, events: deque[EventRecord], link: CommandLink) -> Table:
    from rich.table import Table

    counters = link.counters
    caption = (
        f"{link.transport.name}  TM packets {counters.tm_packets}  housekeeping "
        f"{counters.housekeeping}  events {counters.events}  errors "
        f"{sum(counters.tm_errors.values())}  missing {counters.tm_missing}"
    )
    table = Table(title="rover_mcu housekeeping", caption=caption, show_lines=False)
    table.add_column("point")
    table.add_column("value", justify="right")
    table.add_column("limits")
    if hk is None:
        table.add_row("(waiting for housekeeping)", "", "")
    else:
        for point in hk.definition.points.fields:
            state = hk.limit_state(point.name)
            limits = ""
            if point.limits is not None:
                lim = point.limits
                limits = (
                    f"{lim.red_low:g} / {lim.yellow_low:g} .. {lim.yellow_high:g} / "
                    f"{lim.red_high:g}"
                )
            table.add_row(point.name, hk.text(point.name), limits, style=_STYLE[state])
    for event in events:
        style = (
            "bold red"
            if event.severity in ("ERROR", "FATAL")
            else ("yellow" if event.severity == "WARNING" else "cyan")
        )
        table.add_row(f"event @{event.uptime_ms} ms", event.text(), event.severity, style=style)
    return table
