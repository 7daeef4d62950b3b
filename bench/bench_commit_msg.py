"""Time djgate's commit-msg hook against gitlint and conventional-pre-commit on the same message, in the
same generated Django repository (20 apps, 5 staged files), with several runs and medians.

    python bench/bench_commit_msg.py [--runs 20] [--warmup 3] [--no-hyperfine]

Each tool runs from its own installed entry point: djgate from the environment running this script,
gitlint and conventional-pre-commit from bench/.venv-tools (created on first use). hyperfine does the
timing when it is on PATH; otherwise a plain loop with time.perf_counter. Results also go to
bench/results/commit_msg.json.
"""

from __future__ import annotations

import platform
import tempfile
from pathlib import Path

from benchlib import (
    Timing,
    app_skeleton,
    check_all_accept,
    commit_all,
    djgate_bin,
    ensure_tools,
    git,
    out,
    parser,
    time_commands,
    timing_table,
    tool_bin,
    tool_env,
    write_files,
    write_results,
)

TOOLS = {"gitlint": "gitlint==0.19.1", "conventional-pre-commit": "conventional-pre-commit==4.4.0"}
TYPES = ("feat", "fix", "refactor", "perf", "test", "docs", "style", "build", "ci", "chore", "revert")
MESSAGE = """feat(app07): refund an order from the admin

The refund creates a credit note and re-opens the order, so that
support can act without a database console.

Refs: #1234
"""
APP_FILES = ("models.py", "views.py", "admin.py", "urls.py", "tests.py")


def make_repo(where: Path, apps: int, staged: int) -> tuple[Path, Path, list[str]]:
    """A committed Django project with `apps` apps, `staged` files of one app changed and staged."""
    repo = where / "project"
    labels = [f"app{i:02d}" for i in range(1, apps + 1)]
    files: dict[str, str] = {
        "manage.py": "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'project.settings')\n",
        "project/__init__.py": "",
        "project/settings.py": f"INSTALLED_APPS = {labels!r}\n",
        "project/urls.py": "urlpatterns = []\n",
        "README.md": "# project\n",
    }
    for label in labels:
        files.update(app_skeleton(label))
        for name in APP_FILES:
            files[f"{label}/{name}"] = "".join(f"def {label}_{i}():\n    return {i}\n\n" for i in range(40))
    write_files(repo, files)
    commit_all(repo)
    changed = [f"app07/{name}" for name in APP_FILES[:staged]]
    for rel in changed:
        with open(repo / rel, "a") as handle:
            handle.write(
                "".join(f"def refund_{i}(order):\n    return order.total * {i}\n\n" for i in range(10))
            )
    git(repo, "add", *changed)
    message = where / "COMMIT_EDITMSG"
    message.write_text(MESSAGE)
    return repo, message, labels


def commands(message: Path, labels: list[str]) -> dict[str, list[str]]:
    return {
        "djgate": [str(djgate_bin()), "check-msg", str(message)],
        "gitlint": [
            str(tool_bin("gitlint")),
            "--contrib",
            "contrib-title-conventional-commits",
            "--msg-filename",
            str(message),
        ],
        "conventional-pre-commit": [
            str(tool_bin("conventional-pre-commit")),
            "--no-color",
            "--force-scope",
            "--scopes",
            ",".join(labels),
            *TYPES,
            str(message),
        ],
    }


def report(timings: list[Timing], method: str, runs: int, apps: int, staged: int) -> dict[str, object]:
    python = platform.python_version()
    out(f"commit-msg hook, {runs} runs each ({method}); {apps} apps, {staged} staged files; python {python}")
    out()
    ratio = timing_table(timings, "gitlint", goal=1.0)
    return {
        "method": method,
        "runs": runs,
        "apps": apps,
        "staged_files": staged,
        "python": python,
        "medians_ms": {t.tool: round(t.median * 1000, 2) for t in timings},
        "ratio_djgate_gitlint": round(ratio, 3),
    }


def main(argv: list[str] | None = None) -> int:
    options = parser(__doc__, runs=20, warmup=3)
    options.add_argument("--apps", type=int, default=20)
    options.add_argument("--files", type=int, default=5, choices=range(1, len(APP_FILES) + 1))
    args = options.parse_args(argv)

    ensure_tools(TOOLS)
    env = tool_env()
    with tempfile.TemporaryDirectory(prefix="djgate-bench-") as tmp:
        where = Path(tmp)
        repo, message, labels = make_repo(where, args.apps, args.files)
        cmds = commands(message, labels)
        check_all_accept(cmds, repo, env, "the benchmark message")
        timings, method = time_commands(
            cmds, repo, env, args.runs, args.warmup, where, hyperfine=not args.no_hyperfine
        )
    write_results("commit_msg.json", report(timings, method, args.runs, args.apps, args.files))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
