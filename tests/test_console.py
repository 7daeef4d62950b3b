"""The console script reads the hooks' command lines without click; whatever it reads must give exactly
what the click command line gives, and whatever it does not read goes to click."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from djgate import cli, console

from .conftest import ROOT, Repo, write_msg

MSG = ".git/COMMIT_EDITMSG"
# Each hook's command line as pre-commit runs it: the entry, then the message file for the message hooks.
HOOK_ENTRIES = [
    shlex.split(hook["entry"])[1:]
    + ([MSG] if hook["entry"].split()[1] in ("check-msg", "prepare-msg") else [])
    for hook in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
]


@pytest.fixture
def change(shop: Repo) -> Repo:
    """A change most gates have something to say about: two apps, a print(), a message without a scope."""
    shop.write("orders/views.py", "def index(request):\n    print(request)\n")
    shop.write("catalog/views.py", "API_TOKEN = 'ghp_' + 'x'\n")
    shop.write("orders/models.py", "from django.db import models\n")
    shop.stage()
    write_msg(shop, "add things\n")
    return shop


def both(
    capsys: pytest.CaptureFixture[str], args: list[str]
) -> tuple[tuple[int, str, str], tuple[int, str, str]]:
    """(exit code, stdout, stderr) from the console script's reader, then from click's."""
    results = []
    for main in (console.main, cli.main):
        capsys.readouterr()
        code = main(list(args))
        out, err = capsys.readouterr()
        results.append((code, out, err))
    return results[0], results[1]


def test_the_hook_command_lines_are_read_without_click() -> None:
    for args in [*HOOK_ENTRIES, ["check-staged"], ["prepare-msg", MSG, "message"]]:
        if args != ["check-range"]:
            assert console.hook_command(args) is not None, args
    code = "import sys; from djgate.console import hook_command; hook_command(sys.argv[1:]); print('click' in sys.modules)"
    for args in (["check-staged", "--family", "migrations"], ["check-msg", "MSG"]):
        out = subprocess.run(
            [sys.executable, "-c", code, *args], capture_output=True, text=True, check=True
        ).stdout
        assert out == "False\n"


@pytest.mark.parametrize(
    "args",
    [
        *HOOK_ENTRIES,
        ["check-msg", ".git/COMMIT_EDITMSG"],
        ["check-msg", "--format", "json", ".git/COMMIT_EDITMSG"],
        ["check-msg", "--format=github", "--select", "DJG1,DJG2", ".git/COMMIT_EDITMSG"],
        ["-v", "check-staged", "--family", "scope", "--ignore", "DJG202"],
        ["check-staged", "--format", "sarif"],
        ["check-staged", "--family", "secrets", "--family", "print", "orders/views.py", "catalog/views.py"],
        ["check-staged", "--family", "print", "--", "orders/views.py"],
        ["check-staged", "--family", "secrets", "--", "--help", "-h", "orders/views.py"],  # files named so
        ["check-msg", "--", ".git/COMMIT_EDITMSG"],
        ["prepare-msg", "--", ".git/COMMIT_EDITMSG"],
        ["check-staged", "--family", "print", "no/such/file.py"],
        ["check-staged", "--config", "missing.toml"],
        ["prepare-msg", ".git/COMMIT_EDITMSG", "message"],
        # Not for the console's reader: click reads them (and says what is wrong with them).
        ["check-staged", "--family", "nonsense"],
        ["check-staged", "--family", "migrations", "orders/views.py"],
        ["check-staged", "--all-files", "--family", "print"],
        ["check-staged", "--format", "xml"],
        ["check-staged", "--format"],
        ["check-staged", "-x"],
        ["check-staged", "orders"],
        ["check-msg"],
        ["check-msg", "a", "b"],
        ["check-msg", "--help"],
        ["-h"],
        ["rules"],
    ],
)
def test_both_readers_give_the_same_result(
    change: Repo, capsys: pytest.CaptureFixture[str], args: list[str]
) -> None:
    fast, slow = both(capsys, args)
    assert fast == slow
    if args[0] not in ("-h", "rules") and "--help" not in args:
        assert fast[0] in (0, 1, 2)


def test_files_named_like_options_are_files_for_both(
    change: Repo, capsys: pytest.CaptureFixture[str]
) -> None:
    change.put("--help", "API_KEY = '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'\n")
    change.put("-h", "API_KEY = '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'\n")
    change.put("-v.py", "breakpoint()\n")
    for family, found in (("secrets", ["--help:1: DJG401", "-h:1: DJG401"]), ("print", ["-v.py:1: DJG502"])):
        fast, slow = both(capsys, ["check-staged", "--family", family, "--", "--help", "-h", "-v.py"])
        assert fast == slow
        assert fast[0] == 1 and all(f in fast[1] for f in found), fast


def test_the_message_file_is_left_as_it_was_by_both(change: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    msg = Path(write_msg(change, "feat(orders): add things\n"))
    before = msg.read_bytes()
    fast, slow = both(capsys, ["check-msg", str(msg)])
    assert fast == slow and msg.read_bytes() == before


def test_unusual_command_lines_go_to_click() -> None:
    for args in (
        [],
        ["--version"],
        ["check-range"],
        ["check-staged", "--all-files"],
        ["check-staged", "--family"],
        ["check-staged", "--family", "message"],  # a family of the message door, not the staged one
        ["check-msg", "--family", "scope", "MSG"],
        ["prepare-msg"],
        ["prepare-msg", "a", "b", "c", "d"],
        ["prepare-msg", "--format", "json", "MSG"],
        ["check-staged", "-v"],
    ):
        assert console.hook_command(args) is None, args
