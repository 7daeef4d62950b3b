"""djgate-workflow through the real pre-commit framework: its findings are warnings, shown on a commit that
lands (the hook is verbose), until the team makes a rule an error; then the commit is refused until fixed."""

from __future__ import annotations

import re

from .precommit_support import HookedRepo, RepoFactory

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


def outcome(repo: HookedRepo, output: str) -> str | None:
    match = re.search(rf"{re.escape(repo.source.name_of('djgate-workflow'))}\.+(Passed|Failed)", output)
    return match[1] if match else None


def test_warnings_show_on_a_commit_that_lands_and_block_once_configured(precommit_repo: RepoFactory) -> None:
    repo = precommit_repo(hooks=("djgate-workflow",))
    repo.write("orders/views.py", VIEW)
    repo.stage("orders/views.py")

    warned = repo.hooked_commit("-m", "feat(orders): cancel orders")

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
