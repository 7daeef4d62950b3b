"""Time djgate's secrets and print gates against detect-secrets-hook and `ruff check --select T20` on the same
staged files of a generated Django repository, with several runs and medians.

    python bench/bench_secrets.py [--runs 15] [--warmup 2] [--no-hyperfine]

Three changes, each staged in its own copy of the repository (every tool accepts each one, so that none exits
early on a finding):

- `small`: 4 small files of one app changed (views, models, services, urls: 15-50 added lines each);
- `small+candidate`: the same, plus one line detect-secrets must see (a keyword assignment, allow-listed with
  its pragma): djgate's pre-filter hands it over, so djgate imports detect-secrets, as on any commit with
  such a line;
- `5000-lines`: 10 new files of 500 lines; one function in five names passwords, forms and tokens (lines the
  pre-filter lets pass without detect-secrets), and one candidate line as above.

The tools, each from its own entry point in the environment running this script (djgate's dependencies
bring detect-secrets; ruff comes with the test extra):

- `djgate check-staged --family secrets --family print` (reads the staged diff itself);
- `detect-secrets-hook FILES` (what detect-secrets' pre-commit hook runs, no baseline: whole files);
- `ruff check --no-cache --select T20 FILES` (print and pprint only, whole files, no cache).

Results also go to bench/results/secrets.json. Goal (issue 4): djgate <= 0.5x detect-secrets-hook.
"""

from __future__ import annotations

import platform
import shutil
import tempfile
from pathlib import Path

from benchlib import (
    Timing,
    app_skeleton,
    check_all_accept,
    commit_all,
    git,
    installed_bin,
    out,
    parser,
    time_commands,
    timing_table,
    tool_env,
    write_files,
    write_results,
)

APPS = ("orders", "billing", "catalog", "accounts", "shipping")


def view_code(name: str, n: int) -> str:
    return "".join(
        f"\n\ndef {name}_{i}(request, pk):\n"
        f"    order = get_object_or_404(Order, pk=pk, customer=request.user)\n"
        f"    logger.info('viewing order %s', order.pk)\n"
        f"    return render(request, 'orders/detail.html', {{'order': order, 'step': {i}}})\n"
        for i in range(n)
    )


def keyword_code(n: int) -> str:
    """Lines that name secrets without holding one: what a login or payment module looks like."""
    return "".join(
        f"\n\ndef login_{i}(request):\n"
        f"    form = LoginForm(request.POST)\n"
        f"    password = form.cleaned_data['password']\n"
        f"    api_token = os.environ['PAYMENT_API_TOKEN']\n"
        f"    if not request.user.check_password(password):\n"
        f"        return None\n"
        f"    return Session(token=api_token, step={i})\n"
        for i in range(n)
    )


HEADER = (
    "import logging\nimport os\n\nfrom django.shortcuts import get_object_or_404, render\n\n"
    "from .models import Order\n\nlogger = logging.getLogger(__name__)\n"
)


def base_repo(where: Path) -> Path:
    """A committed Django project: 5 apps with a few modules each, and the project package."""
    repo = where / "base"
    files: dict[str, str] = {
        "manage.py": "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'project.settings')\n",
        "project/__init__.py": "",
        "project/settings.py": (
            f"import os\n\nSECRET_KEY = os.environ['DJANGO_SECRET_KEY']\nINSTALLED_APPS = {list(APPS)!r}\n"
        ),
        "project/urls.py": "urlpatterns = []\n",
    }
    for app in APPS:
        files.update(app_skeleton(app))
        for module in ("views", "models", "services", "urls"):
            files[f"{app}/{module}.py"] = HEADER + view_code(module, 20)
    write_files(repo, files)
    commit_all(repo)
    return repo


def staged_change(base: Path, where: Path, name: str, changes: dict[str, str]) -> tuple[Path, list[str], int]:
    """A copy of the base repository with `changes` appended to (or written as) files and staged."""
    repo = where / name
    shutil.copytree(base, repo, symlinks=True)
    added = 0
    for rel, text in changes.items():
        path = repo / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a") as handle:
            handle.write(text)
        added += text.count("\n")
    git(repo, "add", *changes)
    return repo, list(changes), added


CANDIDATE = '\nDEMO_PASSWORD = "correct-horse"  # pragma: allowlist secret\n'


def exactly(chunks: list[str], lines: int) -> str:
    """As many whole chunks as fit in `lines` lines, padded with comment lines to exactly that many."""
    text = ""
    for chunk in chunks:
        if text.count("\n") + chunk.count("\n") > lines:
            break
        text += chunk
    return text + "# padding\n" * (lines - text.count("\n"))


def changes_for(kind: str) -> dict[str, str]:
    if kind == "small":
        sizes = (("views", 8), ("models", 4), ("services", 6), ("urls", 3))
        return {f"orders/{m}.py": view_code(f"{m}_new", n) for m, n in sizes}
    if kind == "small+candidate":
        return {**changes_for("small"), "orders/fixtures.py": CANDIDATE}
    files = {}
    for i in range(10):  # 10 new files of 500 lines; one function in five names passwords and tokens
        chunks = [HEADER, CANDIDATE if i == 0 else ""]
        chunks += [keyword_code(1) if j % 5 == 0 else view_code(f"v{j}", 1) for j in range(120)]
        files[f"{APPS[i % len(APPS)]}/module_{i}.py"] = exactly(chunks, 500)
    return files


def commands(files: list[str]) -> dict[str, list[str]]:
    def find(name: str) -> str:
        return str(installed_bin(name, "pip install -e '.[test]'"))

    return {
        "djgate": [find("djgate"), "check-staged", "--family", "secrets", "--family", "print"],
        "detect-secrets-hook": [find("detect-secrets-hook"), *files],
        "ruff T20": [find("ruff"), "check", "--no-cache", "--select", "T20", *files],
    }


def report(
    name: str, files: int, lines: int, timings: list[Timing], method: str, runs: int
) -> dict[str, object]:
    out(f"{name}: {files} staged files, {lines} added lines; {runs} runs each ({method})")
    ratio = timing_table(timings, "detect-secrets-hook", goal=0.5, indent="  ")
    out()
    return {
        "files": files,
        "added_lines": lines,
        "medians_ms": {t.tool: round(t.median * 1000, 2) for t in timings},
        "ratio_djgate_detect_secrets": round(ratio, 3),
    }


def main(argv: list[str] | None = None) -> int:
    args = parser(__doc__, runs=15, warmup=2).parse_args(argv)

    env = tool_env()
    summary: dict[str, object] = {"python": platform.python_version(), "runs": args.runs}
    with tempfile.TemporaryDirectory(prefix="djgate-bench-") as tmp:
        where = Path(tmp)
        base = base_repo(where)
        for kind in ("small", "small+candidate", "5000-lines"):
            repo, files, lines = staged_change(base, where, kind.replace("+", "-"), changes_for(kind))
            cmds = commands(files)
            check_all_accept(cmds, repo, env, "the benchmark change")
            timings, method = time_commands(
                cmds, repo, env, args.runs, args.warmup, where, hyperfine=not args.no_hyperfine
            )
            summary[kind] = report(kind, len(files), lines, timings, method, args.runs)
            summary["method"] = method
    write_results("secrets.json", summary)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
