"""Time `djgate check-range` against `gitlint --commits` and `cz check --rev-range` on the same range of a
generated Django repository (1,000 commits over 20 apps), several runs each, interleaved, medians.

    python bench/bench_range.py [--commits 1000] [--runs 5]

djgate runs from the environment running this script; gitlint and commitizen from bench/.venv-tools
(created or completed on first use). Results also go to bench/results/range.json.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import tempfile
from pathlib import Path

from benchlib import (
    check_all_accept,
    djgate_bin,
    ensure_tools,
    out,
    time_with_loop,
    tool_bin,
    tool_env,
    write_results,
)

TOOLS = {"gitlint": "gitlint==0.19.1", "cz": "commitizen==4.19.3"}
APPS = 20


def make_repo(where: Path, commits: int) -> tuple[Path, str]:
    """A Django layout with APPS apps, then `commits` conventional commits, each in one app, made with
    git fast-import (seconds, not minutes). Returns the repo and the base commit."""
    repo = where / "repo"
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    files = {"manage.py": "import os\n", "shop/__init__.py": "", "shop/settings.py": "DEBUG = False\n"}
    # Every static gate; DJG301 (Django's own verdict) would time Django boots, not the range machinery.
    files["pyproject.toml"] = (
        '[tool.commitizen]\nname = "cz_conventional_commits"\n\n[tool.djgate]\nignore = ["DJG301"]\n'
    )
    for i in range(1, APPS + 1):
        app = f"app{i:02d}"
        files[f"{app}/__init__.py"] = ""
        files[f"{app}/apps.py"] = (
            f"from django.apps import AppConfig\n\n\nclass C(AppConfig):\n    name = '{app}'\n"
        )
        files[f"{app}/migrations/__init__.py"] = ""
        files[f"{app}/models.py"] = "from django.db import models\n"
    stream: list[bytes] = []

    def blob(text: str) -> bytes:
        data = text.encode()
        return b"data %d\n%s\n" % (len(data), data)

    def commit(mark: int, message: str, changes: dict[str, str], when: int) -> None:
        stream.append(b"commit refs/heads/main\nmark :%d\n" % mark)
        stream.append(b"author Bench <bench@djgate.invalid> %d +0000\n" % when)
        stream.append(b"committer Bench <bench@djgate.invalid> %d +0000\n" % when)
        stream.append(blob(message))
        if mark > 1:
            stream.append(b"from :%d\n" % (mark - 1))
        for path, text in changes.items():
            stream.append(b"M 100644 inline %s\n" % path.encode() + blob(text))

    start = 1_700_000_000
    commit(1, "chore(deps): start the project\n\nThe layout every later commit builds on.\n", files, start)
    for n in range(1, commits + 1):
        app = f"app{(n % APPS) + 1:02d}"
        body = f"Adds field number {n} so that the benchmark has a body line.\n"
        changes = {f"{app}/models.py": f"from django.db import models\n# change {n}\nFIELD_{n} = {n}\n"}
        if n % 3 == 0:
            changes[f"{app}/views.py"] = f"def view_{n}(request):\n    return None\n"
        commit(n + 1, f"feat({app}): add field {n}\n\n{body}", changes, start + n)
    subprocess.run(["git", "fast-import", "--quiet"], cwd=repo, input=b"".join(stream), check=True)
    subprocess.run(["git", "checkout", "-q", "main"], cwd=repo, check=True)
    base = subprocess.run(
        ["git", "rev-list", "--max-parents=0", "HEAD"], cwd=repo, capture_output=True, text=True, check=True
    ).stdout.strip()
    return repo, base


def commands(spec: str) -> dict[str, list[str]]:
    return {
        "djgate check-range": [str(djgate_bin()), "check-range", spec],
        "gitlint --commits": [
            str(tool_bin("gitlint")),
            "--contrib",
            "contrib-title-conventional-commits",
            "--commits",
            spec,
        ],
        "cz check --rev-range": [str(tool_bin("cz")), "check", "--rev-range", spec],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commits", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    ensure_tools(TOOLS)
    env = tool_env()
    with tempfile.TemporaryDirectory(prefix="djgate-bench-range-") as where:
        repo, base = make_repo(Path(where), args.commits)
        spec = f"{base}..HEAD"
        cmds = commands(spec)
        check_all_accept(cmds, repo, env, "the range")
        timings = time_with_loop(cmds, repo, env, args.runs, warmup=0)
    times = {t.tool: t.times for t in timings}
    medians = {t.tool: t.median for t in timings}
    gitlint = medians["gitlint --commits"]
    python, cores = platform.python_version(), os.cpu_count()
    out(f"{args.commits} commits, {args.runs} runs each, {python}, {cores} cores\n")
    out(f"| {'tool':<22} | median s | min s | max s | commits/s | vs gitlint |")
    out(f"|{'-' * 24}|---------:|------:|------:|----------:|-----------:|")
    for name, t in times.items():
        rate = args.commits / medians[name]
        out(
            f"| {name:<22} | {medians[name]:8.2f} | {min(t):5.2f} | {max(t):5.2f} | {rate:9.0f} "
            f"| {medians[name] / gitlint:10.3f} |"
        )
    write_results(
        "range.json", {"commits": args.commits, "runs": args.runs, "times": times, "medians": medians}
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
