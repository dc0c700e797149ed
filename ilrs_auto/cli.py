"""The ``ilrs-auto`` command line.

Bad input (a missing or corrupt file, a scenario key that does not exist, a goal on a hazard)
ends with one line on stderr naming the file and the field, exit status 2, no traceback, and
no report written.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ilrs_auto import __version__
from ilrs_auto.assets import default_scenario_path
from ilrs_auto.errors import InputError

if TYPE_CHECKING:
    from ilrs_auto.sim.scenario import Scenario

EXIT_BAD_INPUT = 2
EXIT_MISSION_FAILED = 1  # the mission ended short of its goal (the report is still written)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="ilrs-auto")
def main() -> None:
    """Autonomy for the robots of the International Lunar Research Station."""


@main.command()
@click.argument("scenario", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Report folder [default: ilrs-report-<scenario name>].",
)
@click.option(
    "--seed", type=click.IntRange(0, 2**63 - 1), default=None, help="Override the scenario's seed."
)
@click.option(
    "--dry-run",
    is_flag=True,
    help="SCENARIO is a mission sequence: validate it and run it in simulation.",
)
@click.option("--quiet", is_flag=True, help="No progress bar or summary table.")
@click.pass_context
def run(
    ctx: click.Context,
    scenario: Path | None,
    out_dir: Path | None,
    seed: int | None,
    dry_run: bool,
    quiet: bool,
) -> None:
    """Fly a mission in simulation and write a report.

    With no SCENARIO, flies the default mission: a rover drives from its lander to a science
    target on a crater rim near Shoemaker (real LOLA terrain, lunar south pole), replanning
    around the rocks its depth camera finds. A scenario's ``kind`` (traverse, sampling,
    lava_tube) chooses the mission. Given a mission sequence with --dry-run, validates it and
    runs it in simulation (as ``ilrs-auto sequence run --dry-run``).
    """
    from ilrs_auto.mission_kinds import kind_of, runner_for

    console = Console(stderr=True, quiet=quiet)
    try:
        path = scenario or default_scenario_path()
        kind = kind_of(path)
        if kind == "sequence" or dry_run:
            if kind != "sequence":
                raise InputError(f"{path}: --dry-run runs mission sequences; this is a scenario")
            if not dry_run:
                raise InputError(
                    f"{path}: is a mission sequence: run it with --dry-run (in simulation); "
                    "running on a robot goes through the supervisor"
                )
            from ilrs_auto.sequence_cli import run as run_sequence

            log_path = None
            if out_dir is not None:
                out_dir.mkdir(parents=True, exist_ok=True)
                log_path = out_dir / "dryrun.json"
            ctx.invoke(
                run_sequence, sequence_path=path, dry_run=True, log_path=log_path, quiet=quiet
            )
            return
        status = runner_for(kind)(path, out_dir, seed, console)
    except InputError as error:
        click.echo(f"ilrs-auto: error: {error}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    except OSError as error:  # writing the report failed (disk full, permissions)
        click.echo(f"ilrs-auto: error: {error.filename or ''}: {error.strerror}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    if status:
        sys.exit(status)


def run_traverse_scenario(
    scenario_path: Path, out_dir: Path | None, seed: int | None, console: Console
) -> int:
    """Loads, flies and reports (the MCAP mission log goes into the report as
    ``mission.mcap``); exits 1 if the mission did not arrive."""
    # Imported here so that `ilrs-auto --help` stays quick.
    import dataclasses
    import uuid

    from ilrs_auto.report import LOG_NAME, check_report_target
    from ilrs_auto.sim.scenario import load_scenario

    scenario = load_scenario(scenario_path)
    if seed is not None:
        scenario = dataclasses.replace(scenario, seed=seed)
    target = out_dir or Path(f"ilrs-report-{scenario.name}")
    check_report_target(target)  # before the mission flies, not after
    # The log is written beside the report folder while the mission flies and copied into the
    # report with the rest of it (all or nothing); this file is removed either way.
    log_path = target.parent / f".{target.name}.{uuid.uuid4().hex[:12]}.{LOG_NAME}"
    try:
        return _fly_and_report(scenario, target, log_path, console)
    finally:
        for leftover in (log_path, log_path.with_name(log_path.name + ".part")):
            leftover.unlink(missing_ok=True)


def _fly_and_report(scenario: Scenario, target: Path, log_path: Path, console: Console) -> int:
    from ilrs_auto.report import LOG_NAME, write_report
    from ilrs_auto.sim.runner import Progress as MissionProgress
    from ilrs_auto.sim.runner import run_mission
    from ilrs_auto.sim.world import build_world

    started = time.perf_counter()
    with console.status(f"building the world of {scenario.name}"):
        world = build_world(scenario)
    progress = Progress(
        TextColumn("[bold]{task.fields[state]:<20}"),
        BarColumn(),
        TextColumn("{task.fields[remaining]:>7.1f} m to go"),
        TextColumn("t={task.fields[mission_s]:>6.0f} s"),
        TextColumn("replans {task.fields[replans]}"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )
    with progress:
        task = progress.add_task(
            "mission", total=1.0, state="idle", remaining=0.0, mission_s=0.0, replans=0
        )

        def on_tick(p: MissionProgress) -> None:
            done = 1.0 - p.remaining_m / max(p.straight_line_m, 1e-6)
            progress.update(
                task,
                completed=min(max(done, 0.0), 1.0),
                state=p.state,
                remaining=p.remaining_m,
                mission_s=p.time_s,
                replans=p.replans,
            )

        record = run_mission(scenario, world, on_tick, log_path=log_path)
        if record.arrived:
            progress.update(task, completed=1.0)
    wall_s = time.perf_counter() - started
    report = write_report(record, target)

    table = Table(title=f"{scenario.name} (seed {scenario.seed})", show_header=False)
    table.add_row("final state", record.final_state.upper())
    table.add_row(
        "mission time",
        f"{record.mission_time_s:.1f} s "
        f"({record.mission_time_s / max(wall_s, 1e-9):.0f}x real time)",
    )
    table.add_row("distance driven", f"{record.distance_m:.1f} m")
    table.add_row(
        "replans",
        f"{len(record.replan_causes)} "
        f"({sum(c.cause == 'rock' for c in record.replan_causes)} for rocks seen "
        "by the depth camera)",
    )
    if record.fault is not None:
        table.add_row("fault", f"{record.fault.event} at {record.fault.time_s:.1f} s")
    table.add_row("mission log", str(report / LOG_NAME))
    table.add_row("report", str(report))
    console.print(table)
    click.echo(str(report))
    return 0 if record.arrived else EXIT_MISSION_FAILED


from ilrs_auto.bridge_cli import bridge  # noqa: E402  (registered after main exists)

main.add_command(bridge)

from ilrs_auto.traverse_cli import traverse  # noqa: E402

main.add_command(traverse)


def entry(argv: list[str] | None = None) -> None:
    """The ``ilrs-auto`` script: click's own errors (a bad option value, a missing file
    argument) become one line and exit status 2, like every other bad input."""
    try:
        status = main.main(args=argv, prog_name="ilrs-auto", standalone_mode=False)
    except click.UsageError as error:
        message = " ".join(error.format_message().split())
        command = error.ctx.command_path if error.ctx is not None else "ilrs-auto"
        click.echo(f"ilrs-auto: error: {command}: {message}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    except click.ClickException as error:
        click.echo(f"ilrs-auto: error: {' '.join(error.format_message().split())}", err=True)
        sys.exit(error.exit_code)
    except click.Abort:
        click.echo("ilrs-auto: interrupted", err=True)
        sys.exit(130)
    sys.exit(status if isinstance(status, int) else 0)


from ilrs_auto.light_cli import light  # noqa: E402

main.add_command(light)

from ilrs_auto.sequence_cli import sequence, validate  # noqa: E402

main.add_command(validate)
main.add_command(sequence)

from ilrs_auto.campaign_cli import campaign  # noqa: E402

main.add_command(campaign)

from ilrs_auto.replay_cli import replay  # noqa: E402

main.add_command(replay)

from ilrs_auto.diagram_cli import diagram  # noqa: E402

main.add_command(diagram)

if __name__ == "__main__":
    entry()
