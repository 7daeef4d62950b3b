"""Judge the commit that will exist: `--amend`, a reword in `rebase -i`, the root commit. The hook's
verdict equals the verdict of `djgate check-range` on the commit that results, through the native hooks and
through the real pre-commit framework."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from .conftest import Repo, djgate_process
from .precommit_support import HookedRepo, RepoFactory

HOOK_IDS = ("djgate-commit-msg", "djgate-scope", "djgate-prepare-msg")


def range_codes(path: Path, spec: str) -> list[str]:
    """The codes check-range gives the commits of SPEC (every gate but DJG301, no Django here)."""
    result = djgate_process("check-range", spec, "--ignore", "DJG301", "--format", "json", cwd=path)
    assert result.returncode in (0, 1), result.stderr
    return sorted({f["code"] for f in json.loads(result.stdout)["findings"] if f["severity"] == "error"})


class Native:
    """The shop repository with `djgate install`'s hooks, git run as a developer runs it."""

    def __init__(self, repo: Repo) -> None:
        self.repo, self.path = repo, repo.path
        result = djgate_process("install", cwd=repo.path)
        assert result.returncode == 0, result.stderr

    def git(self, *args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
        environ = {k: v for k, v in os.environ.items() if k not in ("DJGATE", "SKIP")}
        environ.update({"DJGATE_PYTHON": sys.executable, "GIT_EDITOR": "true", **(env or {})})
        done = subprocess.run(
            ["git", *args], cwd=self.path, env=environ, capture_output=True, text=True, check=False
        )
        return done.returncode, done.stdout + done.stderr


@pytest.fixture(params=["native", "pre-commit"])
def hooked(request: pytest.FixtureRequest, shop: Repo, precommit_repo: RepoFactory) -> Any:
    if request.param == "native":
        return Native(shop)
    framework = precommit_repo(hooks=HOOK_IDS)
    framework.path = framework.path  # HookedRepo runs git in the hooks' environment
    return framework


def run(hooked: Any, *args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    if isinstance(hooked, HookedRepo):
        result = hooked.run_git(*args, env=env)
        return result.code, result.output
    return hooked.git(*args, env=env)  # type: ignore[no-any-return]


def put(hooked: Any, rel: str, text: str) -> None:
    path = hooked.path / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    subprocess.run(["git", "add", "--", rel], cwd=hooked.path, check=True)


def test_an_amend_is_judged_as_the_commit_it_makes(hooked: Any) -> None:
    put(hooked, "orders/refunds.py", "REFUNDS = 1\n")
    assert run(hooked, "commit", "-m", "feat(orders): add refunds")[0] == 0
    put(hooked, "billing/invoices.py", "INVOICES = 1\n")

    code, output = run(hooked, "commit", "--amend", "-m", "feat(billing): add invoices")

    assert code != 0 and "DJG201" in output  # the amended commit touches orders and billing
    assert run(hooked, "commit", "--amend", "--no-verify", "-m", "feat(billing): add invoices")[0] == 0
    assert "DJG201" in range_codes(hooked.path, "HEAD~1..HEAD")


def test_an_amend_that_only_rewords_is_judged_on_its_files(hooked: Any) -> None:
    put(hooked, "billing/invoices.py", "INVOICES = 1\n")
    assert run(hooked, "commit", "-m", "feat(billing): add invoices")[0] == 0

    code, output = run(hooked, "commit", "--amend", "-m", "feat(orders): add invoices")

    assert code != 0 and "DJG202" in output  # nothing staged, but the commit touches billing
    assert run(hooked, "commit", "--amend", "-m", "feat(billing): add the invoices")[0] == 0
    assert range_codes(hooked.path, "HEAD~1..HEAD") == []


def test_a_reword_in_rebase_is_judged(hooked: Any, tmp_path: Path) -> None:
    put(hooked, "billing/invoices.py", "INVOICES = 1\n")
    assert run(hooked, "commit", "-m", "feat(billing): add invoices")[0] == 0
    editor = tmp_path / "reword.sh"
    editor.write_text("#!/bin/sh\nprintf 'feat(orders): add invoices\\n' > \"$1\"\n")
    editor.chmod(0o755)
    env = {"GIT_SEQUENCE_EDITOR": "sed -i '1s/^pick/reword/'", "GIT_EDITOR": str(editor)}

    code, output = run(hooked, "rebase", "-i", "HEAD~1", env=env)

    assert code != 0 and "DJG202" in output
    run(hooked, "rebase", "--abort")


def test_the_root_commit_is_judged_on_its_message(repo: Repo) -> None:
    repo.app("orders")
    repo.app("billing")
    repo.write("shop/settings.py", "INSTALLED_APPS = ['orders', 'billing']\n")
    repo.write("pyproject.toml", '[tool.djgate]\nignore = ["DJG301"]\n')
    repo.stage()
    native = Native(repo)

    assert native.git("commit", "-m", "feat(orders): start the shop")[0] == 0  # both apps: the project starts
    assert native.git("commit", "--amend", "-m", "start the shop")[0] != 0  # DJG101 all the same
