"""One definition of what a merge adds, for the hooks and check-range alike: what is in neither parent."""

from __future__ import annotations

import json
from typing import Any

from .conftest import Repo

MIGRATION = (
    "from django.db import migrations\n\n\n"
    "class Migration(migrations.Migration):\n"
    "    dependencies = []\n"
    "    operations = [{}]\n"
)


def _diverged(shop: Repo) -> str:
    """main and feature each change orders/views.py; orders 0001 is committed on main. Returns main's base."""
    shop.put("pyproject.toml", '[tool.djgate]\nignore = ["DJG301"]\n')
    shop.put("orders/migrations/0001_initial.py", MIGRATION.format(""))
    shop.put("orders/views.py", "def index(request):\n    return 1\n")
    base = shop.commit("feat(orders): add the index view")
    shop.git("checkout", "-q", "-b", "feature")
    shop.put(
        "orders/views.py", "def index(request):\n    print('feature')  # judged on the branch\n    return 2\n"
    )
    shop.commit("feat(orders): return 2")
    shop.git("checkout", "-q", "main")
    shop.put("orders/views.py", "def index(request):\n    return 3\n")
    shop.commit("feat(orders): return 3")
    shop.git("merge", "-q", "feature", check=False)  # conflicts in orders/views.py
    return base


def _hostile_resolution(shop: Repo) -> None:
    """The merge rewrites the committed migration and resolves the conflict with a breakpoint()."""
    shop.put("orders/migrations/0001_initial.py", MIGRATION.format("migrations.RunSQL('DROP TABLE x', '')"))
    shop.put(
        "orders/views.py",
        "def index(request):\n    print('feature')  # judged on the branch\n    breakpoint()\n    return 2\n",
    )


def _codes(findings: list[dict[str, Any]]) -> list[tuple[str, str, int | None]]:
    return sorted((f["code"], f["path"], f["line"]) for f in findings if f["code"] >= "DJG3")


EXPECTED = [("DJG304", "orders/migrations/0001_initial.py", 6), ("DJG502", "orders/views.py", 3)]


def test_a_hostile_merge_is_refused_by_the_hook_and_by_check_range(shop: Repo, djgate: Any) -> None:
    base = _diverged(shop)
    _hostile_resolution(shop)

    staged = djgate("check-staged", "--format", "json")
    assert staged.code == 1, staged.err
    assert _codes(json.loads(staged.out)["findings"]) == EXPECTED

    shop.git("commit", "-q", "--no-verify", "--no-edit")
    ranged = djgate("check-range", f"{base}..HEAD", "--format", "json")
    merge = shop.git("rev-parse", "HEAD").strip()
    findings = [f for f in json.loads(ranged.out)["findings"] if f["commit"] == merge]
    assert _codes(findings) == EXPECTED


def test_a_plain_resolution_brings_nothing_to_judge(shop: Repo, djgate: Any) -> None:
    base = _diverged(shop)
    shop.put(
        "orders/views.py", "def index(request):\n    print('feature')  # judged on the branch\n    return 2\n"
    )

    staged = djgate("check-staged", "--format", "json")
    assert _codes(json.loads(staged.out)["findings"]) == []
    shop.git("commit", "-q", "--no-verify", "--no-edit")
    ranged = djgate("check-range", f"{base}..HEAD", "--format", "json")
    merge = shop.git("rev-parse", "HEAD").strip()
    assert _codes([f for f in json.loads(ranged.out)["findings"] if f["commit"] == merge]) == []
