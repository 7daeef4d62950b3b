"""DJG302-306, the static migration rules: real repositories, `djgate check-staged --family migrations`
with only the rule under test selected (no Django is booted for them)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from .conftest import Repo

INITIAL = "0001_initial"


def migration(*deps: tuple[str, str], operations: str = "", extra: str = "") -> str:
    return (
        "from django.db import migrations, models\n\n\n"
        "class Migration(migrations.Migration):\n"
        f"    dependencies = {list(deps)!r}\n"
        f"{extra}"
        f"    operations = [\n{operations}    ]\n"
    )


@pytest.fixture
def shop_migrations(shop: Repo) -> Repo:
    """The `shop` repository with orders 0001 and 0002 committed."""
    shop.write(f"orders/migrations/{INITIAL}.py", migration())
    shop.write("orders/migrations/0002_order_note.py", migration(("orders", INITIAL)))
    shop.stage()
    shop.commit("feat(orders): add migrations")
    return shop


def check(djgate: Any, code: str) -> tuple[int, list[dict[str, Any]]]:
    run = djgate("check-staged", "--family", "migrations", "--select", code, "--format", "json")
    assert run.code in (0, 1), run.err
    return run.code, json.loads(run.out)["findings"]


# -- DJG302 conflicting migrations ---------------------------------------------------------------------


def test_two_leaves_in_an_app_conflict(shop_migrations: Repo, djgate: Any) -> None:
    shop_migrations.write("orders/migrations/0003_refund.py", migration(("orders", "0002_order_note")))
    shop_migrations.write("orders/migrations/0003_discount.py", migration(("orders", "0002_order_note")))
    shop_migrations.stage()

    code, findings = check(djgate, "DJG302")

    assert code == 1
    [finding] = findings
    assert finding["message"] == "app 'orders' has 2 leaf migrations: 0003_discount, 0003_refund"
    assert "makemigrations --merge orders" in finding["hint"]


def test_a_merge_migration_resolves_the_conflict(shop_migrations: Repo, djgate: Any) -> None:
    shop_migrations.write("orders/migrations/0003_refund.py", migration(("orders", "0002_order_note")))
    shop_migrations.write("orders/migrations/0003_discount.py", migration(("orders", "0002_order_note")))
    shop_migrations.write(
        "orders/migrations/0004_merge.py", migration(("orders", "0003_refund"), ("orders", "0003_discount"))
    )
    shop_migrations.stage()

    assert check(djgate, "DJG302") == (0, [])


def test_a_squashed_migration_takes_the_place_of_those_it_replaces(
    shop_migrations: Repo, djgate: Any
) -> None:
    # The squash replaces 0001 and 0002, which stay on disk; 0003 depends on 0002, so on the squash.
    replaces = '    replaces = [("orders", "0001_initial"), ("orders", "0002_order_note")]\n'
    shop_migrations.write("orders/migrations/0001_squashed_0002.py", migration(extra=replaces))
    shop_migrations.write("orders/migrations/0003_refund.py", migration(("orders", "0002_order_note")))
    shop_migrations.stage()

    assert check(djgate, "DJG302") == (0, [])


def test_run_before_counts_as_a_dependency(shop_migrations: Repo, djgate: Any) -> None:
    run_before = '    run_before = [("orders", "0002_order_note")]\n'
    shop_migrations.write(
        "orders/migrations/0001b_prepare.py", migration(("orders", INITIAL), extra=run_before)
    )
    shop_migrations.stage()

    assert check(djgate, "DJG302") == (0, [])


# -- DJG303 irreversible operations ----------------------------------------------------------------


IRREVERSIBLE = """        migrations.RunPython(fill),
        migrations.RunSQL("UPDATE orders_order SET total = 0", None),
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunSQL("DROP INDEX x")],
            state_operations=[],
        ),
"""
REVERSIBLE = """        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.RunPython(fill, reverse_code=unfill),
        migrations.RunSQL("UPDATE orders_order SET total = 0", reverse_sql=migrations.RunSQL.noop),
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunSQL("DROP INDEX x", "CREATE INDEX x ON t (c)")],
        ),
"""


def test_runpython_and_runsql_without_reverse_are_irreversible(shop_migrations: Repo, djgate: Any) -> None:
    path = "orders/migrations/0003_fill.py"
    shop_migrations.write(path, migration(("orders", "0002_order_note"), operations=IRREVERSIBLE))
    shop_migrations.stage()

    code, findings = check(djgate, "DJG303")

    assert code == 1
    assert [(f["path"], f["line"]) for f in findings] == [(path, 7), (path, 8), (path, 10)]
    assert findings[0]["message"] == "RunPython without reverse_code: migration 0003_fill cannot be unapplied"
    assert "reverse_code=migrations.RunPython.noop" in findings[0]["hint"]
    assert findings[1]["message"].startswith("RunSQL without reverse_sql")


def test_reverse_code_and_noop_are_reversible(shop_migrations: Repo, djgate: Any) -> None:
    shop_migrations.write(
        "orders/migrations/0003_fill.py", migration(("orders", "0002_order_note"), operations=REVERSIBLE)
    )
    shop_migrations.stage()

    assert check(djgate, "DJG303") == (0, [])


def test_only_added_migrations_are_judged_for_reversibility(shop: Repo, djgate: Any) -> None:
    shop.write(f"orders/migrations/{INITIAL}.py", migration(operations=IRREVERSIBLE))
    shop.stage()
    shop.commit("feat(orders): add migrations")
    shop.write("orders/models.py", "from django.db import models\n\n# touched\n")
    shop.stage()

    assert check(djgate, "DJG303") == (0, [])


# -- DJG304 committed migration changed ----------------------------------------------------------------


def test_editing_a_committed_migration_is_refused(shop_migrations: Repo, djgate: Any) -> None:
    path = "orders/migrations/0002_order_note.py"
    shop_migrations.write(
        path, migration(("orders", INITIAL), operations="        migrations.RunSQL('', ''),\n")
    )
    shop_migrations.stage()

    code, findings = check(djgate, "DJG304")

    assert code == 1
    [finding] = findings
    assert finding["message"] == "migration 0002_order_note of 'orders' is committed and modified"
    assert (finding["path"], finding["line"]) == (path, 7)
    assert f"git restore --staged -- {path}" in finding["hint"]


def test_reformatting_a_committed_migration_is_allowed(shop_migrations: Repo, djgate: Any) -> None:
    path = "orders/migrations/0002_order_note.py"
    text = (shop_migrations.path / path).read_text()
    shop_migrations.write(path, "# Generated by Django\n" + text.replace("[('orders'", "[  ( 'orders'"))
    shop_migrations.stage()

    assert check(djgate, "DJG304") == (0, [])


def test_deleting_or_renaming_a_committed_migration_is_refused(shop_migrations: Repo, djgate: Any) -> None:
    shop_migrations.git("rm", "-q", "orders/migrations/0002_order_note.py")
    shop_migrations.git("mv", f"orders/migrations/{INITIAL}.py", "orders/migrations/0001_start.py")

    code, findings = check(djgate, "DJG304")

    assert code == 1
    assert sorted(f["message"] for f in findings) == [
        "migration 0001_initial of 'orders' is committed and renamed to orders/migrations/0001_start.py",
        "migration 0002_order_note of 'orders' is committed and deleted",
    ]


def test_deleting_what_an_added_squash_replaces_is_allowed(shop_migrations: Repo, djgate: Any) -> None:
    replaces = '    replaces = [("orders", "0001_initial"), ("orders", "0002_order_note")]\n'
    shop_migrations.write("orders/migrations/0001_squashed_0002.py", migration(extra=replaces))
    shop_migrations.git("rm", "-q", f"orders/migrations/{INITIAL}.py", "orders/migrations/0002_order_note.py")
    shop_migrations.stage()

    assert check(djgate, "DJG304") == (0, [])


def test_an_import_moved_in_a_committed_migration_is_upkeep(shop_migrations: Repo, djgate: Any) -> None:
    path = "orders/migrations/0002_order_note.py"
    text = (shop_migrations.path / path).read_text()
    upkept = '"""Notes on orders."""\nfrom __future__ import annotations\n\nimport django.db.models\n' + text
    shop_migrations.put(path, upkept)

    assert check(djgate, "DJG304") == (0, [])


def test_reordered_dependencies_are_upkeep(shop: Repo, djgate: Any) -> None:
    path = "billing/migrations/0002_invoice_order.py"
    shop.put("billing/migrations/__init__.py", "")
    shop.put(path, migration(("billing", "0001_initial"), ("orders", INITIAL)))
    shop.commit("feat(billing): link invoices to orders")
    shop.put(path, migration(("orders", INITIAL), ("billing", "0001_initial")))  # a linter sorted them

    assert check(djgate, "DJG304") == (0, [])


def test_new_type_hints_in_a_data_migration_are_upkeep(shop: Repo, djgate: Any) -> None:
    path = "orders/migrations/0002_fill_totals.py"
    code = (
        "from typing import Any\n\nfrom django.apps.registry import Apps\nfrom django.db import migrations\n\n\n"
        "def fill(apps: Apps, schema_editor: Any) -> None:\n"
        "    total: int = 0\n"
        "    apps.get_model('orders', 'Order').objects.update(total=total)\n\n\n"
        "class Migration(migrations.Migration):\n"
        "    dependencies = [('orders', '0001_initial')]\n"
        "    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]\n"
    )
    shop.put(path, code)
    shop.commit("feat(orders): fill totals")
    stubs = code.replace("django.apps.registry import Apps", "django.db.migrations.state import StateApps")
    shop.put(path, stubs.replace("apps: Apps", "apps: StateApps").replace("total: int", "total: 'int'"))
    assert check(djgate, "DJG304") == (0, [])

    shop.put(path, code.replace("update(total=total)", "update(total=total + 1)"))
    assert check(djgate, "DJG304")[0] == 1  # what RunPython does changed


def test_a_module_moved_under_a_migration_is_upkeep(shop: Repo, djgate: Any) -> None:
    path = "orders/migrations/0002_order_note.py"
    field = (
        "import shop.utils.richtext\nfrom django.db import migrations\n\n\n"
        "class Migration(migrations.Migration):\n"
        "    dependencies = [('orders', '0001_initial')]\n"
        "    operations = [migrations.AddField('order', 'note', "
        "shop.utils.richtext.RichTextField(sanitizer=shop.utils.richtext.clean_rich_text))]\n"
    )
    shop.put(path, field)
    shop.commit("feat(orders): add the note")
    shop.put(path, field.replace("shop.utils.richtext", "shop.richtext"))  # the package was flattened
    assert check(djgate, "DJG304") == (0, [])

    shop.put(path, field.replace("clean_rich_text", "strip_rich_text"))  # another sanitizer: a rewrite
    assert check(djgate, "DJG304")[0] == 1


def test_a_changed_operation_argument_is_a_rewrite(shop: Repo, djgate: Any) -> None:
    field = "        migrations.AddField('order', 'note', models.CharField(max_length={}, blank=True)),\n"
    path = "orders/migrations/0002_order_note.py"
    shop.put(path, migration(("orders", INITIAL), operations=field.format(50)))
    shop.commit("feat(orders): add the note")
    shop.put(
        path,
        "# max_length raised for long notes\n" + migration(("orders", INITIAL), operations=field.format(200)),
    )

    code, findings = check(djgate, "DJG304")

    assert code == 1
    assert [f["message"] for f in findings] == [
        "migration 0002_order_note of 'orders' is committed and modified"
    ]


@pytest.fixture
def topic(shop_migrations: Repo) -> Repo:
    """A topic branch that tracks main and has added orders 0003, not merged yet."""
    shop_migrations.git("checkout", "-q", "-b", "topic", "--track", "main")
    shop_migrations.put("orders/migrations/0003_refund.py", migration(("orders", "0002_order_note")))
    shop_migrations.commit("feat(orders): add refunds")
    return shop_migrations


def test_a_migration_the_branch_added_may_be_edited(topic: Repo, djgate: Any) -> None:
    topic.put(
        "orders/migrations/0003_refund.py",
        migration(("orders", "0002_order_note"), operations="        migrations.RunSQL('', ''),\n"),
    )

    assert check(djgate, "DJG304") == (0, [])


def test_a_migration_on_the_upstream_may_not(topic: Repo, djgate: Any) -> None:
    topic.put(
        "orders/migrations/0002_order_note.py", migration(("orders", INITIAL), extra="    atomic = False\n")
    )

    code, findings = check(djgate, "DJG304")

    assert code == 1
    assert [f["path"] for f in findings] == ["orders/migrations/0002_order_note.py"]


def test_target_branch_in_the_configuration(shop_migrations: Repo, djgate: Any) -> None:
    shop_migrations.git("checkout", "-q", "-b", "topic")  # no upstream: the configuration names the target
    shop_migrations.put("orders/migrations/0003_refund.py", migration(("orders", "0002_order_note")))
    shop_migrations.commit("feat(orders): add refunds")
    shop_migrations.put(
        "orders/migrations/0003_refund.py",
        migration(("orders", "0002_order_note"), extra="    atomic = False\n"),
    )
    assert check(djgate, "DJG304")[0] == 1  # HEAD is the target: 0003 is committed there

    shop_migrations.put("pyproject.toml", '[tool.djgate]\ntarget_branch = "main"\n')
    assert check(djgate, "DJG304") == (0, [])


def test_an_edited_migration_of_the_branch_is_judged_like_an_added_one(topic: Repo, djgate: Any) -> None:
    path = "orders/migrations/0003_refund.py"
    operations = (
        "        migrations.RunSQL('UPDATE orders_order SET refunded = false'),\n"  # judged when added
    )
    topic.put(path, migration(("orders", "0002_order_note"), operations=operations))
    topic.commit("feat(orders): reset refunds")
    topic.put(
        path,
        migration(
            ("orders", "0002_order_note"), operations=operations + "        migrations.RunPython(fill),\n"
        ),
    )

    code, findings = check(djgate, "DJG303")

    assert code == 1
    assert [(f["path"], f["line"]) for f in findings] == [(path, 8)]  # the RunPython it adds, not the RunSQL


# -- DJG305 auto-named migration -----------------------------------------------------------------------


def test_an_auto_generated_name_is_a_warning(shop_migrations: Repo, djgate: Any) -> None:
    path = "orders/migrations/0003_auto_20260101_1200.py"
    shop_migrations.write(path, migration(("orders", "0002_order_note")))
    shop_migrations.stage()

    code, findings = check(djgate, "DJG305")

    assert code == 0  # a warning by default
    [finding] = findings
    assert (finding["severity"], finding["path"]) == ("warning", path)
    assert "makemigrations orders --name <what_it_does>" in finding["hint"]


def test_a_descriptive_name_passes(shop_migrations: Repo, djgate: Any) -> None:
    shop_migrations.write("orders/migrations/0003_order_refund.py", migration(("orders", "0002_order_note")))
    shop_migrations.stage()

    assert check(djgate, "DJG305") == (0, [])


# -- DJG306 broken migration ---------------------------------------------------------------------------


def test_a_migration_that_does_not_parse(shop_migrations: Repo, djgate: Any) -> None:
    path = "orders/migrations/0003_refund.py"
    shop_migrations.write(path, "from django.db import migrations\n\nclass Migration(migrations.Migration:\n")
    shop_migrations.stage()

    code, findings = check(djgate, "DJG306")

    assert code == 1
    [finding] = findings
    assert (finding["path"], finding["line"]) == (path, 3)
    assert finding["message"].startswith("migration 0003_refund does not parse")


def test_a_dependency_on_a_missing_migration(shop_migrations: Repo, djgate: Any) -> None:
    path = "orders/migrations/0003_refund.py"
    shop_migrations.write(path, migration(("orders", "0002_order_notes")))
    shop_migrations.stage()

    code, findings = check(djgate, "DJG306")

    assert code == 1
    [finding] = findings
    assert (
        finding["message"] == "migration 0003_refund depends on orders.0002_order_notes, which does not exist"
    )
    assert (finding["path"], finding["line"]) == (path, 5)
    assert finding["hint"] == "the latest migration of 'orders' is 0002_order_note"


def test_dependencies_that_exist_pass(shop_migrations: Repo, djgate: Any) -> None:
    # A dependency on a migration a squash replaces (deleted since), and on an app outside the repository
    # (left to Django), are fine.
    replaces = '    replaces = [("orders", "0001_initial"), ("orders", "0002_order_note")]\n'
    shop_migrations.write("orders/migrations/0001_squashed_0002.py", migration(extra=replaces))
    shop_migrations.git("rm", "-q", f"orders/migrations/{INITIAL}.py", "orders/migrations/0002_order_note.py")
    shop_migrations.write(
        "orders/migrations/0003_refund.py",
        migration(("orders", "0002_order_note"), ("auth", "0012_alter_user_first_name_max_length")),
    )
    shop_migrations.stage()

    assert check(djgate, "DJG306") == (0, [])


# -- DJG302 against the target branch (check-range) ------------------------------------------------------


@pytest.fixture
def race(shop_migrations: Repo) -> Repo:
    """topic adds orders 0003_refund; main gained 0003_discount meanwhile: two leaves once merged."""
    shop_migrations.put("pyproject.toml", '[tool.djgate]\nignore = ["DJG301"]\n')
    shop_migrations.commit("ci(config): no Django here")
    shop_migrations.git("checkout", "-q", "-b", "topic")
    shop_migrations.put("orders/migrations/0003_refund.py", migration(("orders", "0002_order_note")))
    shop_migrations.commit("feat(orders): add refunds")
    shop_migrations.git("checkout", "-q", "main")
    shop_migrations.put("orders/migrations/0003_discount.py", migration(("orders", "0002_order_note")))
    shop_migrations.commit("feat(orders): add discounts")
    shop_migrations.git("checkout", "-q", "topic")
    return shop_migrations


def race_findings(djgate: Any) -> tuple[int, list[dict[str, Any]], list[dict[str, Any]]]:
    run = djgate("check-range", "--select", "DJG302", "--format", "json", "main..topic")
    data = json.loads(run.out)
    return run.code, data["findings"], data["summary"]["overrides"]


def test_the_merge_race_is_refused(race: Repo, djgate: Any) -> None:
    code, findings, _ = race_findings(djgate)
    assert code == 1
    assert [(f["code"], f["severity"], f["commit"]) for f in findings] == [
        ("DJG302", "error", race.git("rev-parse", "HEAD").strip())
    ]


def test_the_merge_race_is_overridden_like_any_finding(race: Repo, djgate: Any) -> None:
    race.git(
        "commit", "-q", "--amend", "-m", "feat(orders): add refunds\n\nDjgate-Allow: DJG302 merged by hand"
    )
    code, findings, overrides = race_findings(djgate)
    assert code == 0
    assert [f["severity"] for f in findings] == ["notice"]
    assert [o["reason"] for o in overrides] == ["merged by hand"]


def test_the_merge_race_is_silenced_like_any_finding(race: Repo, djgate: Any) -> None:
    race.git("checkout", "-q", "main")
    race.put(
        "pyproject.toml",
        '[tool.djgate]\nignore = ["DJG301"]\nper_path_ignores = {"orders/**" = ["DJG302"]}\n',
    )
    race.commit("ci(config): orders' leaves are merged by hand")
    race.git("checkout", "-q", "topic")
    assert race_findings(djgate)[:2] == (0, [])
