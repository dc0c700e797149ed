"""``ilrs-auto campaign``: fly a scenario many times (seeds and chosen parameters varied) on
local worker processes or a Dask scheduler, and write the results table and a summary plot."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import click

from ilrs_auto.errors import InputError

EXIT_BAD_INPUT = 2
_ADDRESS = re.compile(r"^(tcp|tls)://[^\s/:]+:\d{1,5}$")


@click.command()
@click.argument("scenario_file", metavar="SCENARIO", type=click.Path(path_type=Path))
@click.option("--runs", type=click.IntRange(1, 1_000_000), required=True, help="Number of runs.")
@click.option(
    "--workers",
    type=click.IntRange(1, 1024),
    default=None,
    help="Local worker processes [default: one per CPU].",
)
@click.option(
    "--scheduler",
    default=None,
    help="Run on a Dask distributed scheduler at this address (tcp://HOST:PORT).",
)
@click.option(
    "--vary",
    "varied",
    multiple=True,
    metavar="SECTION.KEY=LO:HI",
    help="Draw this scenario number uniformly from [LO, HI] for each run (repeatable).",
)
@click.option(
    "--seed",
    "base_seed",
    type=click.IntRange(0, 2**62),
    default=None,
    help="Seed of run 0; run i uses seed + i [default: the scenario's seed].",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("campaign"),
    show_default=True,
    help="Folder for campaign.json, runs.csv and summary.png.",
)
def campaign(
    scenario_file: Path,
    runs: int,
    workers: int | None,
    scheduler: str | None,
    varied: tuple[str, ...],
    base_seed: int | None,
    out: Path,
) -> None:
    """Fly SCENARIO --runs times, varying the seed (and --vary parameters), in parallel."""
    try:
        _campaign(scenario_file, runs, workers, scheduler, varied, base_seed, out)
    except InputError as error:
        click.echo(f"ilrs-auto: error: {error}", err=True)
        sys.exit(EXIT_BAD_INPUT)


def _campaign(
    scenario_file: Path,
    runs: int,
    workers: int | None,
    scheduler: str | None,
    varied_text: tuple[str, ...],
    base_seed: int | None,
    out: Path,
) -> None:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from ilrs_auto.sim.campaign import (
        Campaign,
        DaskExecutor,
        Executor,
        LocalExecutor,
        RunRow,
        check_campaign_target,
        parse_varied,
        run_campaign,
        summary,
        write_campaign,
    )
    from ilrs_auto.sim.scenario import load_scenario

    if scheduler is not None and workers is not None:
        raise InputError("--workers and --scheduler: give one (a scheduler has its own workers)")
    if scheduler is not None and not _ADDRESS.match(scheduler):
        raise InputError(f"--scheduler: expected tcp://HOST:PORT, got {scheduler!r}")
    varied = tuple(parse_varied(text) for text in varied_text)
    names = [p.name for p in varied]
    if len(set(names)) != len(names):
        raise InputError("--vary: a parameter is given twice")
    scenario = load_scenario(scenario_file)
    check_campaign_target(out)
    plan = Campaign(scenario, runs, scenario.seed if base_seed is None else base_seed, varied)
    scenario.dem_path()  # a missing DEM is bad input, not 'runs' errors
    executor: Executor
    if scheduler is not None:
        executor = DaskExecutor(scheduler)
    else:
        executor = LocalExecutor() if workers is None else LocalExecutor(workers)

    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        "{task.fields[arrived]} arrived, {task.fields[errors]} errors",
        TimeRemainingColumn(),
        transient=True,
    ) as progress:
        task = progress.add_task(f"{scenario.name}", total=runs, arrived=0, errors=0)
        counts = {"arrived": 0, "errors": 0}

        def on_row(row: RunRow) -> None:
            counts["arrived"] += row.arrived
            counts["errors"] += row.final_state == "error"
            progress.update(task, advance=1, arrived=counts["arrived"], errors=counts["errors"])

        result = run_campaign(plan, executor, on_row)
    target = write_campaign(result, out)
    stats = summary(result)
    click.echo(
        f"{stats['runs']} runs, {stats['arrived']} arrived ({100 * stats['success_rate']:.0f}%), "
        f"{stats['errors']} errors, {result.wall_s:.1f} s ({result.runs_per_minute:.1f} runs/min "
        f"on {result.executor}) -> {target}"
    )
