"""Precision on real histories: `djgate check-range` over the recent commits of real Django projects, as a
CI user would run it, with every finding written out for reading and labelling.

    python bench/precision.py /path/to/clone [/path/to/other ...] [--depth 60] [--select DJG4,DJG5]

Each path is a clone of a public Django project kept outside this repository (a clone without a checkout
is enough: check-range reads commits, not the working tree). The range is `HEAD~DEPTH..HEAD` (DEPTH first
parents back, so merged branches come with their commits). DJG301 is off (it boots the project's Django).
Prints per rule: findings by severity, how many sit on merge commits, and a few findings to read; writes
every finding to bench/results/precision-<name>.jsonl (git-ignored) with the commit's header, for labelling.
"""

from __future__ import annotations

import argparse
import collections
import json
import random
import resource
import subprocess
import time
from pathlib import Path

from benchlib import RESULTS, djgate_bin, out


def run_range(repo: Path, depth: int, select: str | None) -> tuple[dict, float, float]:  # type: ignore[type-arg]
    """check-range's JSON report, its wall time (s) and the peak RSS of the djgate process (MiB)."""
    command = [
        str(djgate_bin()),
        "check-range",
        f"HEAD~{depth}..HEAD",
        "--format",
        "json",
        "--ignore",
        "DJG301",
    ]
    if select:
        command += ["--select", select]
    started = time.perf_counter()
    proc = subprocess.run(command, cwd=repo, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{repo}: djgate exited {proc.returncode}: {proc.stderr.strip()}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return json.loads(proc.stdout), elapsed, peak


def git_lines(repo: Path, *args: str) -> list[str]:
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True).stdout.split(
        "\n"
    )


def report(repo: Path, depth: int, select: str | None, sample: int) -> None:
    data, elapsed, peak = run_range(repo, depth, select)
    summary = data["summary"]
    base, tip = summary["range"]["base"], summary["range"]["tip"]
    merges = set(filter(None, git_lines(repo, "rev-list", "--merges", f"{base}..{tip}")))
    headers = dict(
        line.split(" ", 1) for line in git_lines(repo, "log", "--format=%H %s", f"{base}..{tip}") if line
    )
    out(
        f"\n{repo.name}: {summary['commits']} commits ({len(merges)} merges), {elapsed:.1f} s, "
        f"{summary['commits'] / elapsed:.1f} commits/s, peak RSS {peak:.0f} MiB"
    )
    by_rule: dict[str, list[dict]] = collections.defaultdict(list)  # type: ignore[type-arg]
    for finding in data["findings"]:
        by_rule[finding["code"]].append(finding)
    out(f"  {'rule':<8}{'error':>7}{'warning':>9}{'notice':>8}{'on merges':>11}")
    for code in sorted(by_rule):
        found = by_rule[code]
        levels = collections.Counter(f["severity"] for f in found)
        on_merges = sum(f["commit"] in merges for f in found)
        out(f"  {code:<8}{levels['error']:>7}{levels['warning']:>9}{levels['notice']:>8}{on_merges:>11}")
    RESULTS.mkdir(exist_ok=True)
    dump = RESULTS / f"precision-{repo.name}.jsonl"
    with dump.open("w") as handle:
        for finding in data["findings"]:
            header = headers.get(finding["commit"] or "", "")
            handle.write(
                json.dumps({**finding, "header": header, "merge": finding["commit"] in merges}) + "\n"
            )
    out(f"  every finding: {dump}")
    chooser = random.Random(0)  # the same sample on every run, to read again after a change
    for code in sorted(by_rule):
        blocking = [f for f in by_rule[code] if f["severity"] == "error" and f["commit"] not in merges]
        for finding in chooser.sample(blocking, min(sample, len(blocking))):
            where = f"{finding['path']}:{finding['line']}" if finding["path"] else "-"
            out(f"    {code} {finding['commit'][:10]} {where} {finding['message'][:110]}")


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    args.add_argument("repos", nargs="+", type=Path)
    args.add_argument("--depth", type=int, default=60, help="first parents back from HEAD (default 60)")
    args.add_argument("--select", help="only these rule codes or prefixes (comma-separated)")
    args.add_argument("--sample", type=int, default=3, help="blocking findings shown per rule (default 3)")
    options = args.parse_args()
    for repo in options.repos:
        report(repo.resolve(), options.depth, options.select, options.sample)


if __name__ == "__main__":
    main()
