"""``ilrs-auto validate`` and ``ilrs-auto sequence``: check a mission sequence before uplink and
dry-run it in simulation.

``validate SEQUENCE`` prints a summary and exits 0 when the sequence is valid (warnings go to
stderr); otherwise it lists every problem on stderr, one ``FILE:LINE: path: problem`` per line,
then one ``ilrs-auto: error:`` line, and exits 2. ``sequence run --dry-run SEQUENCE`` validates,
runs the sequence in simulation, prints a table of its steps and writes a JSON log; with
``--port``/``--tcp`` instead it runs on the robot through its MCU link. It exits 0 when the
sequence completed, 1 when it ended early (safe mode or an abort), 2 on bad input.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from ilrs_auto.errors import InputError

if TYPE_CHECKING:
    from rich.table import Table

    from ilrs_auto.mission.sequence import SequenceFile
    from ilrs_auto.mission.sequence_executor import RunLog
    from ilrs_auto.mission.sequence_validator import Report

EXIT_BAD_INPUT = 2
EXIT_ENDED_EARLY = 1


def _fail(message: str) -> NoReturn:
    click.echo(f"ilrs-auto: error: {message}", err=True)
    sys.exit(EXIT_BAD_INPUT)


def _checked(path: Path) -> Report:
    """The report of a valid sequence; exits 2 listing every problem otherwise."""
    from ilrs_auto.mission.sequence_validator import validate_file

    report = validate_file(path)
    for problem in report.problems:
        click.echo(str(problem), err=True)
    if not report.valid:
        errors, warnings = len(report.errors), len(report.warnings)
        counts = f"{errors} error{'s' * (errors != 1)}"
        if warnings:
            counts += f", {warnings} warning{'s' * (warnings != 1)}"
        _fail(f"{path}: not a valid sequence ({counts})")
    return report


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("sequence", type=click.Path(dir_okay=False, path_type=Path))
def validate(sequence: Path) -> None:
    """Check a mission sequence (YAML or TOML) and report every problem with FILE:LINE."""
    report = _checked(sequence)
    summary = report.summary
    parsed = report.sequence
    if parsed is None or summary is None:  # valid reports have both
        _fail(f"{sequence}: could not be analysed")
    windows = len(parsed.contact_windows)
    click.echo(f"{sequence}: valid sequence {parsed.name!r}")
    click.echo(
        f"  {summary.steps} steps, {summary.contingencies} contingencies, "
        f"{summary.targets} targets, {windows} contact window{'s' * (windows != 1)}"
    )
    click.echo(
        f"  ends between {summary.best_end_s:.0f} s and {summary.worst_end_s:.0f} s of mission "
        "time (best and worst case)"
    )
    click.echo(
        f"  worst-case energy {summary.worst_energy_wh:.0f} Wh of {summary.usable_wh:.0f} Wh "
        f"usable; state of charge stays above {summary.lowest_soc_pct:.0f} % "
        f"(reserve {parsed.power.reserve_soc_pct:g} %)"
    )


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def sequence() -> None:
    """Mission sequences: validate them, dry-run them in simulation."""


sequence.add_command(validate)


@sequence.command()
@click.argument(
    "sequence_path", metavar="SEQUENCE", type=click.Path(dir_okay=False, path_type=Path)
)
@click.option("--dry-run", is_flag=True, help="Run in simulation.")
@click.option("--port", metavar="DEVICE", help="On hardware: the robot MCU's serial port.")
@click.option("--baud", type=click.IntRange(min=1), default=115200, show_default=True)
@click.option("--tcp", metavar="HOST:PORT", help="On hardware: the robot MCU's TCP endpoint.")
@click.option(
    "--keys",
    "key_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="On hardware: the key file to sign commands with [default: $ILRS_BRIDGE_KEYS].",
)
@click.option("--key-id", type=click.IntRange(1, 255), default=None, help="Key to sign with.")
@click.option(
    "--log",
    "log_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="JSON log of the run [default: ilrs-dryrun-<name>.json, or ilrs-run-<name>.json].",
)
@click.option("--quiet", is_flag=True, help="No step table.")
def run(
    sequence_path: Path,
    dry_run: bool,
    port: str | None,
    baud: int,
    tcp: str | None,
    key_file: Path | None,
    key_id: int | None,
    log_path: Path | None,
    quiet: bool,
) -> None:
    """Run a valid sequence: with --dry-run in simulation; with --port or --tcp on the robot
    named by the sequence, through its microcontroller link (MCU commands, waits, ifs, repeats
    and safe_mode, in real time; steps that need the autonomy stack on board are refused
    before anything is sent). Prints each step's outcome and writes a JSON log."""
    on_robot = port is not None or tcp is not None
    if dry_run == on_robot:
        _fail(
            "sequence run: give --dry-run (simulation) or --port/--tcp (the robot), not "
            + ("both" if dry_run else "neither")
        )
    report = _checked(sequence_path)
    parsed = report.sequence
    if parsed is None:
        _fail(f"{sequence_path}: could not be read")
    from ilrs_auto.mission.sequence_executor import write_log

    target = log_path or Path(f"ilrs-{'dryrun' if dry_run else 'run'}-{parsed.name}.json")
    try:
        if dry_run:
            from ilrs_auto.sim.sequence_robot import dry_run as simulate

            log = simulate(parsed)
        else:
            log = _run_on_robot(parsed, port, baud, tcp, key_file, key_id)
    except InputError as error:
        _fail(str(error))
    try:
        write_log(log, target)
    except OSError as error:
        _fail(f"{target}: cannot write the log: {error.strerror}")
    if not quiet:
        from rich.console import Console

        # A wide table when piped or captured (rich would use 80 columns).
        Console(width=None if sys.stdout.isatty() else 160).print(_table(log))
    click.echo(
        f"{parsed.name}: {log.result}"
        + (f" ({log.reason})" if log.reason else "")
        + f" at t = {log.end_s:.0f} s, {log.odometer_m:.1f} m driven, "
        f"state of charge {log.battery_soc_pct:.0f} %"
    )
    click.echo(str(target))
    if log.result != "completed":
        sys.exit(EXIT_ENDED_EARLY)


def _run_on_robot(
    parsed: SequenceFile,
    port: str | None,
    baud: int,
    tcp: str | None,
    key_file: Path | None,
    key_id: int | None,
) -> RunLog:
    """Runs the sequence through the MCU link of the robot it names, in real time."""
    import os

    from firmware_bridge.dictionary import default_dictionary
    from ilrs_auto.bridge_cli import KEYS_ENV, load_keys, open_port
    from ilrs_auto.mission.clock import PacedClock
    from ilrs_auto.mission.linked_robot import LinkedRobot, unsupported_steps
    from ilrs_auto.mission.sequence_executor import SequenceExecutor

    refused = unsupported_steps(parsed)
    if refused:
        for line in refused:
            click.echo(line, err=True)
        raise InputError(
            f"{parsed.source}: {len(refused)} step(s) cannot run over an MCU link; "
            "dry-run it instead, or run it on a robot with the autonomy stack"
        )
    dictionary = default_dictionary()
    if parsed.robot is None:
        raise InputError(f"{parsed.source}: robot: name the robot to run on (sequence key robot)")
    try:
        robot_id = dictionary.robot(parsed.robot).robot_id
    except KeyError as error:
        raise InputError(f"{parsed.source}: robot: {error.args[0]}") from None
    env_keys = os.environ.get(KEYS_ENV)
    keys, key_id = load_keys(dictionary, key_file or (Path(env_keys) if env_keys else None), key_id)
    from firmware_bridge.link import CommandLink

    link = CommandLink(
        open_port(port, baud, tcp), dictionary, keys, key_id=key_id, robot_id=robot_id
    )
    try:
        robot = LinkedRobot(link, parsed.start_xy_m or (0.0, 0.0))
        robot.refresh()
        return SequenceExecutor(parsed, robot, PacedClock()).run()
    finally:
        link.close()


_OUTCOME_STYLE = {
    "done": "green",
    "failed": "bold red",
    "timed out": "red",
    "not simulated": "yellow",
}


def _table(log: RunLog) -> Table:
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=f"dry run of {escape(log.sequence)}", title_justify="left")
    for name in ("line", "step", "command", "start s", "end s", "outcome", "SoC %", "detail"):
        numeric = name in ("line", "start s", "end s", "SoC %")
        table.add_column(
            name,
            justify="right" if numeric else "left",
            no_wrap=name not in ("command", "detail"),
            ratio=1 if name == "detail" else None,
        )
    for record in log.steps:
        depth = record.path.count(".") + (1 if record.contingency and "." not in record.path else 0)
        loop = f" #{'.'.join(map(str, record.iteration))}" if record.iteration else ""
        style = _OUTCOME_STYLE.get(record.outcome.value, "")
        outcome = f"[{style}]{record.outcome.value}[/]" if style else record.outcome.value
        if record.event:
            outcome += f" [dim]({record.event})[/]"
        table.add_row(
            str(record.line),
            escape("  " * depth + record.path.rsplit(".", 1)[-1] + loop),
            escape(record.command),
            f"{record.start_s:.1f}",
            f"{record.end_s:.1f}",
            outcome,
            f"{record.battery_soc_pct:.1f}",
            escape(record.detail),
        )
    return table


__all__ = ["sequence", "validate"]
