"""Fixtures: real git repositories in temp dirs, and djgate run the way a hook runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from djgate.console import main

ROOT = Path(__file__).resolve().parents[1]
# Fixtures for end-to-end tests through the real pre-commit framework (precommit_source, precommit_repo).
pytest_plugins = ("tests.precommit_support",)


@pytest.fixture(autouse=True, scope="session")
def isolated_git(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """No user or system git config leaks into the tests, and no hook environment either."""
    home = tmp_path_factory.mktemp("home")
    gitconfig = home / ".gitconfig"
    gitconfig.write_text(
        "[user]\n\tname = djgate tests\n\temail = tests@djgate.invalid\n"
        "[init]\n\tdefaultBranch = main\n[advice]\n\tdetachedHead = false\n"
        '[protocol "file"]\n\tallow = always\n'
    )
    saved = dict(os.environ)
    for key in list(os.environ):
        if key.startswith(("GIT_", "PRE_COMMIT")) or key in ("NO_COLOR", "VIRTUAL_ENV"):
            del os.environ[key]
    # DJGATE_DEBUG: a bug raises its traceback in the tests instead of djgate's one-line internal error.
    os.environ.update({"GIT_CONFIG_GLOBAL": str(gitconfig), "GIT_CONFIG_NOSYSTEM": "1", "DJGATE_DEBUG": "1"})
    yield
    os.environ.clear()
    os.environ.update(saved)


@dataclass
class Repo:
    path: Path

    def git(self, *args: str, check: bool = True, input: str | None = None) -> str:
        result = subprocess.run(
            ["git", *args], cwd=self.path, capture_output=True, text=True, check=False, input=input
        )
        if check and result.returncode != 0:
            raise AssertionError(f"git {' '.join(args)} failed: {result.stderr}")
        return result.stdout

    def write(self, rel: str, content: str | bytes = "") -> Path:
        path = self.path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return path

    def stage(self, *rels: str) -> None:
        self.git("add", "--", *rels) if rels else self.git("add", "-A")

    def put(self, rel: str, content: str | bytes) -> None:
        """Write a file and stage it."""
        self.write(rel, content)
        self.stage(rel)

    def commit(self, message: str = "chore(deps): setup") -> str:
        self.git("commit", "-q", "--no-verify", "--allow-empty", "-m", message)
        return self.git("rev-parse", "HEAD").strip()

    def app(self, root: str, label: str | None = None, name: str | None = None) -> None:
        """A Django app directory: __init__.py, apps.py (with name/label when given), models.py."""
        lines = ["from django.apps import AppConfig", "", "", "class Config(AppConfig):"]
        lines.append(f"    name = {name or root.replace('/', '.')!r}")
        if label:
            lines.append(f"    label = {label!r}")
        self.write(f"{root}/__init__.py")
        self.write(f"{root}/apps.py", "\n".join(lines) + "\n")
        self.write(f"{root}/models.py", "from django.db import models\n")


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Repo:
    path = tmp_path / "repo"
    path.mkdir()
    r = Repo(path)
    r.git("init", "-q")
    monkeypatch.chdir(path)
    return r


@pytest.fixture
def shop(repo: Repo) -> Repo:
    """A committed Django layout: apps orders and billing, the project package shop (neutral)."""
    repo.app("orders")
    repo.app("billing")
    repo.write("orders/migrations/__init__.py")
    repo.write("shop/__init__.py")
    repo.write("shop/settings.py", "INSTALLED_APPS = ['orders', 'billing']\n")
    repo.write("README.md", "# shop\n")
    repo.stage()
    repo.commit()
    return repo


@dataclass
class Run:
    code: int
    out: str
    err: str


@pytest.fixture
def djgate(capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    """Run the djgate CLI in this process, as `main()` would under a hook."""

    def run(*args: str) -> Run:
        capsys.readouterr()
        code = main(list(args))
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run


def family_findings(family: str, djgate, *args: str) -> list[dict[str, object]]:  # type: ignore[no-untyped-def]
    """The findings of `check-staged --family FAMILY ARGS` as JSON; djgate must not fail (exit 2)."""
    result = djgate("check-staged", "--family", family, "--format", "json", *args)
    assert result.code in (0, 1), result.err
    return json.loads(result.out)["findings"]  # type: ignore[no-any-return]


def family_codes(family: str, djgate, *args: str) -> list[tuple[object, object, object]]:  # type: ignore[no-untyped-def]
    """(code, path, line) of each finding of `check-staged --family FAMILY ARGS`."""
    return [(f["code"], f["path"], f["line"]) for f in family_findings(family, djgate, *args)]


def djgate_process(*args: str, cwd: Path, **kwargs: object) -> subprocess.CompletedProcess[str]:
    """djgate as a separate process, for what must be seen from outside (tracebacks, exit codes)."""
    return subprocess.run(
        [sys.executable, "-m", "djgate", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        **kwargs,  # type: ignore[arg-type]
    )


def write_msg(repo: Repo, message: str | bytes) -> str:
    path = repo.path / ".git" / "COMMIT_EDITMSG"
    path.write_bytes(message.encode() if isinstance(message, str) else message)
    return str(path)
