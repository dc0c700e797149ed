"""``ilrs-auto diagram BEHAVIOUR``: draw a behaviour's state machine from its tables, as mermaid
(default; GitHub renders it in markdown) or graphviz dot text, to stdout or ``--out FILE``.
An unknown behaviour exits 2 listing the known ones."""

from __future__ import annotations

import sys
from pathlib import Path

import click

EXIT_BAD_INPUT = 2


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("behaviour")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["mermaid", "dot"]),
    default="mermaid",
    show_default=True,
    help="mermaid stateDiagram-v2 or graphviz dot.",
)
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Write to FILE."
)
def diagram(behaviour: str, fmt: str, out: Path | None) -> None:
    """Draw BEHAVIOUR's state machine (e.g. rover_traverse, safe_mode)."""
    from ilrs_auto.mission import diagram as draw
    from ilrs_auto.mission.registry import behaviour_class

    try:
        cls = behaviour_class(behaviour)
    except KeyError as error:
        click.echo(f"ilrs-auto: error: {error.args[0]}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    text = draw.mermaid(cls) if fmt == "mermaid" else draw.dot(cls)
    if out is None:
        click.echo(text, nl=False)
        return
    try:
        out.write_text(text)
    except OSError as error:
        click.echo(f"ilrs-auto: error: {out}: cannot write ({error.strerror or error})", err=True)
        sys.exit(EXIT_BAD_INPUT)
