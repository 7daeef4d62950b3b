"""DJG307 deploy-unsafe migrations: the operations an old release, still running while the migration is
deployed, cannot live with; real repositories, `djgate check-staged --family migrations --select DJG307`."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import Repo
from .test_migrations_rules import INITIAL, check, migration

# orders 0001: Order (a nullable note, a total, a status, a customer) and Refund, as makemigrations writes.
CREATE = """        migrations.CreateModel(
            name="Order",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("note", models.CharField(max_length=200, null=True, blank=True)),
                ("total", models.IntegerField(default=0)),
                ("status", models.CharField(max_length=20, help_text="where the order is")),
                ("customer", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, to="auth.user")),
                ("legacy_code", models.CharField(max_length=8, null=True)),
            ],
        ),
        migrations.CreateModel(name="Refund", fields=[("id", models.BigAutoField(primary_key=True))]),
"""
# orders 0002 stops using legacy_code and Refund in the state only: the first, deploy-safe step.
RETIRE = """        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(model_name="order", name="legacy_code"),
                migrations.DeleteModel(name="Refund"),
            ],
        ),
"""
LATEST = "0002_retire_legacy_code"


@pytest.fixture
def orders(shop: Repo) -> Repo:
    shop.write(f"orders/migrations/{INITIAL}.py", migration(operations=CREATE))
    shop.write(f"orders/migrations/{LATEST}.py", migration(("orders", INITIAL), operations=RETIRE))
    shop.stage()
    shop.commit("feat(orders): add migrations")
    return shop


def judge(repo: Repo, djgate: Any, operations: str) -> list[tuple[int, str]]:
    """The (line, message) of each DJG307 finding on orders 0003 holding these operations."""
    repo.write("orders/migrations/0003_change.py", migration(("orders", LATEST), operations=operations))
    repo.stage()
    code, findings = check(djgate, "DJG307")
    assert code == 0  # a warning: the commit goes through
    return [(f["line"], f["message"].removeprefix("migration 0003_change: ")) for f in findings]


UNSAFE = {
    "remove-field": (
        'migrations.RemoveField(model_name="order", name="note")',
        "RemoveField drops the column",
    ),
    "delete-model": ('migrations.DeleteModel(name="Order")', "DeleteModel drops the table of order"),
    "rename-field": ('migrations.RenameField("order", "note", "comment")', "RenameField renames the column"),
    "rename-model": ('migrations.RenameModel("Order", "Purchase")', "RenameModel renames the table of order"),
    "alter-table": ('migrations.AlterModelTable("order", "shop_order")', "AlterModelTable renames the table"),
    "not-null-fk": (
        'migrations.AddField("order", "channel", models.ForeignKey(on_delete=models.CASCADE, to="auth.group"))',
        "AddField makes order.channel NOT NULL without a default on an existing table",
    ),
    "not-null-char": (
        'migrations.AddField(model_name="order", name="currency", field=models.CharField(max_length=3))',
        "AddField makes order.currency NOT NULL",
    ),
    "alter-not-null": (
        'migrations.AlterField(model_name="order", name="note", field=models.CharField(max_length=200))',
        "AlterField makes order.note NOT NULL",
    ),
    "type-change": (
        'migrations.AlterField("order", "total", models.DecimalField(max_digits=12, decimal_places=2))',
        "AlterField changes the column type of order.total (IntegerField to DecimalField)",
    ),
    "sql-rename": (
        'migrations.RunSQL("alter table orders_order rename column note to comment", migrations.RunSQL.noop)',
        "RunSQL runs ALTER TABLE ... RENAME",
    ),
    "sql-drop-list": (
        'migrations.RunSQL(["UPDATE orders_order SET total = 0", "Drop Table orders_payment"], "")',
        "RunSQL runs DROP TABLE",
    ),
    "sql-drop-column": (
        'migrations.RunSQL(sql="ALTER TABLE orders_order DROP COLUMN status", reverse_sql="")',
        "RunSQL runs DROP COLUMN",
    ),
    "database-operations": (
        'migrations.SeparateDatabaseAndState(database_operations=[migrations.RemoveField("order", "note")])',
        "RemoveField drops the column of order.note",
    ),
    # A model table taken over from another app (saleor's auth_group -> account_group).
    "sql-rename-other-app-table": (
        'migrations.RunSQL("ALTER TABLE auth_group RENAME TO orders_group", migrations.RunSQL.noop)',
        "RunSQL runs ALTER TABLE ... RENAME",
    ),
    "sql-drop-known-table-if-exists": (
        'migrations.RunSQL("DROP TABLE IF EXISTS orders_order CASCADE", migrations.RunSQL.noop)',
        "RunSQL runs DROP TABLE",
    ),
}


@pytest.mark.parametrize("case", UNSAFE)
def test_an_operation_the_old_release_cannot_live_with(orders: Repo, djgate: Any, case: str) -> None:
    operation, expected = UNSAFE[case]
    [(line, message)] = judge(orders, djgate, f"        {operation},\n")
    assert line == 7  # the operation's first line, where a `djgate: ignore[DJG307]` comment goes
    assert message.startswith(expected)
    assert "the release still running during the deploy" in message


SAFE = {
    "nullable": 'migrations.AddField("order", "channel", models.ForeignKey(null=True, on_delete=models.SET_NULL, to="auth.group"))',
    "default": 'migrations.AddField(model_name="order", name="currency", field=models.CharField(default="USD", max_length=3))',
    "db-default": 'migrations.AddField("order", "paid", models.BooleanField(db_default=False))',
    "many-to-many": 'migrations.AddField("order", "tags", models.ManyToManyField(to="auth.group", blank=True))',
    "help-text": 'migrations.AlterField("order", "status", models.CharField(max_length=20, help_text="the state", verbose_name="state"))',
    "max-length": 'migrations.AlterField("order", "status", models.CharField(max_length=64))',
    "same-column-type": 'migrations.AlterField("order", "status", models.SlugField(max_length=20))',
    "made-nullable": 'migrations.AlterField("order", "total", models.IntegerField(null=True))',
    "custom-field": 'migrations.AlterField("order", "status", orders.fields.StatusField(max_length=20))',
    "unknown-field": 'migrations.AlterField("order", "discount", models.DecimalField(max_digits=5, decimal_places=2))',
    "sql-select": "migrations.RunSQL(\"SELECT setval(pg_get_serial_sequence('orders_order', 'id'), 1)\", \"\")",
    "sql-index": 'migrations.RunSQL("CREATE INDEX CONCURRENTLY order_status ON orders_order (status)", "DROP INDEX order_status")',
    "sql-drop-index": 'migrations.RunSQL("DROP INDEX IF EXISTS order_note_like", migrations.RunSQL.noop)',
    "sql-function": 'migrations.RunSQL("DROP FUNCTION IF EXISTS total_of; CREATE FUNCTION total_of() RETURNS int AS $$ SELECT 1 $$ LANGUAGE sql", "")',
    "state-only": 'migrations.SeparateDatabaseAndState(state_operations=[migrations.RemoveField("order", "note")])',
    "retired-column": 'migrations.RunSQL("ALTER TABLE orders_order DROP COLUMN legacy_code;", migrations.RunSQL.noop)',
    "retired-table": 'migrations.RunSQL(sql="DROP TABLE IF EXISTS orders_refund;", reverse_sql=migrations.RunSQL.noop)',
    "created-here": 'migrations.CreateModel("Coupon", [("id", models.BigAutoField(primary_key=True))]),\n'
    '        migrations.AddField("coupon", "code", models.CharField(max_length=12))',
    # What a removed package left behind (saleor 0008/0009): no model of the app has that table.
    "sql-drop-leftover-table": 'migrations.RunSQL(sql="DROP TABLE IF EXISTS django_prices_vatlayer_vat;", reverse_sql=migrations.RunSQL.noop)',
    # A primary key's sequence renamed with its table (netbox 0020): the column's default names it by id.
    "sql-rename-sequence": 'migrations.RunSQL("ALTER TABLE orders_order_id_seq RENAME TO orders_purchase_id_seq")',
    # makemigrations' one-off default: a default, as the rule counts one (Django drops it once the rows have
    # it, with or without preserve_default: db_default is what the old release's inserts get).
    "one-off-default": 'migrations.AddField("order", "placed", models.DateTimeField(default=django.utils.timezone.now), preserve_default=False)',
}


@pytest.mark.parametrize("case", SAFE)
def test_an_operation_the_old_release_lives_with(orders: Repo, djgate: Any, case: str) -> None:
    assert judge(orders, djgate, f"        {SAFE[case]},\n") == []


def test_a_comment_on_the_operation_opts_out(orders: Repo, djgate: Any) -> None:
    operations = (
        "        migrations.RemoveField(  # djgate: ignore[DJG307] deployed with downtime\n"
        '            model_name="order", name="note"\n'
        "        ),\n"
        '        migrations.RemoveField(model_name="order", name="status"),\n'
    )
    assert judge(orders, djgate, operations) == [
        (
            10,
            "RemoveField drops the column of order.status: the release still running during the deploy "
            "queries it and fails until the new code is out",
        )
    ]


def test_the_hint_gives_the_deploy_safe_sequence(orders: Repo, djgate: Any) -> None:
    orders.write(
        "orders/migrations/0003_change.py",
        migration(
            ("orders", LATEST),
            operations='        migrations.AddField("order", "n", models.IntegerField()),\n',
        ),
    )
    orders.stage()
    [finding] = check(djgate, "DJG307")[1]
    assert finding["severity"] == "warning"
    assert finding["hint"].startswith("add it with null=True (or a db_default), backfill the rows")


def test_only_the_operations_an_edit_writes_are_judged(orders: Repo, djgate: Any) -> None:
    orders.git("checkout", "-q", "-b", "topic", "--track", "main")
    removal = '        migrations.RemoveField("order", "note"),\n'
    orders.put("orders/migrations/0003_change.py", migration(("orders", LATEST), operations=removal))
    orders.commit("feat(orders): drop the note")
    nullable = '        migrations.AddField("order", "n", models.IntegerField()),\n'
    orders.write(
        "orders/migrations/0003_change.py", migration(("orders", LATEST), operations=removal + nullable)
    )
    orders.stage()

    findings = check(djgate, "DJG307")[1]

    assert [(f["line"], f["message"].split(":")[1].strip()[:8]) for f in findings] == [(8, "AddField")]


def test_state_operations_named_in_the_class_retire_a_column(orders: Repo, djgate: Any) -> None:
    # The shape of a real two-step removal: the state operations assigned in the class body, then named.
    named = (
        '    state_operations = [migrations.RemoveField(model_name="order", name="status")]\n'
        "    operations = [migrations.SeparateDatabaseAndState(state_operations=state_operations)]\n"
    )
    orders.put(
        "orders/migrations/0003_retire_status.py",
        migration(("orders", LATEST)).replace("    operations = [\n    ]\n", named),
    )
    orders.commit("feat(orders): stop using the status")
    drop = (
        '        migrations.RunSQL("ALTER TABLE orders_order DROP COLUMN status;", migrations.RunSQL.noop),\n'
        '        migrations.RunSQL("ALTER TABLE orders_order DROP COLUMN total;", migrations.RunSQL.noop),\n'
    )
    orders.write(
        "orders/migrations/0004_drop.py", migration(("orders", "0003_retire_status"), operations=drop)
    )
    orders.stage()

    [finding] = check(djgate, "DJG307")[1]  # total is still in use: its drop is the one reported

    assert (finding["path"], finding["line"]) == ("orders/migrations/0004_drop.py", 8)
    assert finding["message"].startswith("migration 0004_drop: RunSQL runs DROP COLUMN")


@pytest.mark.parametrize(
    ("field", "flagged"),
    [
        ("models.BigIntegerField(default=0)", False),  # integer to bigint: the old release reads it as before
        ("models.FloatField(default=0)", True),
    ],
)
def test_a_wider_column_of_the_same_kind_is_no_type_change(
    orders: Repo, djgate: Any, field: str, flagged: bool
) -> None:
    findings = judge(orders, djgate, f'        migrations.AlterField("order", "total", {field}),\n')
    assert bool(findings) is flagged


def test_not_null_after_a_backfill_is_the_last_safe_step(orders: Repo, djgate: Any) -> None:
    # The shape of a real three-step change: nullable in one release, backfilled, NOT NULL in the next.
    add = '        migrations.AddField("order", "lines_count", models.PositiveIntegerField(null=True)),\n'
    orders.put("orders/migrations/0003_lines_count.py", migration(("orders", LATEST), operations=add))
    backfill = (
        "def count_lines(apps, schema_editor):\n"
        "    apps.get_model('orders', 'Order').objects.filter(lines_count__isnull=True).update(lines_count=0)\n\n\n"
    )
    fill = "        migrations.RunPython(count_lines, migrations.RunPython.noop),\n"
    orders.put(
        "orders/migrations/0004_fill_lines_count.py",
        migration(("orders", "0003_lines_count"), operations=fill).replace(
            "\n\nclass", f"\n\n{backfill}class"
        ),
    )
    orders.commit("feat(orders): count the lines of an order")
    not_null = (
        '        migrations.AlterField("order", "lines_count", models.PositiveIntegerField()),\n'
        '        migrations.AlterField("order", "note", models.CharField(max_length=200)),\n'
    )
    orders.write(
        "orders/migrations/0005_lines_count_required.py",
        migration(("orders", "0004_fill_lines_count"), operations=not_null),
    )
    orders.stage()

    [finding] = check(djgate, "DJG307")[1]  # the note had no backfill

    assert finding["message"].startswith("migration 0005_lines_count_required: AlterField makes order.note")


def test_proxy_and_unmanaged_models_have_no_table_to_break(orders: Repo, djgate: Any) -> None:
    tableless = (
        '        migrations.CreateModel("ArchivedOrder", [], options={"proxy": True}, bases=("orders.order",)),\n'
        '        migrations.CreateModel(\n            name="SalesReport",\n'
        '            fields=[("day", models.DateField(primary_key=True))],\n'
        '            options={"managed": False, "db_table": "orders_sales_view"},\n        ),\n'
    )
    orders.put("orders/migrations/0003_reports.py", migration(("orders", LATEST), operations=tableless))
    orders.commit("feat(orders): add the sales report")
    removals = (
        '        migrations.DeleteModel(name="ArchivedOrder"),\n'
        '        migrations.RenameField("salesreport", "day", "date"),\n'
        '        migrations.DeleteModel(name="SalesReport"),\n'
        '        migrations.DeleteModel(name="Order"),\n'
    )
    orders.write("orders/migrations/0004_drop.py", migration(("orders", "0003_reports"), operations=removals))
    orders.stage()

    [finding] = check(djgate, "DJG307")[1]

    assert finding["message"].startswith("migration 0004_drop: DeleteModel drops the table of order:")


def test_what_no_release_has_yet_may_change(orders: Repo, djgate: Any) -> None:
    # The shape of a feature branch reworking its own models before they ship: the model and the field
    # come from migrations of the branch that are not on the target branch yet.
    orders.git("checkout", "-q", "-b", "topic", "--track", "main")
    coupon = (
        '        migrations.CreateModel("Coupon", [("id", models.BigAutoField(primary_key=True)), '
        '("origin_code", models.CharField(max_length=20))]),\n'
        '        migrations.AddField("order", "promo", models.CharField(max_length=20, null=True)),\n'
    )
    orders.put("orders/migrations/0003_coupon.py", migration(("orders", LATEST), operations=coupon))
    orders.commit("feat(orders): add coupons")
    rework = (
        '        migrations.RemoveField("coupon", "origin_code"),\n'
        '        migrations.AddField("coupon", "code", models.CharField(max_length=12)),\n'
        '        migrations.RenameField("order", "promo", "promotion"),\n'
        '        migrations.AlterField("order", "promotion", models.CharField(max_length=20)),\n'
        '        migrations.RemoveField("order", "note"),\n'
    )
    orders.write("orders/migrations/0004_rework.py", migration(("orders", "0003_coupon"), operations=rework))
    orders.stage()

    [finding] = check(djgate, "DJG307")[1]

    assert finding["message"].startswith("migration 0004_rework: RemoveField drops the column of order.note")


VIEW = """
DAILY = '''CREATE MATERIALIZED VIEW orders_daily AS
    SELECT date_trunc('day', created) AS day, count(*) AS orders FROM orders_order GROUP BY 1'''
"""


def test_a_view_dropped_and_created_again_is_redefined(orders: Repo, djgate: Any) -> None:
    # The shape of a real view redefinition: the new definition in a module constant, in an f-string.
    redefine = (
        '        migrations.RunSQL(f"DROP MATERIALIZED VIEW IF EXISTS orders_daily;\\n{DAILY}", ""),\n'
        '        migrations.RunSQL("DROP VIEW IF EXISTS orders_weekly", ""),\n'
    )
    source = migration(("orders", LATEST), operations=redefine).replace("\n\nclass", f"\n{VIEW}\n\nclass")
    orders.write("orders/migrations/0003_change.py", source)
    orders.stage()

    [finding] = check(djgate, "DJG307")[1]

    assert (finding["line"], finding["message"]) == (
        12,
        "migration 0003_change: RunSQL runs DROP VIEW: the release still running during the deploy queries "
        "what it drops or renames, and fails until the new code is out",
    )


@pytest.mark.parametrize(
    ("field", "flagged"),
    [
        ("models.CharField(blank=True, max_length=1000)", False),  # Django fills the rows with ""
        ("models.TextField(blank=True)", False),
        ("models.IntegerField(blank=True)", True),  # no empty string for a number
    ],
)
def test_a_blank_text_column_gets_the_empty_string(
    orders: Repo, djgate: Any, field: str, flagged: bool
) -> None:
    findings = judge(orders, djgate, f'        migrations.AddField("order", "source_url", {field}),\n')
    assert bool(findings) is flagged


# django-pghistory's event models (courtlistener): written by the triggers the same migration re-creates, read
# by no release's code, so their columns come and go with the tracked model's.
PGHISTORY = """        migrations.CreateModel(
            name="OrderEvent",
            fields=[
                ("pgh_id", models.AutoField(primary_key=True, serialize=False)),
                ("pgh_created_at", models.DateTimeField(auto_now_add=True)),
                ("pgh_label", models.TextField()),
                ("id", models.BigIntegerField()),
                ("note", models.CharField(max_length=200, null=True)),
                ("pgh_obj", models.ForeignKey(db_constraint=False, on_delete=models.DO_NOTHING, to="orders.order")),
            ],
            options={"abstract": False},
        ),
"""


@pytest.mark.parametrize(
    "operation",
    [
        'migrations.RemoveField(model_name="orderevent", name="note")',
        'migrations.AlterField("orderevent", "note", models.TextField())',
        'migrations.AddField("orderevent", "total", models.IntegerField())',
    ],
)
def test_a_trigger_written_history_table_follows_its_model(shop: Repo, djgate: Any, operation: str) -> None:
    shop.write(f"orders/migrations/{INITIAL}.py", migration(operations=CREATE + PGHISTORY))
    shop.stage()
    shop.commit("feat(orders): track orders")
    operations = (
        '        pgtrigger.migrations.RemoveTrigger(model_name="order", name="update_update"),\n'
        f"        {operation},\n"
        '        migrations.RemoveField(model_name="order", name="note"),\n'
    )
    shop.write("orders/migrations/0002_change.py", migration(("orders", INITIAL), operations=operations))
    shop.stage()
    _, findings = check(djgate, "DJG307")
    assert [f["message"].split(": ", 1)[1][:40] for f in findings] == [
        "RemoveField drops the column of order.no"
    ]


def test_the_history_of_a_long_chain_of_migrations_is_replayed(orders: Repo, djgate: Any) -> None:
    """An app with 1,500 migrations in one chain (deeper than Python's recursion limit): the history before
    the new one is still replayed, and what it drops is known."""
    previous = LATEST
    for n in range(3, 1503):
        name = f"{n:04d}_step"
        orders.write(f"orders/migrations/{name}.py", migration(("orders", previous)))
        previous = name
    orders.stage()
    orders.commit("feat(orders): a long history")
    orders.write(
        "orders/migrations/1503_drop_note.py",
        migration(
            ("orders", previous),
            operations='        migrations.RemoveField(model_name="order", name="note"),\n',
        ),
    )
    orders.stage()
    code, findings = check(djgate, "DJG307")
    assert code == 0
    (finding,) = findings
    assert finding["message"].startswith(
        "migration 1503_drop_note: RemoveField drops the column of order.note"
    )
