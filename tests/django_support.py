"""A real Django project for the migration tests, and an environment with Django from PyPI to boot it.

The environment is built once and kept across test runs under ~/.cache/djgate-tests/ (or
$DJGATE_TEST_CACHE), one per Django version and Python version; a test repository finds it the way a
user's does, through a `.venv` symlink at its root (djgate's `.venv` rule).

The project (tests/django_project) is what `django-admin startproject` and `startapp` write, with three
apps: accounts (the custom user model, AUTH_USER_MODEL), catalog (Product, whose `currency` choices come
from settings.CURRENCIES and whose `price` is a field class from catalog/fields.py) and orders (Order, with
a ForeignKey to each), and the migrations `makemigrations` wrote for them.
"""

from __future__ import annotations

import fcntl
import functools
import os
import shutil
import subprocess
import sys
from pathlib import Path

from .conftest import Repo

DJANGO_VERSION = "5.2.19"
PROJECT = Path(__file__).parent / "django_project"
CACHE = Path(os.environ.get("DJGATE_TEST_CACHE") or Path.home() / ".cache" / "djgate-tests")
GITIGNORE = ".venv\n__pycache__/\ndb.sqlite3\n"
# What makemigrations writes for `note = models.TextField(blank=True)` on Order.
ORDER_NOTE_MIGRATION = """from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("orders", "0002_order_status")]

    operations = [
        migrations.AddField(model_name="order", name="note", field=models.TextField(blank=True)),
    ]
"""
ORDER_NOTE_FIELD = "    note = models.TextField(blank=True)\n"


@functools.cache
def django_venv() -> Path:
    """A virtual environment with Django from PyPI: built on first use (under a lock, so parallel
    sessions build it once), then reused by every later test run."""
    python = f"py{sys.version_info.major}.{sys.version_info.minor}"
    venv = CACHE / f"django-{DJANGO_VERSION}-{python}"
    done = venv / ".djgate-tests-complete"
    if done.exists():
        return venv
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            shutil.rmtree(venv, ignore_errors=True)
            subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "pip",
                    "--python",
                    str(venv / "bin" / "python"),
                    "install",
                    "-q",
                    "--disable-pip-version-check",
                    f"Django=={DJANGO_VERSION}",
                ],
                check=True,
            )
            done.write_text(DJANGO_VERSION)
    return venv


def bare_venv(where: Path) -> Path:
    """A virtual environment without Django (nor pip): a project interpreter that cannot boot it."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(where)], check=True)
    return where / "bin" / "python"


def write_project(repo: Repo, venv: Path | None = None) -> None:
    """The Django project, committed, with `.venv` pointing at the environment (ignored by git)."""
    shutil.copytree(PROJECT, repo.path, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__"))
    repo.write(".gitignore", GITIGNORE)
    if venv is not None:
        (repo.path / ".venv").symlink_to(venv, target_is_directory=True)
    repo.stage()
    repo.commit("chore(deps): start the project")


def append(repo: Repo, rel: str, text: str) -> None:
    with open(repo.path / rel, "a", encoding="utf-8") as handle:
        handle.write(text)
