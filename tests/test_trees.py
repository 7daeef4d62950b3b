"""The syntax trees a ChangeSet keeps between rules, within a budget: what is dropped is parsed again when a
rule reads it, and every verdict is the one a budget large enough for all of them gives."""

from __future__ import annotations

import ast
import json

import pytest

from djgate.rules.pysource import PySource, Trees, parse_source

from .conftest import Repo

MODULE = """import pdb
import requests
from django.db import transaction


def rates(currency):
    print("rates for", currency)
    return requests.get(f"https://api.example.com/rates/{{currency}}").json()


def debug_{n}():
    pdb.set_trace()
"""


def sources(count: int) -> list[PySource]:
    return [
        parse_source(f"orders/m{n}.py", MODULE.format(n=n).encode(), tuple(range(1, 14)))
        for n in range(count)
    ]


def test_a_tree_past_the_budget_is_dropped_and_parsed_again_when_read() -> None:
    trees = Trees()
    trees.BUDGET = 2 * len(MODULE) + 10  # two of them
    made = sources(4)
    for source in made:
        trees.add(source)
    assert [s.whole is not None for s in made] == [True, True, False, False]
    assert all(s.parsed for s in made)
    dropped = made[3]
    assert dropped.tree is not None and ast.dump(dropped.tree) == ast.dump(ast.parse(MODULE.format(n=3)))
    assert [type(n).__name__ for n, _ in dropped.walk_touched()][:2] == ["Module", "Import"]
    assert len(dropped.touched_functions()) == 2
    trees.trim()  # between rules: the least recently read go until the rest fit
    assert [s.whole is not None for s in made] == [False, True, False, True]
    assert made[0].touched_functions()[0].name == "rates"  # parsed again


@pytest.fixture
def changed(shop: Repo) -> Repo:
    for n in range(6):
        shop.put(f"orders/m{n}.py", MODULE.format(n=n))
    shop.put("orders/broken.py", "def f(:\n    pass\n")
    return shop


def findings(djgate) -> list[dict[str, object]]:  # type: ignore[no-untyped-def]
    result = djgate("check-staged", "--format", "json", "--ignore", "DJG301")
    assert result.code in (0, 1), result.err
    return json.loads(result.out)["findings"]  # type: ignore[no-any-return]


def test_every_verdict_is_the_same_when_no_tree_is_kept(  # type: ignore[no-untyped-def]
    changed: Repo, djgate, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each family that reads code (syntax, prints, debuggers, the workflow's HTTP calls) over files whose
    trees are all dropped as soon as made, and between every two rules: the same findings."""
    kept = findings(djgate)
    assert {f["code"] for f in kept} >= {"DJG500", "DJG501", "DJG502", "DJG601"}
    monkeypatch.setattr(Trees, "BUDGET", 0)
    assert findings(djgate) == kept


def test_a_judged_commit_leaves_nothing_for_the_cycle_collector(changed: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    """What a commit's rules kept (trees, sources, the migration facts) goes by reference counting when the
    commit is done: djgate runs with the cycle collector paused (console.main)."""
    import gc

    changed.put(
        "orders/migrations/0001_initial.py",
        "from django.db import migrations\n\n\nclass Migration(migrations.Migration):\n    operations = [migrations.RunSQL('select 1')]\n",
    )
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        assert findings(djgate)
        gc.collect()
        kinds = {type(o).__name__ for o in gc.garbage}
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    ours = {
        "Module",
        "FunctionDef",
        "Name",
        "PySource",
        "Trees",
        "Context",
        "AddedLine",
        "FileChange",
        "MigrationFacts",
    }
    assert not kinds & ours
