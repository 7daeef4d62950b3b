"""`djgate demo`: a bundled Django project in a temporary repository, djgate's native git hooks installed,
and a scripted series of commits, some accepted and some refused, shown as a table."""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import click

from djgate.errors import DjgateError
from djgate.install import hooks_dir

log = logging.getLogger(__name__)
PROJECT = Path(__file__).parent / "project"
CODE_RE = re.compile(r"\bDJG\d{3}\b")
GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "djgate demo",
    "GIT_AUTHOR_EMAIL": "demo@djgate.invalid",
    "GIT_COMMITTER_NAME": "djgate demo",
    "GIT_COMMITTER_EMAIL": "demo@djgate.invalid",
}


@dataclass(frozen=True)
class Step:
    title: str
    message: str
    appends: dict[str, str] = field(default_factory=dict)  # path -> text appended to it


STEPS = (
    Step(
        "a model change in one app",
        "feat(orders): add a note to orders",
        {"orders/models.py": "    note = models.TextField(blank=True)\n"},
    ),
    Step(
        "a header that is not type(scope): summary",
        "Added the invoice due date",
        {"billing/models.py": "    due = models.DateField(null=True)\n"},
    ),
    Step(
        "a scope that is no app",
        "feat(invoices): add the invoice due date",
        {"billing/models.py": "    due = models.DateField(null=True)\n"},
    ),
    Step(
        "two apps in one commit",
        "feat(orders): add currencies",
        {
            "orders/models.py": "    currency = models.CharField(max_length=3, default='EUR')\n",
            "billing/models.py": "    currency = models.CharField(max_length=3, default='EUR')\n",
        },
    ),
    Step(
        "a scope naming another app than the one changed",
        "fix(orders): round invoice totals",
        {"billing/models.py": "    rounded = models.BooleanField(default=True)\n"},
    ),
    Step(
        "the same change, scoped to its app",
        "fix(billing): round invoice totals",
        {"billing/models.py": "    rounded = models.BooleanField(default=True)\n"},
    ),
)


def git(repo: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, text=True, check=False)


def make_repo(where: Path) -> Path:
    repo = where / "shop"
    shutil.copytree(PROJECT, repo, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    (repo / "gitignore").rename(repo / ".gitignore")
    hooks = repo / ".djgate-hooks"
    shutil.copytree(hooks_dir(), hooks)
    for hook in hooks.iterdir():
        hook.chmod(0o755)
    for args in (
        ("init", "-q", "-b", "main"),
        ("config", "core.hooksPath", ".djgate-hooks"),
        ("add", "-A"),
        ("commit", "-q", "--no-verify", "-m", "chore(deps): start the shop project"),
    ):
        result = git(repo, *args, env=demo_env())
        if result.returncode != 0:
            raise DjgateError(f"git {args[0]} failed in the demo repository: {result.stderr.strip()}")
    return repo


def demo_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_IDENTITY)
    # The hooks run this very djgate, whatever is on PATH.
    env["DJGATE"] = f"{sys.executable} -m djgate"
    env["NO_COLOR"] = "1"
    return env


def play(repo: Path, step: Step) -> tuple[bool, list[str], str]:
    env = demo_env()
    for path, text in step.appends.items():
        with open(repo / path, "a", encoding="utf-8") as handle:
            handle.write(text)
    git(repo, "add", "-A", env=env)
    result = git(repo, "commit", "-q", "-m", step.message, env=env)
    output = result.stdout + result.stderr
    accepted = result.returncode == 0
    if not accepted:  # leave the tree as the last accepted commit left it
        git(repo, "reset", "-q", "--hard", "HEAD", env=env)
    return accepted, sorted(set(CODE_RE.findall(output))), output


def run_demo(keep: bool = True, verbose: bool = False) -> int:
    where = Path(tempfile.mkdtemp(prefix="djgate-demo-"))
    repo = make_repo(where)
    rows = [("#", "what the commit does", "message", "result", "codes")]
    failures = 0
    for number, step in enumerate(STEPS, 1):
        accepted, codes, output = play(repo, step)
        rows.append(
            (str(number), step.title, step.message, "accepted" if accepted else "refused", " ".join(codes))
        )
        if verbose:
            click.echo(output.rstrip())
        failures += not accepted and not codes  # refused without a djgate code: something is broken
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    click.echo(f"djgate demo: commits to a small Django project (apps: orders, billing) at {repo}\n")
    for row in rows:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    click.echo("\n`djgate explain CODE` tells what a code means and how to fix it.")
    if keep:
        click.echo(f"The repository stays at {repo}: try `git commit` there (hooks are installed).")
    else:
        shutil.rmtree(where, ignore_errors=True)
    if failures:
        click.echo(
            "djgate demo: a commit was refused for a reason that is not djgate's; rerun with -v", err=True
        )
        return 2
    return 0
