"""Time the djgate-migrations hook (`djgate check-staged --family migrations`: DJG301-306) against
`python manage.py makemigrations --check --dry-run` on the same Django project, in one run.

    python bench/bench_migrations.py [--runs 15] [--warmup 2] [--apps 0]

The project is the test suite's (tests/django_project: startproject's settings and contrib apps, three apps
with a custom user model and ForeignKeys), committed in a temporary git repository; Django comes from the
test suite's cached environment (~/.cache/djgate-tests/, built on first use), found through `.venv`.
`--apps N` adds N generated apps (four models each, ForeignKeys to the user and to the previous app, an
admin module, their initial migration written by makemigrations), for a project of a more common size.

Scenarios, each its own repository, the two commands interleaved run by run so that drift in the machine's
load hits both alike:

- boot: a field and its migration staged, djgate's verdict cache emptied before each run (Django boots);
  the cache of file facts (import statements by object id) is kept, as it is from one commit to the next;
- refused: a field staged without its migration, verdict cache emptied (Django boots; both exit 1);
- cache hit: the boot scenario again with the cache kept (the same content was judged before);
- no model change: only orders/views.py staged (nothing can change the model state: Django is not booted).

Wall time and CPU time (user + system of the process and its children, from wait4) are both reported;
on a shared machine CPU time is the steadier of the two. Results also go to bench/results/migrations.json.
"""

from __future__ import annotations

import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from benchlib import (
    HERE,
    app_skeleton,
    commit_all,
    djgate_bin,
    git,
    out,
    parser,
    tool_env,
    write_files,
    write_results,
)

ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from tests.django_support import (  # noqa: E402
    DJANGO_VERSION,
    ORDER_NOTE_FIELD,
    ORDER_NOTE_MIGRATION,
    PROJECT,
    django_venv,
)

GOALS = {"boot": 1.2, "refused": 1.2, "cache hit": 0.2, "no model change": 0.2}


@dataclass
class Sample:
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)

    def add(self, wall: float, cpu: float) -> None:
        self.wall.append(wall)
        self.cpu.append(cpu)


@dataclass
class Scenario:
    name: str
    stage: Callable[[Path], None]
    cold: bool  # empty djgate's verdict cache before each djgate run
    expect: int  # the exit code both commands must give
    djgate: Sample = field(default_factory=Sample)
    makemigrations: Sample = field(default_factory=Sample)


def append(repo: Path, rel: str, text: str) -> None:
    with open(repo / rel, "a", encoding="utf-8") as handle:
        handle.write(text)


def stage_field_and_migration(repo: Path) -> None:
    append(repo, "orders/models.py", ORDER_NOTE_FIELD)
    (repo / "orders/migrations/0003_order_note.py").write_text(ORDER_NOTE_MIGRATION)
    git(repo, "add", "-A")


def stage_field_only(repo: Path) -> None:
    append(repo, "orders/models.py", ORDER_NOTE_FIELD)
    git(repo, "add", "-A")


def stage_view(repo: Path) -> None:
    append(repo, "orders/views.py", "\n\ndef total(request):\n    return count(request)\n")
    git(repo, "add", "-A")


def add_apps(repo: Path, venv: Path, count: int) -> None:
    """`count` more apps, their initial migrations written by Django's makemigrations."""
    labels = [f"app{i:02d}" for i in range(1, count + 1)]
    for i, label in enumerate(labels):
        previous = f'"{labels[i - 1]}.Item"' if i else '"catalog.Product"'
        files = app_skeleton(label)
        files[f"{label}/models.py"] = APP_MODELS.format(previous=previous)
        files[f"{label}/admin.py"] = (
            f"from django.contrib import admin\n\nfrom {label} import models\n\n"
            "admin.site.register([models.Customer, models.Item, models.Order, models.Line])\n"
        )
        write_files(repo, files)
    settings = repo / "mysite/settings.py"
    settings.write_text(
        settings.read_text().replace(
            '    "orders",\n', '    "orders",\n' + "".join(f"    {label!r},\n" for label in labels)
        )
    )
    subprocess.run(
        [str(venv / "bin/python"), "manage.py", "makemigrations", *labels],
        cwd=repo,
        check=True,
        capture_output=True,
    )


APP_MODELS = """from django.conf import settings
from django.db import models


class Customer(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="%(app_label)s_customers"
    )
    name = models.CharField(max_length=100)
    tier = models.CharField(max_length=10, choices=[("a", "A"), ("b", "B")], default="a")


class Item(models.Model):
    name = models.CharField(max_length=100, unique=True)
    price = models.DecimalField(max_digits=10, decimal_places=2)
    related = models.ForeignKey({previous}, null=True, on_delete=models.SET_NULL, related_name="+")


class Order(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT)
    items = models.ManyToManyField(Item, through="Line")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["created"])]


class Line(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE)
    item = models.ForeignKey(Item, on_delete=models.PROTECT)
    quantity = models.PositiveIntegerField(default=1)
"""


def make_repo(where: Path, venv: Path, stage: Callable[[Path], None], apps: int) -> Path:
    repo = where
    shutil.copytree(PROJECT, repo, ignore=shutil.ignore_patterns("__pycache__"))
    (repo / ".gitignore").write_text(".venv\n__pycache__/\ndb.sqlite3\n")
    (repo / ".venv").symlink_to(venv, target_is_directory=True)
    if apps:
        add_apps(repo, venv, apps)
    commit_all(repo)
    stage(repo)
    return repo


def run(cmd: list[str], cwd: Path, env: dict[str, str], expect: int) -> tuple[float, float]:
    """Wall and CPU seconds of one run (CPU: the process and the children it waited for)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read() if proc.stderr else b""
    if proc.returncode != expect:
        sys.exit(f"{' '.join(cmd)} exited {proc.returncode}, expected {expect}:\n{err.decode()}")
    return wall, usage.ru_utime + usage.ru_stime


def bench(scenario: Scenario, repo: Path, venv: Path, env: dict[str, str], runs: int, warmup: int) -> None:
    djgate = [str(djgate_bin()), "check-staged", "--family", "migrations"]
    makemigrations = [str(venv / "bin/python"), "manage.py", "makemigrations", "--check", "--dry-run"]
    cache = repo / ".git" / "djgate" / "django"
    for i in range(warmup + runs):
        if scenario.cold:
            shutil.rmtree(cache, ignore_errors=True)
        timed_djgate = run(djgate, repo, env, scenario.expect)
        timed_mm = run(makemigrations, repo, env, scenario.expect)
        if i >= warmup:
            scenario.djgate.add(*timed_djgate)
            scenario.makemigrations.add(*timed_mm)


def ratio(a: list[float], b: list[float]) -> float:
    return statistics.median(a) / statistics.median(b)


def report(scenarios: list[Scenario], runs: int, apps: int) -> dict[str, object]:
    out(
        f"djgate-migrations vs makemigrations --check --dry-run, {runs} runs each, interleaved; "
        f"{3 + apps} project apps; Django {DJANGO_VERSION}, Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs"
    )
    out()
    header = f"{'scenario':<17}{'djgate ms':>10}{'mm ms':>8}{'ratio':>7}{'cpu ratio':>10}{'goal':>7}"
    out(header)
    figures: dict[str, object] = {}
    for s in scenarios:
        wall = ratio(s.djgate.wall, s.makemigrations.wall)
        cpu = ratio(s.djgate.cpu, s.makemigrations.cpu)
        goal = GOALS[s.name]
        mark = "ok" if wall <= goal else "MISS"
        out(
            f"{s.name:<17}{statistics.median(s.djgate.wall) * 1000:>10.1f}"
            f"{statistics.median(s.makemigrations.wall) * 1000:>8.1f}{wall:>7.2f}{cpu:>10.2f}"
            f"{'<=' + str(goal):>7} {mark}"
        )
        figures[s.name] = {
            "djgate_ms": round(statistics.median(s.djgate.wall) * 1000, 1),
            "makemigrations_ms": round(statistics.median(s.makemigrations.wall) * 1000, 1),
            "djgate_cpu_ms": round(statistics.median(s.djgate.cpu) * 1000, 1),
            "makemigrations_cpu_ms": round(statistics.median(s.makemigrations.cpu) * 1000, 1),
            "ratio": round(wall, 3),
            "cpu_ratio": round(cpu, 3),
            "goal": goal,
        }
    return {
        "runs": runs,
        "project_apps": 3 + apps,
        "django": DJANGO_VERSION,
        "python": platform.python_version(),
        "scenarios": figures,
    }


def main(argv: list[str] | None = None) -> int:
    options = parser(__doc__, runs=15, warmup=2, hyperfine=False)
    options.add_argument("--apps", type=int, default=0, help="Generated apps added to the project.")
    args = options.parse_args(argv)

    venv = django_venv()
    env = tool_env("DJANGO_")
    env.pop("VIRTUAL_ENV", None)
    scenarios = [
        Scenario("boot", stage_field_and_migration, cold=True, expect=0),
        Scenario("refused", stage_field_only, cold=True, expect=1),
        Scenario("cache hit", stage_field_and_migration, cold=False, expect=0),
        Scenario("no model change", stage_view, cold=False, expect=0),
    ]
    with tempfile.TemporaryDirectory(prefix="djgate-bench-") as tmp:
        for i, scenario in enumerate(scenarios):
            repo = make_repo(Path(tmp) / f"project{i}", venv, scenario.stage, args.apps)
            bench(scenario, repo, venv, env, args.runs, args.warmup)
    summary = report(scenarios, args.runs, args.apps)
    write_results(f"migrations-{3 + args.apps}-apps.json" if args.apps else "migrations.json", summary)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
