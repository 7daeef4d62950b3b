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
from djgate.install import hooks_dir, render

log = logging.getLogger(__name__)
PROJECT = Path(__file__).parent / "project"
CODE_RE = re.compile(r"\bDJG\d{3}\b")
GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "djgate demo",
    "GIT_AUTHOR_EMAIL": "demo@djgate.invalid",
    "GIT_COMMITTER_NAME": "djgate demo",
    "GIT_COMMITTER_EMAIL": "demo@djgate.invalid",
}


NOTE_MIGRATION = """from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("orders", "0001_initial")]

    operations = [
        migrations.AddField(model_name="order", name="note", field=models.TextField(blank=True)),
    ]
"""
BACKFILL_MIGRATION = """from django.db import migrations


def backfill(apps, schema_editor):
    apps.get_model("billing", "Invoice").objects.filter(total=None).update(total=0)


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial")]

    operations = [migrations.RunPython(backfill)]
"""
UNTYPED_SERVICE = """

def invoice_total(invoice, rate):
    return invoice.total * rate
"""
N_PLUS_ONE_SELECTOR = """from orders.models import Order


def invoice_counts() -> dict[str, int]:
    return {order.reference: order.invoices.count() for order in Order.objects.all()}
"""
REMOVE_FIELD_MIGRATION = """from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("orders", "0002_order_note")]

    operations = [migrations.RemoveField(model_name="order", name="created")]
"""
PRINT_VIEW = """

def debug_order(request, pk):
    print("looking up order", pk)
    return order_detail(request, pk)
"""


@dataclass(frozen=True)
class Step:
    title: str
    message: str
    appends: dict[str, str] = field(default_factory=dict)  # path -> text appended to it (created if new)
    replaces: dict[str, tuple[str, str]] = field(default_factory=dict)  # path -> (old text, new text)
    reference: str | None = "SHOP-1"  # the task reference of the `Refs:` trailer (DJG109), None for none
    needs_django: bool = False  # only meaningful when the demo project's interpreter has Django


STEPS = (
    Step(
        "a model change with its migration",
        "feat(orders): add a note to orders",
        {
            "orders/models.py": "    note = models.TextField(blank=True)\n",
            "orders/migrations/0002_order_note.py": NOTE_MIGRATION,
        },
    ),
    Step(
        "a header that is not type(scope): summary",
        "Added the invoice rounding",
        {"billing/services.py": "ROUNDING = 2\n"},
    ),
    Step(
        "a scope that is no app",
        "feat(invoices): add the invoice rounding",
        {"billing/services.py": "ROUNDING = 2\n"},
    ),
    Step(
        "two apps in one commit",
        "feat(orders): add currencies",
        {"orders/services.py": "CURRENCY = 'EUR'\n", "billing/services.py": "CURRENCY = 'EUR'\n"},
    ),
    Step(
        "a scope naming another app than the one changed",
        "fix(orders): round invoice totals",
        {"billing/services.py": "ROUNDING = 2\n"},
    ),
    Step(
        "the same change, scoped to its app",
        "fix(billing): round invoice totals",
        {"billing/services.py": "ROUNDING = 2\n"},
    ),
    Step(
        "a model change without its migration",
        "feat(orders): add a discount",
        {"orders/models.py": "    discount = models.PositiveIntegerField(default=0)\n"},
        needs_django=True,
    ),
    Step(
        "a data migration that cannot be unapplied",
        "feat(billing): backfill invoice totals",
        {"billing/migrations/0002_backfill_totals.py": BACKFILL_MIGRATION},
    ),
    Step(
        "a migration already committed, edited",
        "fix(orders): tidy the first migration",
        {"orders/migrations/0001_initial.py": "\nSTATUS = 'draft'\n"},
    ),
    Step(
        "a hardcoded SECRET_KEY",
        "chore(deps): set the secret key",
        {"shop/settings.py": 'SECRET_KEY = "django-insecure-5x!q$l0v3+8rk_wz2^c1m#p7e9d4j6"\n'},
    ),
    Step(
        "a print() left in a view",
        "fix(orders): trace order lookups",
        {"orders/views.py": PRINT_VIEW},
    ),
    Step(
        "a message without its task reference",
        "fix(billing): round invoice totals again",
        {"billing/services.py": "ROUNDING = 2\n"},
        reference=None,
    ),
    Step(
        "an untyped function in the service layer",
        "feat(billing): compute invoice totals",
        {"billing/services.py": UNTYPED_SERVICE},
    ),
    Step(
        "a loop that queries once per row",
        "feat(billing): count invoices per order",
        {"billing/selectors.py": N_PLUS_ONE_SELECTOR},
    ),
    Step(
        "a column dropped while the running release reads it",
        "refactor(orders): drop the creation date",
        {"orders/migrations/0003_remove_order_created.py": REMOVE_FIELD_MIGRATION},
        {"orders/models.py": ("    created = models.DateTimeField(auto_now_add=True)\n", "")},
    ),
)


def django_available() -> bool:
    """Django importable by this interpreter, which the demo then uses as the project's."""
    import importlib.util

    return importlib.util.find_spec("django") is not None


def git(repo: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, text=True, check=False)


def make_repo(where: Path) -> Path:
    repo = where / "shop"
    shutil.copytree(PROJECT, repo, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    (repo / "gitignore").rename(repo / ".gitignore")
    pyproject = repo / "pyproject.toml"
    if django_available():  # the migration gate asks Django, in this interpreter
        text = pyproject.read_text(encoding="utf-8").replace(
            'ignore = ["DJG301"]', f"python = {json_str(sys.executable)}"
        )
        pyproject.write_text(text, encoding="utf-8")
    hooks = repo / ".djgate-hooks"
    hooks.mkdir()
    for template in hooks_dir().iterdir():  # as `djgate install` writes them: this Python recorded
        (hooks / template.name).write_bytes(render(template.read_bytes(), sys.executable))
        (hooks / template.name).chmod(0o755)
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
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_") and k not in ("DJGATE", "SKIP")}
    env.update(GIT_IDENTITY)
    # The hooks run this very djgate, whatever is on PATH (a path with spaces included).
    env["DJGATE_PYTHON"] = sys.executable
    env["NO_COLOR"] = "1"
    return env


def json_str(value: str) -> str:
    import json

    return json.dumps(value)  # a TOML basic string is a JSON string


def play(repo: Path, step: Step) -> tuple[bool, list[str], str]:
    env = demo_env()
    for path, text in step.appends.items():
        with open(repo / path, "a", encoding="utf-8") as handle:
            handle.write(text)
    for path, (old, new) in step.replaces.items():
        text = (repo / path).read_text(encoding="utf-8")
        (repo / path).write_text(text.replace(old, new), encoding="utf-8")
    git(repo, "add", "-A", env=env)
    trailer = ("-m", f"Refs: {step.reference}") if step.reference else ()
    result = git(repo, "commit", "-q", "-m", step.message, *trailer, env=env)
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
    with_django = django_available()
    for number, step in enumerate(STEPS, 1):
        if step.needs_django and not with_django:
            rows.append((str(number), step.title, step.message, "skipped", "needs Django"))
            continue
        accepted, codes, output = play(repo, step)
        verdict = ("warned" if codes else "accepted") if accepted else "refused"
        rows.append((str(number), step.title, step.message, verdict, " ".join(codes)))
        if verbose:
            click.echo(output.rstrip())
        failures += not accepted and not codes  # refused without a djgate code: something is broken
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    click.echo(f"djgate demo: commits to a small Django project (apps: orders, billing) at {repo}\n")
    for row in rows:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    click.echo(
        "\nEvery message carries its task reference in a `Refs: SHOP-1` trailer (DJG109 is configured);"
        "\n`warned`: accepted, with warnings to read. `djgate explain CODE` tells what a code means and how"
        " to fix it."
    )
    if not with_django:
        click.echo("DJG301 asks Django itself: `pip install django` here and rerun `djgate demo` to see it.")
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
