"""djgate under the real pre-commit framework, for end-to-end tests of every hook id.

The hook repository is a clone of this checkout (the directory above tests/) at its HEAD commit, so a clean
CI clone tests itself and uncommitted edits do not leak in. One PRE_COMMIT_HOME per test session: pre-commit
builds djgate's hook environment (a pip install of the clone) once, and every test reuses it.

Use it from a test module (the fixtures are registered in conftest.py):

    from .precommit_support import HookedRepo, RepoFactory

    def test_something(precommit_repo: RepoFactory) -> None:
        repo = precommit_repo(hooks=("djgate-secrets",))
        repo.write("orders/models.py", "...")
        repo.stage("orders/models.py")
        result = repo.hooked_commit("-m", "feat(orders): add a note")
        assert result.code == 1 and "DJG..." in result.output
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from .conftest import ROOT, Repo

HOOK_TYPES = ("pre-commit", "commit-msg", "prepare-commit-msg")  # always installed
# Stages that are git hooks: a repository gets these installed too when one of its hook ids runs there.
GIT_HOOK_STAGES = (
    "pre-commit",
    "pre-merge-commit",
    "prepare-commit-msg",
    "commit-msg",
    "post-commit",
    "pre-rebase",
    "post-checkout",
    "post-merge",
    "post-rewrite",
    "pre-push",
)
INSTALL_TIMEOUT = 900  # seconds: pre-commit pip-installs djgate from the clone, once per session
COMMIT_TIMEOUT = 120

# A scripted editor: it keeps a copy of the file git opened, then either completes the first line with
# $DJGATE_TEST_EDITOR_APPEND or replaces the message with $DJGATE_TEST_EDITOR_MESSAGE (or leaves it).
EDITOR_SCRIPT = """#!/bin/sh
cp "$1" "$DJGATE_TEST_EDITOR_SEEN"
if [ -n "$DJGATE_TEST_EDITOR_MESSAGE" ]; then
    printf '%s\\n' "$DJGATE_TEST_EDITOR_MESSAGE" > "$1"
elif [ -n "$DJGATE_TEST_EDITOR_APPEND" ]; then
    { printf '%s%s\\n' "$(head -n 1 "$1")" "$DJGATE_TEST_EDITOR_APPEND"; tail -n +2 "$1"; } > "$1.djgate-test"
    mv "$1.djgate-test" "$1"
fi
"""

APP_FILES = {
    "__init__.py": "",
    "apps.py": "from django.apps import AppConfig\n\n\nclass {cls}Config(AppConfig):\n    name = {name!r}\n",
    "models.py": "from django.db import models\n",
    "migrations/__init__.py": "",
}
PROJECT_FILES = {
    "manage.py": "#!/usr/bin/env python\nimport os\n\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'shop.settings')\n",
    "shop/__init__.py": "",
    "shop/settings.py": "INSTALLED_APPS = ['orders', 'billing']\n",
    "shop/urls.py": "urlpatterns = []\n",
    "README.md": "# shop\n",
    "pyproject.toml": '[tool.djgate]\nextra_scopes = ["deps", "ci"]\n',
}


@dataclass(frozen=True)
class HookSource:
    """The hook repository pre-commit installs djgate from, and the session's PRE_COMMIT_HOME."""

    clone: Path
    rev: str
    home: Path
    manifest: Mapping[str, Mapping[str, Any]]  # hook id -> its entry in .pre-commit-hooks.yaml

    def env(self, **extra: str) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            PRE_COMMIT_HOME=str(self.home),
            PIP_DISABLE_PIP_VERSION_CHECK="1",
            GIT_EDITOR="false",  # a commit that opens an editor unasked fails instead of hanging
        )
        env.update(extra)
        return env

    def config(self, hooks: Sequence[str], args: Mapping[str, Sequence[str]] | None = None) -> str:
        """A .pre-commit-config.yaml using these hook ids of the clone (with optional args per id)."""
        entries: list[dict[str, Any]] = []
        for hook_id in hooks:
            if hook_id not in self.manifest:
                raise AssertionError(f"{hook_id} is not in .pre-commit-hooks.yaml: {sorted(self.manifest)}")
            entry: dict[str, Any] = {"id": hook_id}
            if args and hook_id in args:
                entry["args"] = list(args[hook_id])
            entries.append(entry)
        repos = {"repos": [{"repo": str(self.clone), "rev": self.rev, "hooks": entries}]}
        return str(yaml.safe_dump(repos, sort_keys=False))

    def name_of(self, hook_id: str) -> str:
        """The name pre-commit prints for a hook (`<name>....Passed`)."""
        return str(self.manifest[hook_id]["name"])

    def precommit(self, *args: str, cwd: Path, timeout: int = COMMIT_TIMEOUT) -> str:
        result = subprocess.run(
            [sys.executable, "-m", "pre_commit", *args],
            cwd=cwd,
            env=self.env(),
            capture_output=True,
            text=True,
            check=False,
            timeout=timeout,
        )
        if result.returncode != 0:
            raise AssertionError(f"pre-commit {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
        return result.stdout


@dataclass
class CommitResult:
    code: int
    output: str  # stdout and stderr of `git commit`, hooks included


@dataclass
class Editor:
    """GIT_EDITOR for a test: what git opened is kept in `seen`."""

    script: Path
    seen: Path

    def env(self, append: str = "", message: str = "") -> dict[str, str]:
        return {
            "GIT_EDITOR": str(self.script),
            "DJGATE_TEST_EDITOR_SEEN": str(self.seen),
            "DJGATE_TEST_EDITOR_APPEND": append,
            "DJGATE_TEST_EDITOR_MESSAGE": message,
        }

    def seen_text(self) -> str:
        return self.seen.read_text(encoding="utf-8")


def make_editor(where: Path) -> Editor:
    where.mkdir(parents=True, exist_ok=True)
    script = where / "editor.sh"
    script.write_text(EDITOR_SCRIPT)
    script.chmod(0o755)
    return Editor(script, where / "seen.txt")


@dataclass
class HookedRepo(Repo):
    """A Django-layout repository (apps orders and billing, project package shop) with djgate's hooks
    installed by `pre-commit install`."""

    source: HookSource = field(kw_only=True)

    def _run(self, command: Sequence[str], env: Mapping[str, str] | None) -> CommitResult:
        """A command here, in the hooks' environment (plus `env`): its exit code and its output."""
        result = subprocess.run(
            command,
            cwd=self.path,
            env=self.source.env(**(env or {})),
            capture_output=True,
            text=True,
            check=False,
            timeout=COMMIT_TIMEOUT,
        )
        return CommitResult(result.returncode, result.stdout + result.stderr)

    def run_git(self, *args: str, env: Mapping[str, str] | None = None) -> CommitResult:
        return self._run(["git", *args], env)

    def hooked_commit(self, *args: str, env: Mapping[str, str] | None = None) -> CommitResult:
        """`git commit ARGS` with the hooks running, as a developer would type it."""
        return self.run_git("commit", *args, env=env)

    def run_precommit(self, *args: str, env: Mapping[str, str] | None = None) -> CommitResult:
        """`pre-commit ARGS` here, e.g. `run --hook-stage manual djgate-range --from-ref A --to-ref B`."""
        return self._run([sys.executable, "-m", "pre_commit", *args], env)

    def add_remote(self, name: str = "origin") -> Path:
        """A bare repository as remote `name`, holding the current branch (pushed without hooks)."""
        bare = self.path.parent / f"{self.path.name}-{name}.git"
        subprocess.run(["git", "init", "-q", "--bare", str(bare)], check=True, capture_output=True)
        self.git("remote", "add", name, str(bare))
        self.git("push", "-q", "--no-verify", "-u", name, "HEAD")
        return bare

    def head(self) -> str:
        return self.git("rev-parse", "HEAD").strip()

    def head_message(self) -> str:
        return self.git("log", "-1", "--format=%B").rstrip("\n")

    def commit_editmsg(self) -> str:
        return (self.path / ".git" / "COMMIT_EDITMSG").read_text(encoding="utf-8")


def write_django_layout(repo: Repo) -> None:
    for app in ("orders", "billing"):
        for rel, text in APP_FILES.items():
            repo.write(f"{app}/{rel}", text.format(cls=app.title(), name=app))
    for rel, text in PROJECT_FILES.items():
        repo.write(rel, text)


def clone_checkout(dest: Path) -> tuple[Path, str]:
    """A clone of the checkout the tests run from, at its HEAD commit (uncommitted edits are left out)."""
    if not (ROOT / ".git").exists():
        pytest.skip(f"{ROOT} is not a git checkout: the pre-commit tests install djgate from its HEAD commit")
    rev = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    subprocess.run(["git", "clone", "-q", "--no-checkout", str(ROOT), str(dest)], check=True)
    subprocess.run(["git", "checkout", "-q", "-B", "djgate-under-test", rev], cwd=dest, check=True)
    return dest, rev


@pytest.fixture(scope="session")
def precommit_source(isolated_git: None, tmp_path_factory: pytest.TempPathFactory) -> HookSource:
    """This checkout's HEAD as a pre-commit hook repository, its hook environment built once."""
    clone, rev = clone_checkout(tmp_path_factory.mktemp("djgate-clone") / "djgate")
    manifest_path = clone / ".pre-commit-hooks.yaml"
    manifest = {hook["id"]: hook for hook in yaml.safe_load(manifest_path.read_text(encoding="utf-8"))}
    source = HookSource(clone, rev, tmp_path_factory.mktemp("pre-commit-home"), manifest)
    source.precommit("validate-manifest", str(manifest_path), cwd=clone)
    warmup = Repo(tmp_path_factory.mktemp("warmup"))
    warmup.git("init", "-q")
    warmup.write(".pre-commit-config.yaml", source.config(list(manifest)))
    warmup.stage()
    warmup.commit()
    source.precommit("install-hooks", cwd=warmup.path, timeout=INSTALL_TIMEOUT)
    return source


RepoFactory = Callable[..., HookedRepo]


@pytest.fixture(scope="session")
def _precommit_templates() -> dict[tuple[Any, ...], Path]:
    return {}


@pytest.fixture
def precommit_repo(
    precommit_source: HookSource,
    _precommit_templates: dict[tuple[Any, ...], Path],
    tmp_path: Path,
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> RepoFactory:
    """Make a committed Django-layout repository with the given djgate hook ids installed (and args
    per id, e.g. `{"djgate-scope": ["--select", "DJG201"]}`): `pre-commit install` for the pre-commit,
    commit-msg and prepare-commit-msg hook types, plus any other git hook a chosen id runs at (pre-push).

    Built once per (hooks, args) in the session, then copied for each test: the copy is yours to change.
    """

    def make(*, hooks: Sequence[str], args: Mapping[str, Sequence[str]] | None = None) -> HookedRepo:
        key = (tuple(hooks), tuple(sorted((k, tuple(v)) for k, v in (args or {}).items())))
        if key not in _precommit_templates:
            template = Repo(tmp_path_factory.mktemp("precommit-template"))
            template.git("init", "-q")
            write_django_layout(template)
            template.write(".pre-commit-config.yaml", precommit_source.config(hooks, args))
            template.stage()
            template.commit("chore(deps): start the shop project")
            stages = [s for h in hooks for s in precommit_source.manifest[h].get("stages", ())]
            wanted = dict.fromkeys([*HOOK_TYPES, *(s for s in stages if s in GIT_HOOK_STAGES)])
            hook_types = [arg for hook_type in wanted for arg in ("--hook-type", hook_type)]
            precommit_source.precommit("install", *hook_types, cwd=template.path)
            _precommit_templates[key] = template.path
        path = tmp_path / "shop"
        shutil.copytree(_precommit_templates[key], path, symlinks=True)
        monkeypatch.chdir(path)
        return HookedRepo(path, source=precommit_source)

    return make
