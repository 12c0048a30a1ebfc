"""The practice commands of the command line: ``log``, ``stats``, ``programs``,
``program``, ``today`` and ``remind``. Part of the cli front door: thin wrappers that turn options into calls of
coach.history, coach.program and coach.remind and print what comes back.

One module because it is one idea, the practice commands' output: most of its length is
presenting (the log's table, CSV and JSON, the stats page and its heat map), which has no
home in the core.
"""

from __future__ import annotations

import errno
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from coach import cli_session as shared
from coach.config import COMMAND_LINE
from coach.errors import InputError, OutputError
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
        if not typer.confirm(
            "Start a new, empty history, keeping this file beside it?", default=False, err=True
        ):
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


def log_command(
    since: Annotated[
        str | None,
        typer.Option(
            "--since",
            help="Only sessions from this day on (YYYY-MM-DD, the day where they were played).",
        ),
    ] = None,
    routine: Annotated[
        str | None, typer.Option("--routine", help="Only sessions of this routine.")
    ] = None,
    number: Annotated[
        int | None,
        typer.Option("-n", "--number", help="At most this many sessions (the newest).", min=1),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the sessions as JSON.")] = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="Print the sessions as CSV.")] = False,
    import_file: Annotated[
        Path | None,
        typer.Option(
            "--import",
            help="Add the sessions of a --json or --csv export, skipping those already here.",
        ),
    ] = None,
    delete: Annotated[
        int | None, typer.Option("--delete", help="Delete the session with this ID.")
    ] = None,
    delete_all: Annotated[
        bool,
        typer.Option(
            "--delete-all",
            help="Delete every session (asks first on a terminal; elsewhere needs --yes).",
        ),
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask before --delete-all.")] = False,
    start_new: Annotated[
        bool,
        typer.Option(
            "--start-new",
            help="Move the history file aside (kept, with a date in its name) and start a new one.",
        ),
    ] = False,
) -> None:
    """List your practice sessions, newest first; export, import or delete them."""
    from coach.history import exchange
    from coach.history.store import default_path

    _one_of(
        **{
            "--json": as_json,
            "--csv": as_csv,
            "--import": import_file,
            "--delete": delete,
            "--delete-all": delete_all,
            "--start-new": start_new,
        }
    )
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

        entries = exchange.parse(
            read_text(import_file, "history export", limit=exchange.MAX_FILE_BYTES),
            str(import_file),
        )
        store = _history(create=True)
        assert store is not None
        with store:
            added, skipped = store.add_all(entries)
        typer.echo(
            f"Imported {shared.plural(added, 'session')} into {path}"
            + (f" ({shared.plural(skipped, 'session')} already there)" if skipped else "")
        )
        return
    if delete is not None or delete_all:
        _delete(path, delete, delete_all, yes)
        return
    first = _day("--since", since) if since else None  # a bad date is refused, history or not
    store = _history()
    entries = []
    if store is not None:
        with store:
            entries = store.entries(since=first, routine=routine, limit=number)
    if as_json:
        typer.echo(exchange.to_json(entries), nl=False)
    elif as_csv:
        typer.echo(exchange.to_csv(entries), nl=False)
    elif not entries:
        typer.echo(
            "No sessions yet." if store is None or not (since or routine) else "No sessions match."
        )
    else:
        typer.echo("\n".join(_table(entries)))


def _table(entries: list[Entry]) -> list[str]:
    width = max(5, *(len(e.routine) for e in entries))
    idw = max(2, *(len(str(e.id)) for e in entries))
    lines = [f"{'ID':>{idw}}  {'STARTED':22} {'ROUTINE':{width}} {'PLAYED':>6} {'STEPS':>5}  ENDED"]
    for e in entries:
        started = e.started.strftime("%a %Y-%m-%d %H:%M")
        outcome = "unfinished" if e.outcome.value == "playing" else e.outcome.value
        lines.append(
            f"{e.id:>{idw}}  {started:22} {e.routine:{width}} {_minutes(e.seconds):>6} "
            f"{f'{e.steps_done}/{e.steps_total}':>5}  {outcome}"
        )
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
                raise InputError(
                    f"--delete {delete}: no such session ('coach log' lists them with their IDs)"
                )
            typer.echo(f"Deleted session {delete}.")
            return
        count = len(store.entries())
        if not yes:
            if not is_terminal(sys.stdin):
                raise InputError(
                    "--delete-all: no terminal to ask on; add --yes to delete every session"
                )
            if not typer.confirm(
                f"Delete all {shared.plural(count, 'session')} from {path}?",
                default=False,
                err=True,
            ):
                typer.echo("Nothing deleted.", err=True)
                raise typer.Exit(0)
        typer.echo(f"Deleted {shared.plural(store.delete_all(), 'session')}.")


# ---- stats ----------------------------------------------------------------------------


def stats(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print every figure as JSON.")] = False,
    weeks: Annotated[
        int, typer.Option("--weeks", help="Weeks in the calendar.", min=1, max=520)
    ] = 12,
) -> None:
    """Sessions and minutes this week, this month and in all; per routine; streaks; a calendar."""
    import json

    from coach.history import days
    from coach.history import stats as figures

    settings = shared.settings_for(ctx, {})
    store = _history()
    entries = []
    if store is not None:
        with store:
            entries = store.entries(options=False)
    starts = settings["day-starts"].value
    result = figures.compute(
        entries, days.today(days.day_starts(starts)), starts, streaks=settings["streaks"].value
    )
    if as_json:
        typer.echo(json.dumps(figures.as_json(result, weeks), indent=1, ensure_ascii=False))
        return
    _print_stats(result, weeks)


def _print_stats(result: Any, weeks: int) -> None:
    from rich.console import Console
    from rich.table import Table

    from coach.history import stats as figures

    class Quiet(Console):
        def on_broken_pipe(self) -> None:
            # rich's own ends the process with status 1; a reader that has gone is handled
            # once, for every command, by cli (a quiet status 0).
            self.quiet = True
            raise BrokenPipeError(errno.EPIPE, "the reader of standard output has gone")

    console = Quiet(highlight=False)
    table = Table(box=None, show_header=True, header_style="bold", pad_edge=False)
    for column in ("", "SESSIONS", "MINUTES"):
        table.add_column(column, justify="left" if not column else "right")
    for label, totals in (
        ("This week", result.week),
        ("This month", result.month),
        ("In all", result.all),
    ):
        table.add_row(label, str(totals.sessions), f"{totals.minutes:.0f}")
    console.print(table)
    if result.routines:
        console.print()
        per = Table(box=None, show_header=True, header_style="bold", pad_edge=False)
        for column in ("ROUTINE", "SESSIONS", "MINUTES", "LAST"):
            per.add_column(column, justify="right" if column in ("SESSIONS", "MINUTES") else "left")
        for r in result.routines:
            per.add_row(
                r.routine, str(r.totals.sessions), f"{r.totals.minutes:.0f}", r.last.isoformat()
            )
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
    note = f" (with {shared.plural(grace, 'grace day')})" if grace else ""
    return f"{shared.plural(streak.days, 'day')}, since {streak.first.isoformat()}{note}"


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
            head[2 * n : 2 * n + 3] = first.strftime("%b")
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
                style = (
                    next(s for low, s in HEAT if minutes >= low) if minutes >= 0.01 else "grey50"
                )
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


# ---- programs -------------------------------------------------------------------------


def _today(settings: dict[str, Any]) -> date:
    from coach.history import days

    return days.today(days.day_starts(settings["day-starts"].value))


def _entries() -> list[Entry]:
    """Every session (without options: programs and reminders need none)."""
    store = _history()
    if store is None:
        return []
    with store:
        return store.entries(options=False)


def _place(settings: dict[str, Any]) -> Any:
    """Where you are in the program you follow; InputError when you follow none."""
    from coach import program as programs
    from coach import schedule

    following = schedule.current()
    if following is None:
        raise InputError(
            "no program started: 'coach programs' lists them, 'coach program start NAME' begins one"
        )
    found = programs.resolve(following.name)
    return schedule.where(
        found, following.started, _today(settings), _entries(), settings["day-starts"].value
    )


def _session_title(session: Any) -> str:
    from coach.catalog import resolve

    if session.title:
        return str(session.title)
    try:
        return resolve(session.routine).title
    except InputError:
        return str(session.routine)


def _describe(session: Any) -> str:
    """``A short anma (anma, 4 minutes)``: a program session and how it is played."""
    if session is None:
        return "rest day"
    opts = ", ".join(
        f"{v:g} minutes" if k == "minutes" else f"{k} {v}" for k, v in session.options.items()
    )
    return f"{_session_title(session)} ({session.routine}{', ' + opts if opts else ''})"


def programs() -> None:
    """List the programs, built-in and your own: name, weeks, sessions, title."""
    from coach import program as found
    from coach import schedule

    following = schedule.current()
    typer.echo(f"  {'NAME':16} {'FROM':9} {'WEEKS':>5} {'SESSIONS':>8}  TITLE")
    bad = 0
    for entry in found.catalog():
        mark = "*" if following and following.name == entry.name else " "
        where = "yours" if entry.user else "built-in"
        if entry.program is None:
            bad += 1
            typer.echo(f"{mark} {entry.name:16} {where:9} {'-':>5} {'-':>8}  (broken: see below)")
            typer.echo(f"coach: {entry.error}", err=True)
            continue
        p = entry.program
        typer.echo(f"{mark} {entry.name:16} {where:9} {p.weeks:5d} {p.sessions:8d}  {p.title}")
    typer.echo(f"Your programs folder: {found.programs_dir()}")
    if following:
        typer.echo("* the program you follow ('coach program' shows where you are)")
    if bad:
        raise typer.Exit(2)


def program(
    ctx: typer.Context,
    action: Annotated[
        str | None,
        typer.Argument(
            help="start NAME: begin a program today "
            "(day one); stop: stop following it; "
            "nothing: show where you are."
        ),
    ] = None,
    name: Annotated[
        str | None, typer.Argument(help="The program to start (see 'coach programs').")
    ] = None,
) -> None:
    """Show where you are in your program (day N of M, today, what is done); start NAME, or stop."""
    from coach import program as programs
    from coach import schedule

    settings = shared.settings_for(ctx, {})
    if action == "start":
        if not name:
            raise InputError(
                f"program start: name a program; programs: {', '.join(programs.names())}"
            )
        chosen = programs.resolve(name)  # a bad file stops here
        before = schedule.current()
        schedule.start(name, _today(settings))
        if before and before.name != name:
            typer.echo(f"Stopped following {before.name}.")
        first = chosen.days[0]
        typer.echo(
            f"Started {chosen.title} ({name}): {chosen.weeks} weeks, "
            f"{shared.plural(chosen.sessions, 'session')}. Day 1 is today: {_describe(first)}."
        )
        typer.echo("'coach today' plays today's session; 'coach program' shows where you are.")
        return
    if action == "stop":
        if name:
            raise InputError(f"program stop {name}: stop takes no name")
        stopped = schedule.stop()
        typer.echo(f"Stopped following {stopped.name}." if stopped else "No program to stop.")
        return
    if action is not None:
        raise InputError(
            f"program {action}: must be start NAME or stop (or nothing, to see where you are)"
        )
    place = _place(settings)
    _print_place(place, settings["streaks"].value, settings["day-starts"].value)


def _print_place(place: Any, streaks: bool, day_starts: str) -> None:
    p = place.program
    typer.echo(f"{p.title} ({p.name}), started {place.started.isoformat()}")
    total = len(p.days)
    if place.complete:
        typer.echo(
            f"Complete: all {total} days, {shared.plural(place.done, 'session')} done. "
            "Well done. 'coach programs' lists others."
        )
        return
    day = place.index + 1
    state = " (done)" if place.done_today else ""
    typer.echo(
        f"Today: day {day} of {total} (week {place.index // 7 + 1} of {p.weeks}): "
        f"{_describe(place.session)}{state}"
    )
    typer.echo(
        f"Done: {place.done} of {shared.plural(p.sessions, 'session')}; "
        f"{shared.plural(place.missed, 'missed day')} (the program waited)"
    )
    ahead = place.ahead(4)[1:] if not place.done_today else place.ahead(3)
    if ahead:
        typer.echo(
            "Next: " + "; ".join(f"{d.strftime('%a %d %b')} {_describe(s)}" for d, _, s in ahead)
        )
    if streaks:
        from coach.history import stats

        figures = stats.compute(_entries(), place.today, day_starts)
        if figures.streaks and figures.streaks.current:
            typer.echo(f"Streak: {_streak(figures.streaks.current)}")


@shared.session_command
def today(history: shared.HistoryOpt = None, options: Any = None, settings: Any = None) -> None:
    """Play today's session of your program, or say that today is a rest day."""
    from coach import resume

    place = _place(settings)
    p = place.program
    if place.complete:
        typer.echo(
            f"{p.title}: complete, all {len(p.days)} days. Well done. "
            "'coach programs' lists others; 'coach program stop' ends this one."
        )
        return
    session = place.session
    where = f"Day {place.index + 1} of {len(p.days)} of {p.title}"
    if session is None:
        typer.echo(f"{where}: a rest day. Nothing to play today; see you tomorrow.")
        return
    if place.done_today:
        ahead = place.ahead(1)
        following = f" Tomorrow: {_describe(ahead[0][2])}." if ahead else ""
        typer.echo(
            f"{where}: done today ({_describe(session)}).{following} "
            f"'coach play {session.routine}' plays it again."
        )
        return
    values = shared.values_of(settings, {"minutes": options.settings.minutes})
    for key, value in session.options.items():
        if key == "minutes":
            if values["minutes"] is None:  # --minutes typed wins
                values["minutes"] = value
        elif settings[key].source != COMMAND_LINE:
            values[key] = value
    played = shared.options_of(values)
    r = shared.load_routine(session.routine, settings=settings)
    typer.echo(f"{where}: {_describe(session)}.", err=True)
    shared.play_live(
        r, resume.key(session.routine), played, shared.recording_for(r, played, settings, history)
    )


# ---- reminders -------------------------------------------------------------------------


def remind(
    ctx: typer.Context,
    at: Annotated[str, typer.Option("--at", help="The time of the reminder, HH:MM (local time).")],
    days: Annotated[
        str | None,
        typer.Option(
            "--days",
            help="Only on these days, e.g. "
            "mon,wed,fri (default: every day; a program sets "
            "its own days).",
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="Write the iCalendar file here (default: standard output)."
        ),
    ] = None,
    routine: Annotated[
        str | None,
        typer.Option(
            "--routine",
            help="Remind of this routine "
            "(default: your program's sessions, else the "
            "routine you play most, else anma).",
        ),
    ] = None,
) -> None:
    """Write an iCalendar (.ics) file of reminders to practise, for any calendar to import."""
    from collections import Counter

    from coach import remind as reminders
    from coach import schedule
    from coach.script import build

    settings = shared.settings_for(ctx, {})
    when = reminders.parse_time(at)
    weekdays = reminders.parse_days(days) if days is not None else ()
    if output is not None:
        _check_output(output)
    today_ = _today(settings)
    following = schedule.current() if routine is None else None
    events: list[Any] = []
    if following is not None:
        if days is not None:
            raise InputError(
                "--days: a program sets its own days; give --routine NAME for "
                "a reminder on chosen days"
            )
        place = _place(settings)
        for day, index, session in place.ahead(len(place.program.days)):
            if session is None:
                continue
            r = shared.load_routine(session.routine, settings=settings)
            minutes = session.options.get("minutes") or build(r).estimate_seconds() / 60
            events.append(
                reminders.Reminder(
                    day,
                    f"coach: {_session_title(session)}",
                    f"Day {index + 1} of {len(place.program.days)} of {place.program.title}. "
                    f"Run: coach today",
                    minutes,
                    f"coach-{place.program.name}-{place.started.isoformat()}-day{index + 1}@coach",
                )
            )
        if not events:
            raise InputError(f"{place.program.name}: no sessions left to remind of")
    else:
        if routine is None:
            played = Counter(e.routine for e in _entries())
            routine = next((name for name, _ in played.most_common() if _known(name)), "anma")
        r = shared.load_routine(routine, settings=settings)
        minutes = build(r).estimate_seconds() / 60
        events.append(
            reminders.Reminder(
                reminders.first_day(today_, weekdays),
                f"coach: {r.title}",
                f"Run: coach play {routine}",
                minutes,
                f"coach-{routine}@coach",
                weekdays or tuple(range(7)),
            )
        )
    data = reminders.calendar(events, when)
    if output is None:
        sys.stdout.write(data.decode("utf-8"))
        return
    from coach.owned import write_atomically

    try:
        write_atomically(output, data.decode("utf-8"))
    except OSError as exc:
        import errno

        if exc.errno == errno.ENOSPC:
            raise OutputError(f"{output}: cannot write it: the disk is full") from None
        raise InputError(f"{output}: cannot write it: {exc.strerror or exc}") from None
    typer.echo(
        f"Wrote {output} ({shared.plural(len(events), 'event')}"
        + (", repeating" if len(events) == 1 and events[0].weekdays else "")
        + ")"
    )


def _known(name: str) -> bool:
    from coach.catalog import names

    return name in names()


def _check_output(path: Path) -> None:
    """``-o`` must name a file in a folder that exists (checked before any work)."""
    if path.is_dir():
        raise InputError(f"--output {path}: is a folder; name the .ics file")
    if path.exists() and not path.is_file():
        raise InputError(
            f"--output {path}: is not a regular file (leave out -o to write to standard output)"
        )
    parent = path.parent
    if not parent.is_dir():
        raise InputError(f"--output {path}: no such folder {parent}")
    import os

    if not os.access(parent, os.W_OK):
        raise InputError(f"--output {path}: the folder {parent} is read-only")


#: The practice commands by name, in the order help lists them: coach.cli adds them to its
#: app (commands are registered from that side only; importing this module adds nothing).
COMMANDS: dict[str, Callable[..., None]] = {
    "log": log_command,
    "stats": stats,
    "programs": programs,
    "program": program,
    "today": today,
    "remind": remind,
}
