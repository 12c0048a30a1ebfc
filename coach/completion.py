"""Shell completion, part of the command line's front door (it speaks typer's completion
protocol): what each option's value completes to, and coach's own bash script.

typer's bash script hands the shell's words over as bash split them, and bash splits at
every character of ``COMP_WORDBREAKS``, ``:`` included: ``--voice hibari:<Tab>`` reached
coach as the words ``hibari``, ``:`` and an empty one, so nothing matched and ``-o
default`` listed files. coach's script joins such words again (``_get_comp_words_by_ref
-n :`` from bash-completion, or the same done by hand from ``COMP_LINE`` without it),
and trims what bash will not replace from each answer (as ``__ltrim_colon_completions``
does). Answers are typed lines, ``plain,VALUE`` or ``file,`` / ``dir,`` where the value
may be a path, so file names are offered only where a file is meant.
"""

from __future__ import annotations

from typing import Any

#: Parameters (by their Python name) whose value may be a path, and what kind: the shell
#: then offers file (or folder) names beside any words coach offers.
PATHS = {
    "routine": "file",
    "bed": "file",
    "output": "file",
    "cues": "file",
    "chapters": "file",
    "paths": "file",
    "sounds": "dir",
}

BASH_SCRIPT = r"""# coach's bash completion (coach completion bash)
%(complete_func)s() {
    local cur words cword line kind value
    if declare -F _get_comp_words_by_ref >/dev/null; then
        # bash-completion: the words as typed, not split at ':' (ENGINE:ID voices).
        _get_comp_words_by_ref -n : cur words cword
    else
        line=${COMP_LINE:0:COMP_POINT}
        read -ra words <<< "$line"
        [[ $line == *[[:space:]] || ${#words[@]} -eq 0 ]] && words+=("")
        cword=$(( ${#words[@]} - 1 ))
        cur=${words[cword]}
    fi
    COMPREPLY=()
    local IFS=$'\n'
    local answers
    answers=$(env COMP_WORDS="${words[*]}" COMP_CWORD="$cword" \
                  %(autocomplete_var)s=complete_bash "$1" 2>/dev/null) || return 0
    for line in $answers; do
        kind=${line%%%%,*}
        value=${line#*,}
        case $kind in
            file) compopt -o filenames 2>/dev/null
                  COMPREPLY+=($(compgen -f -- "$cur")) ;;
            dir)  compopt -o filenames 2>/dev/null
                  COMPREPLY+=($(compgen -d -- "$cur")) ;;
            *)    COMPREPLY+=("$value") ;;
        esac
    done
    # bash replaces only the part of the word after its last break character (':'):
    # the answers lose what comes before it, as __ltrim_colon_completions does.
    if [[ $cur == *:* && $COMP_WORDBREAKS == *:* ]]; then
        local prefix=${cur%%"${cur##*:}"} i
        for i in "${!COMPREPLY[@]}"; do
            COMPREPLY[i]=${COMPREPLY[i]#"$prefix"}
        done
    fi
    # Values with spaces (step titles) are quoted as one word.
    if (( ${#COMPREPLY[@]} == 1 )) && [[ ${COMPREPLY[0]} == *" "* ]]; then
        printf -v 'COMPREPLY[0]' %%q "${COMPREPLY[0]}"
    fi
    return 0
}

complete -F %(complete_func)s %(prog_name)s
"""


#: The environment variable through which a shell asks ``coach`` for completions.
COMPLETE_VAR = "_COACH_COMPLETE"


def script(shell: str) -> str:
    """The completion script to install for ``shell`` (bash, zsh or fish): coach's own
    for bash, typer's for the others (they hand the whole line over, so ``:`` is safe)."""
    from typer._completion_shared import get_completion_script

    if shell != "bash":
        return str(get_completion_script(prog_name="coach", complete_var=COMPLETE_VAR, shell=shell))
    return BASH_SCRIPT % {
        "complete_func": "_coach_completion",
        "prog_name": "coach",
        "autocomplete_var": COMPLETE_VAR,
    }


def install() -> None:
    """Register coach's completion classes with typer (its own zsh and fish ones, and
    coach's bash one in place of typer's). Called before a shell's request is answered
    and before a script is printed."""
    from typer._click.shell_completion import CompletionItem, add_completion_class
    from typer._completion_classes import BashComplete, completion_init

    class Bash(BashComplete):
        source_template = BASH_SCRIPT

        def format_completion(self, item: CompletionItem) -> str:
            return f"{item.type},{item.value}"

        def get_completions(self, args: list[str], incomplete: str) -> list[CompletionItem]:
            from typer._click.shell_completion import _resolve_context, _resolve_incomplete

            ctx = _resolve_context(self.cli, self.ctx_args, self.prog_name, args)
            obj, incomplete = _resolve_incomplete(ctx, args, incomplete)
            found: list[CompletionItem] = obj.shell_complete(ctx, incomplete)
            kind = PATHS.get(getattr(obj, "name", None) or "")
            if kind and not any(i.type in ("file", "dir") for i in found):
                found.append(CompletionItem("", type=kind))
            return found

    completion_init()
    add_completion_class(Bash, "bash")


def _matching(values: list[str], incomplete: str) -> list[str]:
    return [v for v in values if v.startswith(incomplete)]


def paces(incomplete: str) -> list[str]:
    from coach.script import Pace

    return _matching([p.value for p in Pace], incomplete)


def talks(incomplete: str) -> list[str]:
    from coach.script import Talk

    return _matching([t.value for t in Talk], incomplete)


def beds(incomplete: str) -> list[str]:
    """The built-in beds and ``none`` (the shell adds file names)."""
    from coach.bed import NONE, builtin_names

    return _matching([*builtin_names(), NONE], incomplete)


def formats(incomplete: str) -> list[str]:
    from coach.export import FORMATS

    return _matching([f.removeprefix(".") for f in FORMATS], incomplete)


def steps(ctx: Any, incomplete: str) -> list[str]:
    """The step numbers and titles of the routine named so far on the line (default
    anma); nothing when it cannot be read."""
    try:
        from coach.catalog import resolve

        # An option still waiting for its value stops the parse: the routine typed before
        # it is then among the words left over.
        named = next((a for a in ctx.args if not a.startswith("-")), None)
        routine = resolve(named or ctx.params.get("routine") or "anma")
    except Exception:  # completion must never print an error into the shell's line
        return []
    numbers = [str(i) for i in range(1, len(routine.steps) + 1)]
    return _matching(numbers + [s.title for s in routine.steps], incomplete)
