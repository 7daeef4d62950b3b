"""`djgate install` / `uninstall` and the hooks they put in place, driven by real `git commit` and `git push`."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from djgate.gitrepo import GitRepo
from djgate.install import HOOK_NAMES, render

from .conftest import ROOT, Repo

DJGATE = f"{sys.executable} -m djgate"
ORIGINAL = b"#!/bin/sh\n# the team's own hook\nprintf '%s\\n' \"$@\" > original-args\nexit 0"
RECORDER = '#!/bin/sh\nprintf \'%s\\n\' "$*" >> "$DJGATE_TEST_LOG"\n'


def git_hooked(repo: Repo, *args: str, **env: str) -> tuple[int, str]:
    """git with the hooks active, running this checkout's djgate."""
    result = subprocess.run(
        ["git", *args],
        cwd=repo.path,
        env={**os.environ, "DJGATE": DJGATE, "GIT_EDITOR": "false", **env},
        capture_output=True,
        text=True,
        check=False,
    )
    return result.returncode, result.stdout + result.stderr


def packaged(name: str) -> bytes:
    """A hook as `djgate install` writes it from this Python."""
    return render((ROOT / "hooks" / name).read_bytes(), sys.executable)


def hooks(repo: Repo) -> Path:
    return repo.path / ".git" / "hooks"


def listing(directory: Path) -> dict[str, tuple[bytes, int]]:
    """name -> (content, or the target of a symlink; mode) of everything but git's samples."""
    out = {}
    for path in sorted(directory.iterdir()):
        if path.name.endswith(".sample"):
            continue
        st = path.lstat()
        content = os.readlink(path).encode() if path.is_symlink() else path.read_bytes()
        out[path.name] = (content, stat.S_IMODE(st.st_mode))
    return out


def write_hook(directory: Path, name: str, content: bytes, mode: int = 0o755) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_bytes(content)
    path.chmod(mode)
    return path


def stage_order_change(repo: Repo, text: str = "X = 1\n") -> None:
    repo.write("orders/views.py", text)
    repo.stage("orders/views.py")


# -- install, then real commits -----------------------------------------------------------------------


def test_installed_hooks_refuse_and_accept_real_commits(shop: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    result = djgate("install")
    assert result.code == 0, result.err
    for name in HOOK_NAMES:
        installed = hooks(shop) / name
        assert installed.read_bytes() == packaged(name)
        assert os.access(installed, os.X_OK)
        assert f"installed {installed}" in result.out
    stage_order_change(shop)
    head = shop.git("rev-parse", "HEAD")

    code, output = git_hooked(shop, "commit", "-m", "Added a flag")
    assert code == 1 and "DJG101" in output
    assert shop.git("rev-parse", "HEAD") == head

    code, output = git_hooked(shop, "commit", "-m", "feat(orders): add a flag")
    assert code == 0, output
    assert shop.git("log", "-1", "--format=%s") == "feat(orders): add a flag\n"


def test_pre_commit_hook_refuses_two_apps_before_the_message(shop: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    assert djgate("install", "--hook", "pre-commit").code == 0
    assert sorted(listing(hooks(shop))) == ["pre-commit"]
    shop.write("orders/views.py", "X = 1\n")
    shop.write("billing/views.py", "X = 1\n")
    shop.stage()

    code, output = git_hooked(shop, "commit", "-m", "feat(orders): add flags")
    assert code == 1 and "DJG201" in output


def test_unknown_hook_name_is_a_usage_error(shop: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    result = djgate("install", "--hook", "post-commit")
    assert result.code == 2
    assert result.err.strip() == (
        "djgate: error: --hook post-commit: choose from pre-commit, prepare-commit-msg, commit-msg, pre-push"
    )
    assert listing(hooks(shop)) == {}


# -- what was there before ----------------------------------------------------------------------------


def test_round_trip_restores_a_pre_existing_hook_byte_for_byte(shop: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    content = ORIGINAL + b"\n# caf\xe9 in latin-1, and no final newline"
    write_hook(hooks(shop), "commit-msg", content, mode=0o750)
    before = listing(hooks(shop))

    result = djgate("install")
    assert result.code == 0
    assert "commit-msg.djgate-backup and runs first" in result.out
    backup = hooks(shop) / "commit-msg.djgate-backup"
    assert (backup.read_bytes(), stat.S_IMODE(backup.stat().st_mode)) == (content, 0o750)
    assert (hooks(shop) / "commit-msg").read_bytes() == packaged("commit-msg")

    result = djgate("uninstall")
    assert result.code == 0
    assert "put back the hook it replaced" in result.out
    assert listing(hooks(shop)) == before


def test_round_trip_keeps_a_symlinked_hook_a_symlink(shop: Repo, djgate, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    shared = write_hook(tmp_path / "shared", "commit-msg", ORIGINAL)
    hooks(shop).mkdir(exist_ok=True)
    (hooks(shop) / "commit-msg").symlink_to(shared)
    before = listing(hooks(shop))

    assert djgate("install", "--hook", "commit-msg").code == 0
    assert shared.read_bytes() == ORIGINAL  # not written through the link
    assert (hooks(shop) / "commit-msg.djgate-backup").is_symlink()

    assert djgate("uninstall").code == 0
    assert listing(hooks(shop)) == before


def test_pre_existing_hook_runs_first_and_its_failure_blocks(shop: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    write_hook(hooks(shop), "commit-msg", ORIGINAL)
    assert djgate("install").code == 0
    stage_order_change(shop)

    code, output = git_hooked(shop, "commit", "-m", "feat(orders): add a flag")
    assert code == 0, output
    assert (shop.path / "original-args").read_text() == ".git/COMMIT_EDITMSG\n"

    (shop.path / "original-args").unlink()
    stage_order_change(shop, "X = 2\n")
    code, output = git_hooked(shop, "commit", "-m", "Changed the flag")
    assert code == 1 and "DJG101" in output  # the original passed; djgate still judges
    assert (shop.path / "original-args").exists()

    write_hook(hooks(shop), "commit-msg.djgate-backup", b"#!/bin/sh\necho 'team hook says no' >&2\nexit 3\n")
    code, output = git_hooked(shop, "commit", "-m", "feat(orders): change the flag")
    assert code == 1
    assert "team hook says no" in output
    assert shop.git("log", "-1", "--format=%s") == "feat(orders): add a flag\n"


def test_a_non_executable_hook_stays_ignored_as_git_ignored_it(shop: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    write_hook(hooks(shop), "commit-msg", ORIGINAL, mode=0o644)
    assert djgate("install", "--hook", "commit-msg").code == 0
    stage_order_change(shop)

    code, output = git_hooked(shop, "commit", "-m", "feat(orders): add a flag")
    assert code == 0, output
    assert not (shop.path / "original-args").exists()


def test_core_hooks_path_is_respected(shop: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    shop.git("config", "core.hooksPath", ".githooks")
    write_hook(shop.path / ".githooks", "commit-msg", ORIGINAL)

    assert djgate("install").code == 0
    assert listing(hooks(shop)) == {}
    assert sorted(listing(shop.path / ".githooks")) == sorted([*HOOK_NAMES, "commit-msg.djgate-backup"])
    stage_order_change(shop)
    code, output = git_hooked(shop, "commit", "-m", "Added a flag")
    assert code == 1 and "DJG101" in output
    assert (shop.path / "original-args").exists()

    assert djgate("uninstall").code == 0
    assert listing(shop.path / ".githooks") == {"commit-msg": (ORIGINAL, 0o755)}


def test_linked_worktrees_share_the_hooks(shop: Repo, tmp_path: Path) -> None:
    shop.git("worktree", "add", "-q", str(tmp_path / "wt"))
    assert GitRepo.discover(tmp_path / "wt").hooks_dir().resolve() == hooks(shop).resolve()


def test_installing_twice_does_not_chain_djgate_to_itself(shop: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    write_hook(hooks(shop), "commit-msg", ORIGINAL)
    assert djgate("install").code == 0
    first = listing(hooks(shop))

    result = djgate("install")
    assert result.code == 0
    assert result.out.count("is up to date") == len(HOOK_NAMES)
    assert listing(hooks(shop)) == first
    assert (hooks(shop) / "commit-msg.djgate-backup").read_bytes() == ORIGINAL

    assert djgate("uninstall").code == 0
    assert listing(hooks(shop)) == {"commit-msg": (ORIGINAL, 0o755)}


def test_an_older_djgate_hook_is_updated_in_place(shop: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    old = b'#!/bin/sh\n# djgate-hook: managed by `djgate install`\nexec djgate check-msg "$1"\n'
    write_hook(hooks(shop), "commit-msg", old)

    result = djgate("install", "--hook", "commit-msg")
    assert "updated" in result.out
    assert listing(hooks(shop)) == {"commit-msg": (packaged("commit-msg"), 0o755)}


def test_install_refuses_to_lose_a_hook(shop: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    write_hook(hooks(shop), "commit-msg", ORIGINAL)
    write_hook(hooks(shop), "commit-msg.djgate-backup", b"#!/bin/sh\nexit 0\n")
    before = listing(hooks(shop))

    result = djgate("install")
    assert result.code == 2
    assert "is not djgate's and commit-msg.djgate-backup is already there" in result.err
    assert len(result.err.strip().splitlines()) == 1
    assert listing(hooks(shop)) == before  # nothing installed, not even the other hooks


def test_uninstall_leaves_hooks_it_did_not_install(shop: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    assert djgate("install", "--hook", "commit-msg").code == 0
    write_hook(hooks(shop), "pre-push", ORIGINAL)

    result = djgate("uninstall")
    assert result.code == 0
    assert "pre-push: not djgate's hook, left as it is" in result.out
    assert listing(hooks(shop)) == {"pre-push": (ORIGINAL, 0o755)}


# -- pre-push ---------------------------------------------------------------------------------------------


@pytest.fixture
def pushed(shop: Repo, tmp_path: Path) -> Repo:
    """The shop, with its main branch pushed to a bare remote `origin`."""
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    shop.git("remote", "add", "origin", str(remote))
    shop.git("push", "-q", "-u", "origin", "main")
    return shop


def remote_head(repo: Repo, ref: str = "main") -> str:
    return repo.git("ls-remote", "origin", f"refs/heads/{ref}").split("\t")[0]


def test_pre_push_refuses_a_bad_commit_and_pushes_a_good_one(pushed: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    assert djgate("install", "--hook", "pre-push").code == 0
    before = remote_head(pushed)
    stage_order_change(pushed)
    pushed.commit("Added a flag")  # --no-verify: the push is the last gate

    code, output = git_hooked(pushed, "push", "origin", "main")
    assert code != 0 and "DJG101" in output
    assert remote_head(pushed) == before

    pushed.git("commit", "-q", "--amend", "--no-verify", "-m", "feat(orders): add a flag")
    code, output = git_hooked(pushed, "push", "origin", "main")
    assert code == 0, output
    assert remote_head(pushed) == pushed.git("rev-parse", "HEAD").strip()


def test_pre_push_checks_a_new_branch_from_where_it_forks(pushed: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    assert djgate("install", "--hook", "pre-push").code == 0
    pushed.git("switch", "-q", "-c", "feature")
    stage_order_change(pushed)
    pushed.commit("wip")

    code, output = git_hooked(pushed, "push", "origin", "feature")
    assert code != 0 and "DJG101" in output
    assert remote_head(pushed, "feature") == ""

    pushed.git("commit", "-q", "--amend", "--no-verify", "-m", "feat(orders): add a flag")
    code, output = git_hooked(pushed, "push", "origin", "feature")
    assert code == 0, output
    code, output = git_hooked(pushed, "push", "origin", "--delete", "feature")
    assert code == 0, output


@pytest.fixture
def recorded(pushed: Repo, djgate, tmp_path: Path):  # type: ignore[no-untyped-def]
    """The pre-push hook installed with $DJGATE recording its arguments: what the hook asks djgate."""
    assert djgate("install", "--hook", "pre-push").code == 0
    recorder = write_hook(tmp_path / "bin", "djgate-recorder", RECORDER.encode())
    log = tmp_path / "calls.log"

    def push(*args: str) -> tuple[int, str, list[str]]:
        log.write_text("")
        code, output = git_hooked(pushed, "push", *args, DJGATE=f"sh {recorder}", DJGATE_TEST_LOG=str(log))
        return code, output, log.read_text().splitlines()

    return push


def test_pre_push_ranges(pushed: Repo, recorded) -> None:  # type: ignore[no-untyped-def]
    main = pushed.git("rev-parse", "HEAD").strip()
    one = pushed.commit("feat(orders): one")
    two = pushed.commit("feat(orders): two")
    assert recorded("origin", "main")[2] == [f"check-range {main}..{two}"]

    pushed.git("switch", "-q", "-c", "feature", one)
    three = pushed.commit("feat(orders): three")
    assert recorded("origin", "feature")[2] == [f"check-range {one}..{three}"]  # one is on origin/main

    pushed.git("tag", "v1", two)
    assert recorded("origin", "v1")[2] == []  # no new commit
    assert recorded("origin", "--delete", "feature")[2] == []
    pushed.git("switch", "-q", "main")
    pushed.git("reset", "-q", "--hard", one)
    assert recorded("--force", "origin", "main")[2] == []  # moved back: nothing new


def test_pre_push_base_after_merging_the_remote_branch_in(pushed: Repo, recorded) -> None:  # type: ignore[no-untyped-def]
    start = pushed.git("rev-parse", "HEAD").strip()
    pushed.git("switch", "-q", "-c", "feature")
    mine = pushed.commit("feat(orders): mine")
    pushed.git("switch", "-q", "main")
    theirs = pushed.commit("feat(billing): theirs")
    pushed.git("push", "-q", "origin", "main", "--no-verify")
    pushed.git("switch", "-q", "feature")
    pushed.git("merge", "-q", "--no-edit", "--no-verify", "main")
    merge = pushed.git("rev-parse", "HEAD").strip()

    # The new commits fork from `start` and from `theirs`, which contains `start`: the base is `theirs`.
    assert recorded("origin", "feature")[2] == [f"check-range {theirs}..{merge}"]
    assert pushed.git("rev-list", f"{theirs}..{merge}").split() == [merge, mine]
    assert start != theirs


def test_pre_push_first_push_of_a_history_checks_it_from_the_root(shop: Repo, djgate, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    shop.commit("feat(orders): one")
    tip = shop.commit("feat(orders): two")
    remote = tmp_path / "empty.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    shop.git("remote", "add", "origin", str(remote))
    assert djgate("install", "--hook", "pre-push").code == 0
    log = tmp_path / "calls.log"
    recorder = write_hook(tmp_path / "bin", "djgate-recorder", RECORDER.encode())

    code, output = git_hooked(
        shop, "push", "origin", "main", DJGATE=f"sh {recorder}", DJGATE_TEST_LOG=str(log)
    )
    assert code == 0, output
    assert log.read_text().splitlines() == [f"check-range --root {tip}"]


def test_check_range_from_the_root_judges_the_root_commit(repo: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    repo.app("orders")
    repo.stage()
    repo.put("pyproject.toml", '[tool.djgate]\nignore = ["DJG301"]\n')
    repo.put("orders/debug.py", "breakpoint()\n")
    root = repo.commit("feat(orders): start with a breakpoint")
    repo.put("orders/views.py", "VIEW = 1\n")
    repo.commit("feat(orders): add a view")

    result = djgate("check-range", "--root", "--format", "json")

    assert result.code == 1, result.err
    data = json.loads(result.out)
    assert [(f["code"], f["commit"]) for f in data["findings"] if f["severity"] == "error"] == [
        ("DJG502", root)
    ]
    assert data["summary"]["commits"] == 2


def test_pre_push_chains_the_original_with_the_same_stdin(pushed: Repo, djgate, recorded) -> None:  # type: ignore[no-untyped-def]
    assert djgate("uninstall").code == 0
    write_hook(hooks(pushed), "pre-push", b'#!/bin/sh\necho "$@" > original-args\ncat > original-stdin\n')
    assert djgate("install", "--hook", "pre-push").code == 0
    old = pushed.git("rev-parse", "HEAD").strip()
    new = pushed.commit("feat(orders): one")

    code, output, calls = recorded("origin", "main")
    assert code == 0, output
    url = pushed.git("remote", "get-url", "origin").strip()
    assert (pushed.path / "original-args").read_text() == f"origin {url}\n"
    assert (pushed.path / "original-stdin").read_text() == f"refs/heads/main {new} refs/heads/main {old}\n"
    assert calls == [f"check-range {old}..{new}"]

    write_hook(
        hooks(pushed),
        "pre-push.djgate-backup",
        b"#!/bin/sh\ncat >/dev/null\necho 'no pushes on friday' >&2\nexit 1\n",
    )
    pushed.commit("feat(orders): two")
    code, output, calls = recorded("origin", "main")
    assert code != 0 and "no pushes on friday" in output
    assert calls == []
    assert remote_head(pushed) == new


# -- which djgate the hooks run, SKIP, edited hooks, the pre-commit framework ----------------------------


def test_the_hooks_find_the_python_that_installed_them(shop: Repo, tmp_path: Path) -> None:
    spaced = tmp_path / "my tools" / "python"  # an interpreter whose path has a space
    spaced.parent.mkdir()
    spaced.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    spaced.chmod(0o755)
    installed = subprocess.run(
        [str(spaced), "-m", "djgate", "install"], cwd=shop.path, capture_output=True, text=True
    )
    assert installed.returncode == 0, installed.stderr
    env = {k: v for k, v in os.environ.items() if k not in ("DJGATE", "DJGATE_PYTHON", "VIRTUAL_ENV")}
    env["PATH"] = "/usr/bin:/bin"  # a GUI client: no virtualenv, no djgate on PATH
    stage_order_change(shop, "breakpoint()\n")

    result = subprocess.run(
        ["git", "commit", "-m", "feat(orders): debug"], cwd=shop.path, env=env, capture_output=True, text=True
    )

    assert result.returncode == 1, result.stdout + result.stderr
    assert "DJG502" in result.stdout + result.stderr


def test_without_any_djgate_the_hook_says_what_to_do(shop: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    write_hook(
        hooks(shop), "commit-msg", render((ROOT / "hooks" / "commit-msg").read_bytes(), "/nowhere/python")
    )
    env = {k: v for k, v in os.environ.items() if k not in ("DJGATE", "DJGATE_PYTHON")}
    env["PATH"] = "/usr/bin:/bin"
    stage_order_change(shop)
    result = subprocess.run(
        ["git", "commit", "-m", "feat(orders): x"], cwd=shop.path, env=env, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "djgate: not found" in result.stderr and "djgate install again" in result.stderr


def test_skip_turns_off_one_check_of_the_native_hooks(shop: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    assert djgate("install").code == 0
    shop.write("orders/views.py", "X = 1\n")
    shop.write("billing/views.py", "X = 1\n")
    shop.stage()
    message = "feat(orders): add flags\n\nDjgate-Allow: DJG201 one change across both apps"

    code, output = git_hooked(shop, "commit", "-m", message)
    assert code == 1 and "DJG201" in output  # the pre-commit stage refuses before the message exists
    code, output = git_hooked(shop, "commit", "-m", message, SKIP="djgate-scope")
    assert code == 0, output  # the commit-msg hook honours the trailer

    shop.write("orders/debug.py", "breakpoint()\n")
    shop.stage()
    code, output = git_hooked(shop, "commit", "-m", "feat(orders): debug", SKIP="djgate-scope")
    assert code == 1 and "DJG502" in output  # the other checks still run


def test_a_hook_the_team_edited_is_kept(shop: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    assert djgate("install", "--hook", "commit-msg").code == 0
    hook = hooks(shop) / "commit-msg"
    edited = hook.read_bytes() + b"echo 'our own addition'\n"
    hook.write_bytes(edited)

    result = djgate("install", "--hook", "commit-msg")
    assert "was edited since djgate installed it" in result.out
    assert (hooks(shop) / "commit-msg.djgate-edited").read_bytes() == edited
    assert hook.read_bytes() == packaged("commit-msg")

    hook.write_bytes(edited)
    result = djgate("uninstall", "--hook", "commit-msg")
    assert (hooks(shop) / "commit-msg.djgate-edited.2").read_bytes() == edited
    assert not hook.exists()


def test_install_refuses_to_double_the_pre_commit_framework(shop: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    framework = b"#!/usr/bin/env bash\n# File generated by pre-commit: https://pre-commit.com\nexit 0\n"
    write_hook(hooks(shop), "pre-commit", framework)

    result = djgate("install")
    assert result.code == 2
    assert "pre-commit framework's hook" in result.err and "--force" in result.err
    assert listing(hooks(shop)) == {"pre-commit": (framework, 0o755)}

    assert djgate("install", "--force").code == 0
    assert (hooks(shop) / "pre-commit.djgate-backup").read_bytes() == framework
