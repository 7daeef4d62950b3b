"""The native hook scripts in hooks/, without pre-commit: installed with `git config core.hooksPath`,
running this checkout's djgate through $DJGATE."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT, Repo
from .precommit_support import Editor, make_editor

HOOKS = ("pre-commit", "commit-msg", "prepare-commit-msg")


@pytest.fixture
def hooked(shop: Repo, tmp_path: Path) -> Repo:
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    for name in HOOKS:
        shutil.copy(ROOT / "hooks" / name, hooks / name)
        (hooks / name).chmod(0o755)
    shop.git("config", "core.hooksPath", str(hooks))
    return shop


def commit(repo: Repo, *args: str, editor: Editor | None = None, append: str = "") -> tuple[int, str]:
    env = dict(os.environ, DJGATE=f"{sys.executable} -m djgate", GIT_EDITOR="false")
    if editor:
        env.update(editor.env(append=append))
    result = subprocess.run(
        ["git", "commit", *args], cwd=repo.path, env=env, capture_output=True, text=True, check=False
    )
    return result.returncode, result.stdout + result.stderr


def test_hook_scripts_are_executable_in_the_checkout() -> None:
    for name in HOOKS:
        assert os.access(ROOT / "hooks" / name, os.X_OK), f"hooks/{name} is not executable"


def test_commit_msg_hook_refuses_a_bad_message(hooked: Repo) -> None:
    hooked.write("orders/views.py", "X = 1\n")
    hooked.stage("orders/views.py")
    head = hooked.git("rev-parse", "HEAD")

    code, output = commit(hooked, "-m", "feat(billing): add a flag")

    assert code == 1
    assert "DJG202" in output
    assert hooked.git("rev-parse", "HEAD") == head
    assert (hooked.path / ".git" / "COMMIT_EDITMSG").read_text() == "feat(billing): add a flag\n"


def test_pre_commit_hook_refuses_two_apps(hooked: Repo) -> None:
    hooked.write("orders/views.py", "X = 1\n")
    hooked.write("billing/views.py", "X = 1\n")
    hooked.stage("orders/views.py", "billing/views.py")

    code, output = commit(hooked, "-m", "feat(orders): add a flag")

    assert code == 1
    assert "DJG201" in output


def test_compliant_commit_lands(hooked: Repo) -> None:
    hooked.write("orders/views.py", "X = 1\n")
    hooked.stage("orders/views.py")

    code, output = commit(hooked, "-m", "feat(orders): add a flag")

    assert code == 0, output
    assert hooked.git("log", "-1", "--format=%s") == "feat(orders): add a flag\n"


def test_prepare_commit_msg_hook_prefills_the_app(hooked: Repo, tmp_path: Path) -> None:
    editor = make_editor(tmp_path / "editor")
    hooked.write("billing/views.py", "X = 1\n")
    hooked.stage("billing/views.py")

    code, output = commit(hooked, editor=editor, append="add a flag")

    assert editor.seen_text().startswith("feat(billing): \n")
    assert code == 0, output
    assert hooked.git("log", "-1", "--format=%s") == "feat(billing): add a flag\n"


def test_commit_a_refusal_prints_a_command_that_works_with_a(hooked: Repo) -> None:
    # `git commit -a` commits from git's own index: unstaging from the user's index would change nothing.
    hooked.put("orders/views.py", "")
    hooked.put("billing/views.py", "")
    assert commit(hooked, "--no-verify", "-m", "feat(orders): add views")[0] == 0
    hooked.write("orders/views.py", "X = 1\n")
    hooked.write("billing/views.py", "X = 1\n")

    code, output = commit(hooked, "-a", "-m", "feat(orders): add a flag")

    assert code == 1 and "DJG201" in output
    assert "git restore --staged" not in output
    match = re.search(r"commit one app at a time; (\w+) first: git commit -- (.+)$", output, re.M)
    assert match and match[2] == f"{match[1]}/views.py", output
    first, other = match[1], ({"orders", "billing"} - {match[1]}).pop()
    code, output = commit(hooked, "-m", f"feat({first}): add a flag", "--", *shlex.split(match[2]))
    assert code == 0, output
    code, output = commit(hooked, "-a", "-m", f"feat({other}): add a flag")
    assert code == 0, output


def test_refused_message_says_how_to_get_it_back(hooked: Repo, tmp_path: Path) -> None:
    hooked.write("orders/views.py", "X = 1\n")
    hooked.stage("orders/views.py")

    code, output = commit(hooked, "-m", "Added a flag to orders")

    kept = hooked.path / ".git" / "COMMIT_EDITMSG"
    assert code == 1
    assert f"djgate: your message is kept; edit it again with: git commit -e -F {kept}" in output
    editor = make_editor(tmp_path / "editor")
    code, output = commit(hooked, "-e", "-F", str(kept), editor=editor, append="")
    assert "Added a flag to orders" in editor.seen_text()  # the typed message comes back in the editor


@pytest.mark.parametrize("edited", [False, True])
def test_comment_char_auto_keeps_what_git_keeps(hooked: Repo, edited: bool) -> None:
    # core.commentChar=auto: the message starts a line with '#', so git comments with ';' and keeps '#123'.
    hooked.git("config", "core.commentChar", "auto")
    hooked.put("orders/views.py", "X = 1\n")
    message = "feat(orders): add a flag\n#123 is fixed by this"
    edit = ("-e",) if edited else ()
    env_editor = make_editor(hooked.path.parent / "editor") if edited else None

    code, output = commit(hooked, *edit, "-m", message, editor=env_editor)

    assert code == 1 and "DJG106" in output, output  # what check-range says of the commit git would make
    assert commit(hooked, "--no-verify", "-m", message)[0] == 0
    assert hooked.git("log", "-1", "--format=%B").startswith(message)
    result = subprocess.run(
        [sys.executable, "-m", "djgate", "check-range", "HEAD~1..HEAD", "--ignore", "DJG301"],
        cwd=hooked.path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1 and "DJG106" in result.stdout
    # No '#' in the message: git comments with '#', and its template is no part of the message.
    editor = make_editor(hooked.path.parent / "editor2")
    hooked.put("orders/views.py", "X = 2\n")
    code, output = commit(hooked, "-e", "-m", "feat(orders): add a second flag", editor=editor)
    assert code == 0, output
    assert editor.seen_text().splitlines()[2].startswith("# ")
