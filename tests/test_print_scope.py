"""DJG501 judges the project's Django code (apps, the project package, management commands), not the
stand-alone scripts around it, nor migrations. Each look-alike of a real false positive sits next to a
print that must still be refused."""

from __future__ import annotations

import functools

from .conftest import Repo, family_codes

codes = functools.partial(family_codes, "print")

LEFTOVER = "def refund(order):\n    print(order.pk)\n    return order\n"  # a real leftover debug print

RELEASE_CHECK = """\
import sys
import zipfile


def check(path):
    names = zipfile.ZipFile(path).namelist()
    missing = [n for n in ("PKG-INFO",) if n not in names]
    for name in missing:
        print(f"missing from the wheel: {name}")
    print("wheel contents OK" if not missing else "FAILED")
    return 1 if missing else 0


sys.exit(check(sys.argv[1]))
"""

PIPELINE_HELPER = """\
import os

version = os.environ.get("BUILD_VERSION", "0.0.0")
print(f"##vso[task.setvariable variable=appVersion]{version}")
"""


def test_stand_alone_scripts_outside_the_django_code_may_print(shop: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    shop.put("scripts/verify_wheel_contents.py", RELEASE_CHECK)  # a CI helper at the top level
    shop.put("pipelines/set_version.py", PIPELINE_HELPER)  # an Azure pipeline helper, in no known folder
    shop.put("setup.py", "print('building')\n")
    shop.put("generate_secret_key.py", "import secrets\n\nprint(secrets.token_urlsafe(50))\n")
    shop.put("orders/services.py", LEFTOVER)
    assert codes(djgate) == [("DJG501", "orders/services.py", 2)]


def test_script_paths_inside_the_project_package(shop: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    shop.put("shop/scripts/backfill_totals.py", RELEASE_CHECK)  # shop/ holds settings.py: Django code
    shop.put("shop/deploy/notify.py", PIPELINE_HELPER)
    shop.put("shop/reports.py", LEFTOVER)
    assert codes(djgate) == [("DJG501", "shop/reports.py", 2)]
    shop.write("pyproject.toml", '[tool.djgate]\nscript_paths = ["shop/deploy/"]\n')  # replaces the defaults
    assert codes(djgate) == [
        ("DJG501", "shop/reports.py", 2),
        ("DJG501", "shop/scripts/backfill_totals.py", 9),
        ("DJG501", "shop/scripts/backfill_totals.py", 10),
    ]


def test_the_project_package_and_apps_without_apps_py_are_judged(shop: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    shop.put("shop/settings.py", "INSTALLED_APPS = ['orders', 'billing']\nprint('loading settings')\n")
    shop.put("shop/lib/money.py", LEFTOVER)  # below the project package
    shop.put(
        "legacy/models.py", "from django.db import models\n"
    )  # an app with neither apps.py nor migrations/
    shop.put("legacy/views.py", LEFTOVER)
    shop.put("vendored/pyxb/examples/demo.py", LEFTOVER)  # third-party code outside the Django code
    assert codes(djgate) == [
        ("DJG501", "legacy/views.py", 2),
        ("DJG501", "shop/lib/money.py", 2),
        ("DJG501", "shop/settings.py", 2),
    ]


def test_migrations_may_print_for_the_operator(shop: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    migration = """\
from django.db import migrations


def backfill(apps, schema_editor):
    Order = apps.get_model("orders", "Order")
    total = Order.objects.count()
    for done, order in enumerate(Order.objects.iterator(), 1):
        order.save(update_fields=["total"])
        if done % 1000 == 0:
            print(f"  {done}/{total} orders backfilled")
    print("\\n  Now run: python manage.py rebuild_search_index")


class Migration(migrations.Migration):
    dependencies = [("orders", "0001_initial")]
    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
"""
    shop.put("orders/migrations/0002_backfill_totals.py", migration)
    shop.put("orders/services.py", LEFTOVER)
    assert codes(djgate) == [("DJG501", "orders/services.py", 2)]
    # A debugger left in a migration still stops `migrate`: DJG502 judges migrations.
    shop.put(
        "orders/migrations/0002_backfill_totals.py",
        migration.replace("    total =", "    breakpoint()\n    total ="),
    )
    assert ("DJG502", "orders/migrations/0002_backfill_totals.py", 6) in codes(djgate)


def test_command_line_programs_may_print_but_management_commands_may_not(shop: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    cli = """\
import argparse
import sys


def main(argv=None):
    parser = argparse.ArgumentParser(prog="shop")
    parser.add_argument("command", choices=("version", "secret-key"))
    args = parser.parse_args(argv)
    if args.command == "version":
        print("shop 1.0")
    return 0
"""
    command = """\
import argparse

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    def add_arguments(self, parser):
        parser.add_argument("--since", type=argparse.FileType("r"))

    def handle(self, *args, **options):
        print("closing orders")
"""
    shop.put("shop/cli.py", cli)  # the console entry point of the project package
    shop.put("orders/management/commands/close_orders.py", command)
    shop.put("legacy/management/commands/purge.py", command)  # an app djgate does not know of
    assert codes(djgate) == [
        ("DJG501", "legacy/management/commands/purge.py", 11),
        ("DJG501", "orders/management/commands/close_orders.py", 11),
    ]


def test_file_names_from_pre_commit_and_ranges_judge_the_same_scope(shop: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    shop.put("scripts/verify_wheel_contents.py", RELEASE_CHECK)
    shop.put("orders/services.py", LEFTOVER)
    names = ("scripts/verify_wheel_contents.py", "orders/services.py")
    assert codes(djgate, *names) == [("DJG501", "orders/services.py", 2)]  # the hook passes file names
    shop.commit("feat(orders): refund")
    result = djgate("check-range", "HEAD~1..HEAD", "--select", "DJG501")
    assert "orders/services.py:2: DJG501" in result.out and "scripts/" not in result.out
