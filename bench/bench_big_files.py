"""Time the staged hooks (`djgate check-staged`, every family) on commits that change a few lines of a big
file, against the same change to a small file: what a commit pays when it touches a large module.

    python bench/bench_big_files.py [--runs 10] [--warmup 2]

Cases, each in a repository of its own (one Django app, `orders`, with DJG301 off: no Django here):
- 3 lines changed in a 50-line module (the reference), in a 5,000-line module of functions, and in one
  holding a 5,000-line class;
- 3 lines changed in a 30,000-line JSON file (a generated fixture or OpenAPI schema), and in a 30,000-line
  YAML file (Kubernetes manifests, an OpenAPI schema in YAML);
- a 5 MB file of one line added (minified code), and a 50 MB text file added.
The goals (issue 11): the 5,000-line module within 30 ms of the 50-line one; the 5 MB line under 0.3 s.
Each repository's first commit is made through the staged hook, as in real use: what djgate keeps of the
version it let in (the top-level statements of a long module, for parsing its next change incrementally)
is there, as it is for a team whose commits all go through the hooks.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
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

sys.path.insert(0, str(HERE.parent))
from tests.shapes import manifest  # the YAML shape the secrets tests use too


def module(functions: int, in_class: bool = False) -> str:
    """A Python module of `functions` small view-like functions (10 lines each), or of one class of as many
    methods (a viewset, an admin: the other shape of a long Django module)."""
    body = ["from django.http import JsonResponse", "", ""]
    indent = "    " if in_class else ""
    if in_class:
        body += ["class OrderViews:", '    """Every order view."""', ""]
    for i in range(functions):
        body += [
            f"{indent}def view_{i}({'self, ' if in_class else ''}request, pk):",
            f'{indent}    """Return item {i}."""',
            f"{indent}    data = {{",
            f'{indent}        "id": pk,',
            f'{indent}        "name": "item {i}",',
            f"{indent}    }}",
            f"{indent}    if request.GET.get('verbose'):",
            f"{indent}        data['extra'] = True",
            f"{indent}    return JsonResponse(data)",
            "",
        ]
    return "\n".join(body) + "\n"


def change_three_lines(path: Path) -> None:
    lines = path.read_text().split("\n")
    middle = len(lines) // 2
    for i in range(middle, middle + 3):
        lines[i] = lines[i] + "  # changed"
    path.write_text("\n".join(lines))


def case(
    root: Path, name: str, files: dict[str, str], change: dict[str, str] | None, edit: str | None
) -> Path:
    repo = root / name
    write_files(
        repo, {**app_skeleton("orders"), "pyproject.toml": '[tool.djgate]\nignore = ["DJG301"]\n', **files}
    )
    commit_all(repo, [str(djgate_bin()), "check-staged"])  # committed through the hook, as in real use
    if edit:
        change_three_lines(repo / edit)
    if change:
        write_files(repo, change)
    git(repo, "add", "-A")
    return repo


def timed(repo: Path, runs: int, warmup: int) -> list[float]:
    command = [str(djgate_bin()), "check-staged"]
    times = []
    for i in range(warmup + runs):
        started = time.perf_counter()
        subprocess.run(command, cwd=repo, env=tool_env(), capture_output=True, check=False)
        if i >= warmup:
            times.append(time.perf_counter() - started)
    return times


def main() -> None:
    options = parser(__doc__, runs=10, warmup=2, hyperfine=False).parse_args()
    fixture = json.dumps(
        [{"model": "orders.order", "pk": i, "fields": {"total": i}} for i in range(6000)], indent=1
    )
    with tempfile.TemporaryDirectory(prefix="djgate-bench-big-") as scratch:
        root = Path(scratch)
        cases = {
            "3 lines of a 50-line module": case(
                root, "small", {"orders/views.py": module(5)}, None, "orders/views.py"
            ),
            "3 lines of a 5,000-line module": case(
                root, "large", {"orders/views.py": module(500)}, None, "orders/views.py"
            ),
            "3 lines of a 5,000-line class": case(
                root, "class", {"orders/views.py": module(500, in_class=True)}, None, "orders/views.py"
            ),
            "3 lines of a 30,000-line JSON": case(
                root, "json", {"orders/fixtures/orders.json": fixture}, None, "orders/fixtures/orders.json"
            ),
            "3 lines of a 30,000-line YAML": case(
                root,
                "yaml",
                {"deploy/services.yaml": "\n".join(manifest(3000))},
                None,
                "deploy/services.yaml",
            ),
            "a 5 MB one-line file added": case(
                root, "line", {}, {"orders/static/app.min.js": "var a=1;" * (5 * 1024 * 1024 // 8)}, None
            ),
            "a 50 MB text file added": case(
                root,
                "huge",
                {},
                {"orders/data/dump.txt": "row,value,note\n" * (50 * 1024 * 1024 // 15)},
                None,
            ),
        }
        medians = {}
        out(f"djgate check-staged, {options.runs} runs after {options.warmup} warm-ups (medians)")
        for name, repo in cases.items():
            times = timed(repo, options.runs, options.warmup)
            medians[name] = statistics.median(times)
            spread = f"(min {min(times) * 1000:.1f}, max {max(times) * 1000:.1f})"
            out(f"  {name:<34} {medians[name] * 1000:9.1f} ms   {spread}")
    gap = (medians["3 lines of a 5,000-line module"] - medians["3 lines of a 50-line module"]) * 1000
    out(f"5,000-line module - 50-line module: {gap:.1f} ms (goal <= 30 ms)")
    gap = (medians["3 lines of a 5,000-line class"] - medians["3 lines of a 50-line module"]) * 1000
    out(f"5,000-line class - 50-line module: {gap:.1f} ms (goal <= 30 ms)")
    out(f"5 MB line: {medians['a 5 MB one-line file added']:.3f} s (goal < 0.3 s)")
    write_results("big_files.json", medians)


if __name__ == "__main__":
    main()
