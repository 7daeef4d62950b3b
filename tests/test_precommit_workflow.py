"""djgate-workflow and djgate through the real pre-commit framework: their findings are warnings, shown on
the terminal of a commit that lands (a passing hook's output is not shown otherwise, and `verbose` would
print the hook's name and duration on every commit), until the team makes a rule an error; then the commit
is refused until fixed."""

from __future__ import annotations

import re
import shlex

from .precommit_support import CommitResult, HookedRepo, RepoFactory

VIEW = """import requests
from django.shortcuts import get_object_or_404, redirect

from orders.models import Order


def cancel(request, pk):
    order = get_object_or_404(Order, pk=pk)
    requests.post("https://erp.example/cancel", json={"order": pk})
    order.status = "cancelled"
    order.save()
    return redirect(order)
"""


def outcome(repo: HookedRepo, output: str, hook_id: str = "djgate-workflow") -> str | None:
    # At a terminal a passing hook's warnings stand between its name's dots and its "Passed".
    match = re.search(
        rf"{re.escape(repo.source.name_of(hook_id))}\.+(?:\n.*?\n)??(Passed|Failed)", output, re.S
    )
    return match[1] if match else None


def commit_at_a_terminal(repo: HookedRepo, message: str) -> CommitResult:
    """`git commit -m MESSAGE` typed at a terminal (a pseudo-terminal made by `script`)."""
    done = repo._run(["script", "-qec", shlex.join(["git", "commit", "-m", message]), "/dev/null"], None)
    plain = re.sub(r"\x1b\[[0-9;]*m", "", done.output)  # a terminal gets colours
    return CommitResult(done.code, plain.replace("\r\n", "\n"))


def test_warnings_show_on_a_commit_that_lands_and_block_once_configured(precommit_repo: RepoFactory) -> None:
    repo = precommit_repo(hooks=("djgate-workflow",))
    repo.write("orders/views.py", VIEW)
    repo.stage("orders/views.py")

    warned = commit_at_a_terminal(repo, "feat(orders): cancel orders")

    assert warned.code == 0, warned.output
    assert outcome(repo, warned.output) == "Passed"
    assert "orders/views.py:9: DJG601 (warning) requests.post() without a timeout" in warned.output
    assert (
        "orders/views.py:11: DJG603 (warning) view cancel writes to the database: order.save()"
        in warned.output
    )
    assert "move the writes into a function of orders/services.py" in warned.output

    with open(repo.path / "pyproject.toml", "a", encoding="utf-8") as pyproject:
        pyproject.write('severity = {DJG601 = "error"}\n')
    repo.write("orders/views.py", VIEW.replace('"cancelled"', '"canceled"'))
    repo.stage("pyproject.toml", "orders/views.py")
    head = repo.head()

    refused = repo.hooked_commit("-m", "fix(orders): spell the status the american way")

    assert refused.code == 1, refused.output
    assert outcome(repo, refused.output) == "Failed"
    assert "orders/views.py:9: DJG601 requests.post() without a timeout" in refused.output
    assert repo.head() == head

    repo.write("orders/views.py", VIEW.replace('json={"order": pk})', 'json={"order": pk}, timeout=10)'))
    repo.stage("orders/views.py")
    accepted = repo.hooked_commit("-m", "fix(orders): spell the status the american way")

    assert accepted.code == 0, accepted.output
    assert outcome(repo, accepted.output) == "Passed"
    assert "DJG601" not in accepted.output
    assert repo.head() != head


def test_the_djgate_hook_says_nothing_when_there_is_nothing(precommit_repo: RepoFactory) -> None:
    repo = precommit_repo(hooks=("djgate",))
    repo.write("orders/views.py", "def index(request):\n    return None\n")
    repo.stage("orders/views.py")

    quiet = commit_at_a_terminal(repo, "feat(orders): add the index view")

    assert quiet.code == 0, quiet.output
    assert outcome(repo, quiet.output, "djgate") == "Passed"
    assert "hook id" not in quiet.output and "duration" not in quiet.output

    repo.write("orders/views.py", VIEW)
    repo.stage("orders/views.py")
    warned = commit_at_a_terminal(repo, "feat(orders): cancel orders")

    assert warned.code == 0, warned.output
    assert "orders/views.py:9: DJG601 (warning) requests.post() without a timeout" in warned.output
    assert "hook id" not in warned.output

    without_terminal = repo.hooked_commit("--allow-empty", "-m", "chore(orders): nothing")
    assert without_terminal.code == 0 and "DJG6" not in without_terminal.output
