"""`posesim-cam class`: the instructor's commands for a class over Redis (docs/class.md).

Parses and prints only; the work is ``commands.classroom``'s, imported inside each command so
`--help` loads no network code. Imports ``commands.classroom``, ``console`` and (pure)
``classroom.address``.
"""

from __future__ import annotations

import csv
import io
import json
import sys

import click

from posesim_cam.classroom.address import DEFAULT_BOARD_PORT  # pure: --help stays light


@click.group("class")
def class_group() -> None:
    """A class of students at home on one live board (over Redis).

    URL is redis://HOST:PORT/CLASS or rediss://:PASSWORD@HOST:PORT/CLASS; with $POSESIM_CLASS
    set, it may be left out (and its password stays out of the process list).
    """


@class_group.command()
@click.argument("url", envvar="POSESIM_CLASS")
@click.option("--port", default=DEFAULT_BOARD_PORT, show_default=True,
              type=click.IntRange(0, 65535),
              help="Port of the board on 127.0.0.1 (0: a free one).")  # fmt: skip
def board(url: str, port: int) -> None:
    """Serve the live board of the class at URL: /board (a page for Zoom or OBS) and
    /board.json, on loopback; Ctrl-C ends it."""
    from posesim_cam.commands.classroom import serve_board

    serve_board(url, port, sys.stderr)


@class_group.command()
@click.argument("url", envvar="POSESIM_CLASS")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV: target, rank, player, score...")
def results(url: str, as_json: bool, as_csv: bool) -> None:
    """Print the final ranking of the class at URL, per target."""
    from posesim_cam.commands.classroom import results as class_results
    from posesim_cam.errors import UserError

    if as_json and as_csv:
        raise UserError("--json and --csv are two formats", "choose one")
    address, rankings = class_results(url)
    if as_json:
        click.echo(json.dumps({"class": address.name, "targets": [r.to_dict() for r in rankings]}))
        return
    if as_csv:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["target", "target_sha", "rank", "player", "score", "grade", "attempts",
                         "time"])  # fmt: skip
        for ranking in rankings:
            for row in ranking.rows:
                writer.writerow([_cell(ranking.target), ranking.target_sha, row.rank,
                                 _cell(row.player), row.score, _cell(row.grade or ""),
                                 row.attempts, _cell(row.time or "")])  # fmt: skip
        click.echo(buffer.getvalue(), nl=False)
        return
    if not rankings:
        click.echo(f"Class '{address.name}' has no final scores yet.")
    for ranking in rankings:
        click.echo(f"{ranking.target} ({ranking.target_sha[:12]})")
        for row in ranking.rows:
            click.echo(f"  {row.rank:>3}. {row.player:<24} {row.score:6.1f}  {row.grade or ''}")


def _cell(text: str) -> str:
    """Text a spreadsheet shows as text (a target name from the network could be a formula)."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@class_group.command()
@click.argument("url", envvar="POSESIM_CLASS")
@click.option("--yes", is_flag=True, help="Do not ask.")
def clear(url: str, yes: bool) -> None:
    """Delete everything the class at URL keeps (live states, names, final records)."""
    from posesim_cam.classroom.address import parse_class_url
    from posesim_cam.commands.classroom import clear_class

    if not yes:
        name = parse_class_url(url, "The class URL").name  # never the password
        click.confirm(f"Delete every score of class '{name}'?", abort=True)
    click.echo(f"Deleted {clear_class(url)} keys.")
