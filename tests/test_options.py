"""The options table (coach.options): the one place each option is defined, and what
derives from it."""

from __future__ import annotations

from typing import Any

import typer.main

from coach import cli, config
from coach.options import KEYS, OPTIONS, Kind
from coach.script import Pace, Talk


def _commands() -> dict[str, Any]:
    """The app's commands by name, as click sees them."""
    return typer.main.get_command(cli.app).commands  # type: ignore[attr-defined]


def test_every_option_is_a_parameter_of_the_commands_the_table_names():
    for option in OPTIONS.values():
        if not option.flags:  # a setting only (output-dir): no command-line option
            continue
        for name in sorted(option.commands - {"config"}):
            params = {p.name: p for p in _commands()[name].params}
            assert option.param in params, (option.name, name)
            param = params[option.param]
            declared = [f for flag in option.flags for f in flag.split("/")]
            assert set(param.opts + param.secondary_opts) == set(declared), option.name
            assert param.help == option.help


def test_commands_the_table_does_not_name_do_not_take_the_option():
    for option in OPTIONS.values():
        for name, command in _commands().items():
            if name not in option.commands and name != "config":
                flags = {f for p in command.params for f in p.opts + p.secondary_opts}
                assert not flags & {f for flag in option.flags for f in flag.split("/")}, (
                    option.name,
                    name,
                )


def test_the_settings_file_has_every_key_of_the_table_and_no_other():
    assert config.KEYS is KEYS
    assert [o.name for o in OPTIONS.values() if o.example is not None] == list(KEYS)
    template = config.template()
    for name, option in KEYS.items():
        assert f"# {name} = {option.example}" in template and option.summary in template


def test_choices_come_from_the_enums():
    assert OPTIONS["pace"].choices == tuple(p.value for p in Pace)
    assert OPTIONS["talk"].choices == tuple(t.value for t in Talk)
    assert all(o.kind is not Kind.CHOICE or o.choices for o in OPTIONS.values())


def test_every_number_has_its_range_in_its_help():
    for option in OPTIONS.values():
        if option.kind in (Kind.INT, Kind.NUMBER) and option.key:
            assert option.low is not None and option.high is not None
            assert f"{option.low:g}" in option.help and f"{option.high:g}" in option.help
