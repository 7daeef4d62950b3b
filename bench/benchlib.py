"""What the benchmark scripts of bench/ share: output, git, finding and installing the tools, checking that
every tool accepts the input, timing (hyperfine or a loop) and writing the results.

The scripts run as `python bench/NAME.py`, which puts this directory first on sys.path: they import this
module as `from benchlib import ...`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
import venv
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
TOOLS_VENV = HERE / ".venv-tools"  # git-ignored; every script's tools, each installed on first use


@dataclass
class Timing:
    tool: str
    command: list[str]
    times: list[float]  # seconds

    @property
    def median(self) -> float:
        return statistics.median(self.times)


def parser(doc: str | None, runs: int, warmup: int, hyperfine: bool = True) -> argparse.ArgumentParser:
    """The options every timing script takes: --runs, --warmup (and --no-hyperfine where it uses it)."""
    made = argparse.ArgumentParser(description=doc.split("\n\n")[0] if doc else None)
    made.add_argument("--runs", type=int, default=runs)
    made.add_argument("--warmup", type=int, default=warmup)
    if hyperfine:
        made.add_argument(
            "--no-hyperfine", action="store_true", help="Time with a loop even if hyperfine is there."
        )
    return made


def timing_table(timings: list[Timing], reference: str, goal: float, indent: str = "") -> float:
    """Print each tool's median, min and max and its ratio to `reference`, then djgate's ratio against the
    goal; return that ratio."""
    by_tool = {t.tool: t for t in timings}
    base = by_tool[reference].median
    width = max(len(t.tool) for t in timings) + 4
    column = f"vs {reference}"
    out(f"{indent}{'tool':<{width}}{'median ms':>10}{'min ms':>9}{'max ms':>9}{column:>{len(column) + 2}}")
    for t in timings:
        out(
            f"{indent}{t.tool:<{width}}{t.median * 1000:>10.1f}{min(t.times) * 1000:>9.1f}"
            f"{max(t.times) * 1000:>9.1f}{t.median / base:>{len(column) + 1}.2f}x"
        )
    ratio = by_tool["djgate"].median / base
    verdict = "meets" if ratio <= goal else "MISSES"
    out(f"{indent}djgate/{reference} median ratio: {ratio:.2f} ({verdict} the goal of <= {goal})")
    return ratio


def out(line: str = "") -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def tool_env(*drop: str) -> dict[str, str]:
    """The environment every timed tool runs in: no git or pre-commit hook variables (nor those starting
    with `drop`), no colors, and bytecode written, so that each tool runs compiled after the first run,
    as it does once installed (pip compiles at install; an editable install does not)."""
    prefixes = ("GIT_", "PRE_COMMIT", *drop)
    env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    env["NO_COLOR"] = "1"
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


APP_CONFIG = "from django.apps import AppConfig\n\n\nclass Config(AppConfig):\n    name = {label!r}\n"


def app_skeleton(label: str) -> dict[str, str]:
    """path -> text of a Django app's package, AppConfig and migrations package."""
    return {
        f"{label}/__init__.py": "",
        f"{label}/apps.py": APP_CONFIG.format(label=label),
        f"{label}/migrations/__init__.py": "",
    }


def write_files(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def commit_all(repo: Path, hook: list[str] | None = None) -> None:
    """`git init` the directory and commit everything in it; `hook`: a command run on the staged files
    first, as a pre-commit hook would (what it keeps for the next commit is then there, as in real use)."""
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    if hook:
        subprocess.run(hook, cwd=repo, capture_output=True, check=False)
    git(repo, "-c", "user.name=bench", "-c", "user.email=bench@djgate.invalid", "commit", "-q", "-m", "init")


def installed_bin(name: str, install: str = "pip install -e . (or run with its python)") -> Path:
    """`name`'s entry point beside the running Python, else on PATH; exits saying how to install it."""
    beside = Path(sys.executable).parent / name
    found = beside if beside.exists() else shutil.which(name)
    if not found:
        sys.exit(f"{name} is not installed in this environment: {install}")
    return Path(found)


def djgate_bin() -> Path:
    return installed_bin("djgate")


def tool_bin(name: str) -> Path:
    return TOOLS_VENV / "bin" / name


def ensure_tools(specs: dict[str, str]) -> None:
    """`specs`: entry point name -> pip spec. Installs into bench/.venv-tools (created on first use) the
    tools whose entry point is missing, leaving the others there."""
    missing = [spec for name, spec in specs.items() if not tool_bin(name).exists()]
    if not missing:
        return
    if not tool_bin("python").exists():
        out(f"creating {TOOLS_VENV} ...")
        venv.create(TOOLS_VENV, with_pip=True)
    out(f"installing {', '.join(missing)} into {TOOLS_VENV} ...")
    pip = [str(tool_bin("python")), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    result = subprocess.run([*pip, *missing], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        sys.exit(f"installing the tools failed:\n{result.stdout}{result.stderr}")


def check_all_accept(cmds: dict[str, list[str]], repo: Path, env: dict[str, str], what: str) -> None:
    """Every tool must accept `what` (the benchmark's input), so that each does its whole job and none
    exits early: otherwise the timing means nothing."""
    for tool, cmd in cmds.items():
        result = subprocess.run(cmd, cwd=repo, env=env, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            said = result.stdout + result.stderr
            sys.exit(f"{tool} refused {what} (exit {result.returncode}):\n{said}")


def time_with_hyperfine(
    cmds: dict[str, list[str]], repo: Path, env: dict[str, str], runs: int, warmup: int, where: Path
) -> list[Timing]:
    export = where / f"hyperfine-{repo.name}.json"
    args = ["hyperfine", "-N", "--style", "basic", "--runs", str(runs), "--warmup", str(warmup)]
    args += ["--export-json", str(export)]
    for tool, cmd in cmds.items():
        args += ["--command-name", tool, " ".join(cmd)]
    subprocess.run(args, cwd=repo, env=env, check=True, stdout=subprocess.DEVNULL)
    results = json.loads(export.read_text())["results"]
    return [Timing(tool, cmds[tool], r["times"]) for tool, r in zip(cmds, results, strict=True)]


def time_with_loop(
    cmds: dict[str, list[str]], repo: Path, env: dict[str, str], runs: int, warmup: int
) -> list[Timing]:
    timings = {tool: Timing(tool, cmd, []) for tool, cmd in cmds.items()}
    for i in range(warmup + runs):
        for tool, cmd in cmds.items():  # interleaved, so that drift in machine load hits every tool alike
            start = time.perf_counter()
            subprocess.run(cmd, cwd=repo, env=env, check=True, capture_output=True)
            if i >= warmup:
                timings[tool].times.append(time.perf_counter() - start)
    return list(timings.values())


def time_commands(
    cmds: dict[str, list[str]],
    repo: Path,
    env: dict[str, str],
    runs: int,
    warmup: int,
    where: Path,
    *,
    hyperfine: bool = True,
) -> tuple[list[Timing], str]:
    """The timings and the method: `hyperfine -N` when asked for and on PATH, else the loop."""
    spaces = any(" " in arg for cmd in cmds.values() for arg in cmd)  # hyperfine -N splits on them
    if hyperfine and shutil.which("hyperfine") and not spaces:
        return time_with_hyperfine(cmds, repo, env, runs, warmup, where), "hyperfine -N"
    return time_with_loop(cmds, repo, env, runs, warmup), "perf_counter loop"


def write_results(name: str, summary: object) -> None:
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / name).write_text(json.dumps(summary, indent=2) + "\n")
