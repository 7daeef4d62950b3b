"""Time `djgate check-range` on real histories against `gitlint --commits` and the `git log` djgate reads (the
floor), on the same ranges of 100, 1,000 and 5,000 commits; commits/s, ratios and peak RSS.

    python bench/bench_real_range.py ~/corpus/saleor ~/corpus/courtlistener [--sizes 100,1000,5000] [--runs 3]
    python bench/bench_real_range.py ~/corpus/saleor --sizes 10,25,50 --jobs 1,2   # where two processes pay

Each path is a clone of a public Django project kept outside this repository. For a size N the range is
`BASE..HEAD` with BASE the N-th first parent back from HEAD (fewer when the history is shorter), so merged
branches come with their commits: the table says how many commits each range holds. Every tool runs on the
same range, interleaved, `--runs` times; the table gives medians. djgate runs every static gate (DJG301,
which boots the project's Django, is off). Peak RSS is the largest resident set of one run of the tool.
`--jobs 1,2` times djgate once per number of processes (`-j N`) instead of once with its default. Each djgate
run starts cold, as in CI on a fresh clone: the spans an earlier run kept in the clone's .git/djgate go first.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import time
from pathlib import Path

from benchlib import djgate_bin, ensure_tools, out, tool_bin, tool_env, write_results

TOOLS = {"gitlint": "gitlint==0.19.1"}
LOG = ["git", "log", "--diff-merges=separate", "--raw", "-p", "-z", "-U0", "-M", "--no-abbrev"]


def timed(command: list[str], repo: Path) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one run."""
    import tempfile

    # stderr to a file, not a pipe: on a long range gitlint writes more violations than a pipe holds, and
    # a pipe nobody reads until the tool exits would stop it for good.
    with tempfile.TemporaryFile() as errors:
        started = time.perf_counter()
        proc = subprocess.Popen(command, cwd=repo, env=tool_env(), stdout=subprocess.DEVNULL, stderr=errors)
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - started
        code = os.waitstatus_to_exitcode(status)
        # djgate: 1 is findings; gitlint: the number of violations, at most 252 (253-255: its own errors).
        ok = command[0] != "git" and (code == 1 or ("gitlint" in command[0] and code <= 252))
        if code != 0 and not ok:
            errors.seek(0)
            raise SystemExit(f"{command[:3]} exited {code}: {errors.read().decode()[-500:]}")
    return elapsed, usage.ru_maxrss / 1024


def base_for(repo: Path, size: int) -> str:
    firsts = subprocess.run(
        ["git", "rev-list", "--first-parent", f"--max-count={size + 1}", "HEAD"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return firsts[-1]


def bench(repo: Path, size: int, runs: int, jobs: list[int]) -> dict[str, object]:
    base = base_for(repo, size)
    spec = f"{base}..HEAD"
    count = int(
        subprocess.run(["git", "rev-list", "--count", spec], cwd=repo, capture_output=True, text=True).stdout
    )
    djgate = [str(djgate_bin()), "check-range", spec, "--ignore", "DJG301", "--format", "json"]
    commands = {
        **{f"djgate -j {n}": [*djgate, "--jobs", str(n)] for n in jobs},
        **({} if jobs else {"djgate check-range": djgate}),
        "gitlint --commits": [str(tool_bin("gitlint")), "--ignore-stdin", "--commits", spec],
        "git log (floor)": [*LOG, spec],
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    peaks: dict[str, float] = dict.fromkeys(commands, 0.0)
    for _ in range(runs):
        for name, command in commands.items():  # interleaved: drift in machine load hits every tool alike
            if name.startswith("djgate"):  # cold, as in CI on a fresh clone: no spans kept by an earlier run
                shutil.rmtree(repo / ".git" / "djgate", ignore_errors=True)
            elapsed, peak = timed(command, repo)
            times[name].append(elapsed)
            peaks[name] = max(peaks[name], peak)
    medians = {name: statistics.median(values) for name, values in times.items()}
    gitlint = medians["gitlint --commits"]
    out(f"\n{repo.name}: {count} commits ({spec[:12]}..HEAD), {runs} runs")
    out(f"| {'tool':<20} | median s | commits/s | vs gitlint | peak RSS MiB |")
    out(f"| {'-' * 20} | -------: | --------: | ---------: | -----------: |")
    for name in commands:
        out(
            f"| {name:<20} | {medians[name]:8.2f} | {count / medians[name]:9.1f} | "
            f"{medians[name] / gitlint:10.3f} | {peaks[name]:12.0f} |"
        )
    return {"repo": repo.name, "commits": count, "medians": medians, "peak_rss_mib": peaks}


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    args.add_argument("repos", nargs="+", type=Path)
    args.add_argument("--sizes", default="100,1000,5000", help="commits per range, comma-separated")
    args.add_argument("--runs", type=int, default=3)
    args.add_argument("--jobs", default="", help="djgate's processes to compare, comma-separated (1,2)")
    options = args.parse_args()
    jobs = [int(n) for n in options.jobs.split(",") if n]
    ensure_tools(TOOLS)
    results = [
        bench(repo.resolve(), int(size), options.runs, jobs)
        for repo in options.repos
        for size in options.sizes.split(",")
    ]
    write_results("real_range.json", results)


if __name__ == "__main__":
    main()
