"""The `djgate` console script.

The hooks run on every commit, and importing click costs a fifth of a hook's run. So the command lines
the hooks use (`check-msg`, `check-staged`, `prepare-msg` with their options, as .pre-commit-hooks.yaml
and hooks/ write them, or a user types them) are read here, with no import beyond the standard library;
anything else (another command, --help, an unknown option or family, a directory where a file is due)
goes to the click command line, `djgate.cli`, which gives the same results and every usage error. The
two readers call the same `djgate.commands`.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

# command -> (options it takes with a value, fewest and most positional arguments; None: any number)
HOOK_COMMANDS: dict[str, tuple[frozenset[str], int, int | None]] = {
    "check-msg": (frozenset({"--format", "--config", "--select", "--ignore"}), 1, 1),
    "check-staged": (frozenset({"--family", "--format", "--config", "--select", "--ignore"}), 0, None),
    "prepare-msg": (frozenset({"--config"}), 1, 3),
}


def main(argv: Sequence[str] | None = None) -> int:
    import gc

    # The cycle collector walked every syntax tree a commit makes, a fifth of the time of a range: djgate
    # makes no reference cycles of its own (what a commit's rules kept goes when the commit is done), and a
    # range collects now and then (engine.COLLECT_EVERY) for the few that libraries make.
    collecting = gc.isenabled()
    gc.disable()
    try:
        args = list(sys.argv[1:] if argv is None else argv)
        command = hook_command(args)
        if command is None:
            from djgate.cli import main as click_main

            return click_main(args)
        from djgate.commands import guarded

        return guarded(command)
    finally:
        if collecting:
            gc.enable()


def hook_command(args: Sequence[str]) -> Callable[[], int] | None:
    """The command a hook's command line asks for, ready to run; None for any other command line."""
    from djgate import commands
    from djgate.report import FORMATS

    verbose = bool(args) and args[0] in ("-v", "--verbose")
    args = args[1:] if verbose else args
    if not args or args[0] not in HOOK_COMMANDS:
        return None
    name, rest = args[0], args[1:]
    takes, fewest, most = HOOK_COMMANDS[name]
    parsed = _parse(rest, takes)
    if parsed is None:
        return None
    options, positional = parsed
    if len(positional) < fewest or (most is not None and len(positional) > most):
        return None
    fmt = options.get("--format", ["text"])[-1]
    config = options["--config"][-1] if "--config" in options else None
    paths = [*(positional if name == "check-staged" else positional[:1]), *([config] if config else [])]
    if fmt not in FORMATS or any(os.path.isdir(p) for p in paths):
        return None  # click says what is wrong
    config_path = Path(config) if config else None
    select = commands.split_codes(options.get("--select", []))
    ignore = commands.split_codes(options.get("--ignore", []))
    command: Callable[[], int]
    if name == "check-msg":
        command = partial(commands.check_msg, Path(positional[0]), fmt, config_path, select, ignore)
    elif name == "prepare-msg":
        source, sha = [*positional[1:], None, None][:2]
        command = partial(commands.prepare_msg, Path(positional[0]), source, sha, config_path)
    else:
        families = tuple(options.get("--family", []))
        if commands.family_error(families, bool(positional)):
            return None  # click says what is wrong
        files = [Path(p) for p in positional]
        command = partial(commands.check_staged, files, families, False, fmt, config_path, select, ignore)
    if verbose:  # only once the line is known to be ours: otherwise click's -v does it
        from djgate import log

        log.enable_verbose()
    return command


def _parse(args: Sequence[str], takes: frozenset[str]) -> tuple[dict[str, list[str]], list[str]] | None:
    """--name value, --name=value and positional arguments (all of them after `--`); None at anything
    else, such as a flag or an option the command does not take."""
    options: dict[str, list[str]] = {}
    positional: list[str] = []
    it = iter(args)
    for token in it:
        if token == "--":
            positional.extend(it)
            break
        if not token.startswith("-") or token == "-":
            positional.append(token)
            continue
        name, equals, value = token.partition("=")
        if name not in takes:
            return None
        if not equals:
            following = next(it, None)
            if following is None:
                return None
            value = following
        options.setdefault(name, []).append(value)
    return options, positional
