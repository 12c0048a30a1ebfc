"""The practice commands of the command line: ``log``, ``stats`` (and programs, ``today``
and ``remind``). Part of the cli front door: thin wrappers that turn options into calls of
coach.history, coach.program and coach.remind and print what comes back."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from coach.cli import _plural, _settings, app
from coach.errors import InputError
from coach.terminal import is_terminal

if TYPE_CHECKING:
    from coach.history.store import Entry, Store


def _history(create: bool = False) -> Store | None:
    """The user's history (None when there is none and ``create`` is False). A damaged or
    foreign file: on a terminal coach offers to start a new one beside it, keeping it;
    otherwise the one-line error (status 2)."""
    from coach.history.store import DamagedHistory, default_path, open_store, start_new

    try:
        return open_store(create=create)
    except DamagedHistory as exc:
        if not (is_terminal(sys.stdin) and is_terminal(sys.stderr)):
            raise
        typer.echo(f"coach: {exc}", err=True)
        if not typer.confirm("Start a new, empty history, keeping this file beside it?",
                             default=False, err=True):
            raise typer.Exit(2) from None
        kept = start_new(default_path())
        typer.echo(f"Kept the old file as {kept}", err=True)
        return open_store(create=create)


def _day(option: str, text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(f"{option} {text}: must be a date as YYYY-MM-DD") from None


def _minutes(seconds: float) -> str:
    from coach.clock import minutes_seconds

    return minutes_seconds(seconds)


def _one_of(**given: Any) -> None:
    chosen = [name for name, value in given.items() if value not in (None, False)]
    if len(chosen) > 1:
        raise InputError(f"{' and '.join(chosen)}: give one of them")


@app.command("log")
def log_command(
    since: Annotated[str | None, typer.Option("--since", help="Only sessions from this day "
                                                 "on (YYYY-MM-DD, the day where they were played).")] = None,
    routine: Annotated[str | None, typer.Option("--routine", help="Only sessions of this routine.")] = None,
    number: Annotated[int | None, typer.Option("-n", "--number", help="At most this many "
                                                  "sessions (the newest).", min=1)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the sessions as JSON.")] = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="Print the sessions as CSV.")] = False,
    import_file: Annotated[Path | None, typer.Option("--import", help="Add the sessions of "
                                                        "a --json or --csv export, skipping "
                                                        "those already here.")] = None,
    delete: Annotated[int | None, typer.Option("--delete", help="Delete the session with "
                                                  "this ID.")] = None,
    delete_all: Annotated[bool, typer.Option("--delete-all", help="Delete every session "
                                             "(asks first on a terminal; elsewhere needs --yes).")] = False,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask before --delete-all.")] = False,
    start_new: Annotated[bool, typer.Option("--start-new", help="Move the history file aside "
                                            "(kept, with a date in its name) and start a new one.")] = False,
) -> None:
    """List your practice sessions, newest first; export, import or delete them."""
    from coach.history import exchange
    from coach.history.store import default_path

    _one_of(**{"--json": as_json, "--csv": as_csv, "--import": import_file, "--delete": delete,
               "--delete-all": delete_all, "--start-new": start_new})
    path = default_path()
    if start_new:
        from coach.history.store import start_new as move_aside

        if not path.exists():
            typer.echo(f"No history at {path}: nothing to move.")
            return
        typer.echo(f"Kept the old history as {move_aside(path)}; a new one starts at {path}.")
        return
    if import_file is not None:
        from coach.tomlfile import read_text

        entries = exchange.parse(read_text(import_file, "history export", limit=exchange.MAX_FILE_BYTES),
                                 str(import_file))
        store = _history(create=True)
        assert store is not None
        with store:
            added, skipped = store.add_all(entries)
        typer.echo(f"Imported {_plural(added, 'session')} into {path}"
                   + (f" ({_plural(skipped, 'session')} already there)" if skipped else ""))
        return
    if delete is not None or delete_all:
        _delete(path, delete, delete_all, yes)
        return
    store = _history()
    entries = []
    if store is not None:
        with store:
            entries = store.entries(since=_day("--since", since) if since else None,
                                    routine=routine, limit=number)
    if as_json:
        typer.echo(exchange.to_json(entries), nl=False)
    elif as_csv:
        typer.echo(exchange.to_csv(entries), nl=False)
    elif not entries:
        typer.echo("No sessions yet." if store is None or not (since or routine)
                   else "No sessions match.")
    else:
        for line in _table(entries):
            typer.echo(line)


def _table(entries: list[Entry]) -> list[str]:
    width = max(5, *(len(e.routine) for e in entries))
    idw = max(2, *(len(str(e.id)) for e in entries))
    lines = [f"{'ID':>{idw}}  {'STARTED':22} {'ROUTINE':{width}} {'PLAYED':>6} {'STEPS':>5}  ENDED"]
    for e in entries:
        started = e.started.strftime("%a %Y-%m-%d %H:%M")
        outcome = "unfinished" if e.outcome.value == "playing" else e.outcome.value
        lines.append(f"{e.id:>{idw}}  {started:22} {e.routine:{width}} {_minutes(e.seconds):>6} "
                     f"{f'{e.steps_done}/{e.steps_total}':>5}  {outcome}")
    return lines


def _delete(path: Path, delete: int | None, delete_all: bool, yes: bool) -> None:
    store = _history()
    if store is None:
        if delete is not None:
            raise InputError(f"--delete {delete}: no such session (no history yet)")
        typer.echo("No history: nothing to delete.")
        return
    with store:
        if delete is not None:
            if not store.delete(delete):
                raise InputError(f"--delete {delete}: no such session ('coach log' lists them "
                                 "with their IDs)")
            typer.echo(f"Deleted session {delete}.")
            return
        count = len(store.entries())
        if not yes:
            if not is_terminal(sys.stdin):
                raise InputError("--delete-all: no terminal to ask on; add --yes to delete "
                                 "every session")
            if not typer.confirm(f"Delete all {_plural(count, 'session')} from {path}?",
                                 default=False, err=True):
                typer.echo("Nothing deleted.", err=True)
                raise typer.Exit(0)
        typer.echo(f"Deleted {_plural(store.delete_all(), 'session')}.")


# ---- stats ----------------------------------------------------------------------------

@app.command()
def stats(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print every figure as JSON.")] = False,
    weeks: Annotated[int, typer.Option("--weeks", help="Weeks in the calendar.", min=1,
                                       max=520)] = 12,
) -> None:
    """Sessions and minutes this week, this month and in all; per routine; streaks; a calendar."""
    import json

    from coach.history import days
    from coach.history import stats as figures

    settings = _settings(ctx, {})
    store = _history()
    entries = []
    if store is not None:
        with store:
            entries = store.entries()
    starts = settings["day-starts"].value
    result = figures.compute(entries, days.today(days.day_starts(starts)), starts,
                             streaks=settings["streaks"].value)
    if as_json:
        typer.echo(json.dumps(figures.as_json(result, weeks), indent=1, ensure_ascii=False))
        return
    _print_stats(result, weeks)


def _print_stats(result: Any, weeks: int) -> None:
    from rich.console import Console
    from rich.table import Table

    from coach.history import stats as figures

    console = Console(highlight=False)
    table = Table(box=None, show_header=True, header_style="bold", pad_edge=False)
    for column in ("", "SESSIONS", "MINUTES"):
        table.add_column(column, justify="left" if not column else "right")
    for label, totals in (("This week", result.week), ("This month", result.month),
                          ("In all", result.all)):
        table.add_row(label, str(totals.sessions), f"{totals.minutes:.0f}")
    console.print(table)
    if result.routines:
        console.print()
        per = Table(box=None, show_header=True, header_style="bold", pad_edge=False)
        for column in ("ROUTINE", "SESSIONS", "MINUTES", "LAST"):
            per.add_column(column, justify="right" if column in ("SESSIONS", "MINUTES") else "left")
        for r in result.routines:
            per.add_row(r.routine, str(r.totals.sessions), f"{r.totals.minutes:.0f}",
                        r.last.isoformat())
        console.print(per)
    if result.streaks is not None:
        console.print()
        console.print(f"Current streak: {_streak(result.streaks.current)}")
        console.print(f"Best streak:    {_streak(result.streaks.best)}")
    console.print()
    for line in _heat_map(figures.calendar(result, weeks), result.streaks is not None):
        console.print(line)


def _streak(streak: Any) -> str:
    if streak is None:
        return "none yet"
    grace = len(streak.grace) + (1 if streak.pending else 0)
    note = f" (with {_plural(grace, 'grace day')})" if grace else ""
    return f"{_plural(streak.days, 'day')}, since {streak.first.isoformat()}{note}"


#: Minutes at or above which a day gets each colour of the heat map.
HEAT = ((30, "green4"), (15, "green3"), (5, "chartreuse3"), (0.01, "dark_olive_green3"))


def _heat_map(calendar: list[list[Any]], streaks: bool) -> list[Any]:
    """The calendar as rich Text lines: a row per weekday, a column per week."""
    from rich.text import Text

    lines = []
    head = [" "] * (2 * len(calendar) + 3)
    for n, week in enumerate(calendar):  # a month's name over the week its first day is in
        first = next((d.day for d in week if d.day.day == 1), None)
        if first is not None and head[2 * n - 1 if n else 0] == " ":
            head[2 * n:2 * n + 3] = first.strftime("%b")
    lines.append(Text("     " + "".join(head).rstrip()))
    for weekday in range(7):
        row = Text(f"{calendar[0][weekday].day.strftime('%a'):4} ")
        for week in calendar:
            day = week[weekday]
            if day.future:
                row.append("  ")
            elif day.grace and streaks:
                row.append("◌ ", style="yellow")
            elif day.totals.sessions:
                minutes = day.totals.minutes
                style = next(s for low, s in HEAT if minutes >= low) if minutes >= 0.01 else "grey50"
                row.append("■ " if day.practised else "□ ", style=style)
            else:
                row.append("· ", style="grey42")
        lines.append(row)
    legend = Text("     · none  □ short  ")
    for _low, style in reversed(HEAT):
        legend.append("■", style=style)
    legend.append(" more minutes")
    if streaks:
        legend.append("  ◌ grace day", style="yellow")
    lines.append(legend)
    return lines
