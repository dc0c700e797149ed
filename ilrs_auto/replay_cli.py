"""``ilrs-auto replay LOG.mcap``: run a recorded mission log back through the supervisor and
say whether it reproduces the same transitions at the same mission times and the same commands.

Exit 0 on a match, 1 on a divergence (the first differing transition, command or supervisor
event is printed with both sides), 2 on a file that is not a replayable mission log.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

EXIT_DIVERGED = 1
EXIT_BAD_INPUT = 2


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("log", type=click.Path(dir_okay=False, path_type=Path))
def replay(log: Path) -> None:
    """Replay LOG (an MCAP mission log) and compare it with what was recorded."""
    from ilrs_auto.errors import InputError
    from ilrs_auto.mission.recorder import read_log
    from ilrs_auto.mission.replay import replay as run_replay

    try:
        result = run_replay(read_log(log))
    except InputError as error:
        click.echo(f"ilrs-auto: error: {' '.join(str(error).split())}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    counts = (
        f"{result.transitions} transitions, {result.commands} commands, "
        f"{result.events} supervisor events"
    )
    if result.matched:
        click.echo(f"{log}: match ({counts})")
        return
    click.echo(f"{log}: DIVERGED: {result.divergence}")
    sys.exit(EXIT_DIVERGED)
