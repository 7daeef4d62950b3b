"""DJG201 and DJG202: one app per commit, and the scope names it."""

from __future__ import annotations

import json
import shlex

from djgate.gitrepo import GitRepo

from .conftest import Repo, write_msg


def findings(djgate, *args: str) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    result = djgate(*args, "--format", "json")
    assert result.code in (0, 1), result.err
    return json.loads(result.out)["findings"]  # type: ignore[no-any-return]


def stage(repo: Repo, *paths: str) -> None:
    for path in paths:
        repo.write(path, "x = 1\n")
    repo.stage(*paths)


def test_one_app_plus_neutral_and_shared_files_pass(shop: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    stage(shop, "orders/models.py", "shop/settings.py", "README.md", "requirements.txt", ".github/ci.yml")
    assert findings(djgate, "check-staged", "--family", "scope") == []


def test_two_apps_refused_with_the_split_command(shop: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    stage(shop, "orders/models.py", "orders/views.py", "billing/models.py")
    (finding,) = findings(djgate, "check-staged", "--family", "scope")
    assert finding["code"] == "DJG201"
    assert finding["message"] == "the change touches 2 apps: billing, orders"
    hint = finding["hint"]
    assert "orders: orders/models.py, orders/views.py" in hint
    assert "billing: billing/models.py" in hint
    command = hint.splitlines()[-1].split(": ", 1)[1]
    assert command == "git restore --staged -- billing/models.py"
    # The command it prints really splits the commit.
    shop.git(*shlex.split(command)[1:])
    assert findings(djgate, "check-staged", "--family", "scope") == []


def test_split_command_keeps_the_scoped_app_and_quotes_paths(shop: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    stage(shop, "orders/a b.py", "billing/x.py", "billing/y.py")
    result = findings(djgate, "check-msg", write_msg(shop, "feat(orders): add"))
    (finding,) = [f for f in result if f["code"] == "DJG201"]
    assert finding["hint"].endswith("git restore --staged -- billing/x.py billing/y.py")
    stage(shop, "orders/c.py")
    result = findings(djgate, "check-msg", write_msg(shop, "feat(billing): add"))
    (finding,) = [f for f in result if f["code"] == "DJG201"]
    assert finding["hint"].endswith("git restore --staged -- 'orders/a b.py' orders/c.py")


def test_the_first_commit_starts_every_app_at_once(repo: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    repo.app("orders")
    repo.app("billing")
    repo.stage()
    assert findings(djgate, "check-staged", "--family", "scope") == []  # judged on its message only
    repo.commit("feat(orders): start the shop")
    repo.put("orders/a.py", "A = 1\n")
    repo.put("billing/b.py", "B = 1\n")
    assert [f["code"] for f in findings(djgate, "check-staged", "--family", "scope")] == ["DJG201"]


def test_rename_across_apps_touches_both(shop: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    shop.git("mv", "orders/models.py", "billing/order_models.py")
    (finding,) = findings(djgate, "check-staged", "--family", "scope")
    assert finding["code"] == "DJG201"


def test_configured_app_paths_count(shop: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    shop.write("pyproject.toml", '[tool.djgate]\napps = {billing = ["templates/billing/**"]}\n')
    stage(shop, "orders/models.py", "templates/billing/invoice.html")
    assert [f["code"] for f in findings(djgate, "check-staged", "--family", "scope")] == ["DJG201"]
    shop.git("restore", "--staged", "orders/models.py")
    assert findings(djgate, "check-staged", "--family", "scope") == []


def test_scope_names_another_app(shop: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    stage(shop, "billing/services.py")
    (finding,) = findings(djgate, "check-msg", write_msg(shop, "fix(orders): round totals"))
    assert finding["code"] == "DJG202"
    assert finding["hint"] == "write: fix(billing): round totals"


def test_extra_scope_on_app_files(shop: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    shop.write("pyproject.toml", '[tool.djgate]\nextra_scopes = ["deps"]\n')
    stage(shop, "billing/services.py")
    (finding,) = findings(djgate, "check-msg", write_msg(shop, "build(deps): bump"))
    assert finding["code"] == "DJG202"
    assert "not an app" in finding["message"]


def test_app_scope_on_neutral_files_is_refused(shop: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    # Issue 13 reversed this: an app scope must name an app the change touches.
    stage(shop, "shop/settings.py")
    (finding,) = findings(djgate, "check-msg", write_msg(shop, "feat(orders): enable orders"))
    assert (finding["code"], finding["hint"]) == ("DJG202", "write: feat: enable orders (no scope)")


def test_a_change_touching_no_app_needs_no_scope(shop: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    # Nothing staged (an empty commit, a reword): no files to judge the scope against.
    assert findings(djgate, "check-msg", write_msg(shop, "fix(orders): reword the last message")) == []
    shop.write("pyproject.toml", '[tool.djgate]\nextra_scopes = ["ci"]\n')
    stage(shop, ".pre-commit-config.yaml")  # pyproject.toml unstaged: no DJG110
    assert findings(djgate, "check-msg", write_msg(shop, "chore: add pre-commit config")) == []
    assert findings(djgate, "check-msg", write_msg(shop, "chore(ci): add pre-commit config")) == []
    (finding,) = findings(djgate, "check-msg", write_msg(shop, "chore(orders): add pre-commit config"))
    assert finding["code"] == "DJG202"
    assert finding["hint"] == "write: chore: add pre-commit config (no scope, or one of the extra_scopes: ci)"
    (finding,) = findings(djgate, "check-msg", write_msg(shop, "chore(tooling): add pre-commit config"))
    assert finding["code"] == "DJG104"
    # An app change still needs its scope.
    stage(shop, "orders/models.py")
    (finding,) = findings(djgate, "check-msg", write_msg(shop, "chore: add pre-commit config"))
    assert (finding["code"], finding["hint"]) == ("DJG103", "write: chore(orders): add pre-commit config")


def test_require_scope_always(shop: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    shop.write("pyproject.toml", '[tool.djgate]\nextra_scopes = ["ci", "deps"]\nrequire_scope = "always"\n')
    stage(shop, ".pre-commit-config.yaml")  # pyproject.toml unstaged: no DJG110
    (finding,) = findings(djgate, "check-msg", write_msg(shop, "chore: add pre-commit config"))
    assert finding["code"] == "DJG103"
    assert (
        finding["hint"]
        == "write: chore(<scope>): add pre-commit config, with one of the extra_scopes: ci, deps"
    )
    assert findings(djgate, "check-msg", write_msg(shop, "chore(ci): add pre-commit config")) == []


def test_check_range_agrees_on_a_change_touching_no_app(shop: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    base = shop.git("rev-parse", "HEAD").strip()
    stage(shop, ".pre-commit-config.yaml")
    good = shop.commit("chore: add pre-commit config")
    stage(shop, ".editorconfig")
    bad = shop.commit("chore(orders): add editorconfig")
    result = djgate("check-range", f"{base}..HEAD", "--ignore", "DJG301", "--format", "json")
    assert [(f["code"], f["commit"]) for f in json.loads(result.out)["findings"]] == [("DJG202", bad)]
    assert good != bad


def test_commit_mode_hint_for_a_multi_app_commit(shop: Repo) -> None:
    from djgate.config import Config
    from djgate.engine import check_range

    stage(shop, "orders/a.py", "billing/b.py")
    sha = shop.commit("feat(orders): both")
    git = GitRepo.discover()
    (finding,) = check_range(git, Config(), git.resolve_range(f"{sha}~1..{sha}")).findings
    assert (finding.code, finding.commit) == ("DJG201", sha)
    assert "git rebase -i" in (finding.hint or "")


# What Django would load, on layouts seen in real projects: each false positive next to a true positive.

ADMIN_CONFIG = """from django.contrib.admin.apps import AdminConfig


class ShopAdminConfig(AdminConfig):
    name = "django.contrib.admin"
    default_site = "shop.admin.ShopAdminSite"
"""
LOADER_MODULE = """from ..core.dataloaders import DataLoader


class OrdersByCustomerLoader(DataLoader):
    context_key = "orders_by_customer"
"""
TEST_SETTINGS = """from shop.settings import *  # noqa: F403

INSTALLED_APPS.append("shop.tests")  # noqa: F405
"""


def scope_codes(djgate) -> list[str]:  # type: ignore[no-untyped-def]
    return [f["code"] for f in findings(djgate, "check-staged", "--family", "scope")]


def test_a_contrib_config_does_not_make_the_project_package_an_app(shop: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    shop.put("shop/apps.py", ADMIN_CONFIG)
    shop.commit()
    stage(shop, "shop/settings.py", "shop/urls.py", "orders/models.py")
    assert scope_codes(djgate) == []
    stage(shop, "billing/models.py")
    assert scope_codes(djgate) == ["DJG201"]


def test_a_dataloader_module_named_apps_py_is_no_app(shop: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    shop.put("shop/graphql/orders/loaders/apps.py", LOADER_MODULE)
    shop.commit()
    stage(shop, "shop/graphql/orders/loaders/customers.py", "orders/models.py")
    assert scope_codes(djgate) == []
    stage(shop, "billing/models.py")
    assert scope_codes(djgate) == ["DJG201"]


def test_a_tests_package_only_test_settings_install_is_no_app(shop: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    shop.put("shop/tests/settings.py", TEST_SETTINGS)
    shop.put("shop/tests/migrations/__init__.py", "")
    shop.put("shop/tests/migrations/0001_initial.py", "")
    shop.commit()
    stage(shop, "shop/tests/settings.py", "shop/tests/fixtures.py", "orders/models.py")
    assert scope_codes(djgate) == []
    stage(shop, "billing/models.py")
    assert scope_codes(djgate) == ["DJG201"]


def test_an_installed_app_with_neither_apps_py_nor_migrations_counts(shop: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    shop.put("shop/settings.py", "INSTALLED_APPS = ['django.contrib.auth', 'orders', 'billing', 'seo']\n")
    shop.put("seo/__init__.py", "")
    shop.commit()
    stage(shop, "seo/sitemaps.py", "seo/templatetags/seo.py")
    assert scope_codes(djgate) == []
    stage(shop, "orders/models.py")
    (finding,) = findings(djgate, "check-staged", "--family", "scope")
    assert finding["message"] == "the change touches 2 apps: orders, seo"


def test_an_apps_py_naming_its_parent_package(shop: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    shop.put("profiles/__init__.py", "")
    shop.put("profiles/config/__init__.py", "")
    shop.put(
        "profiles/config/apps.py",
        "from django.apps import AppConfig\n\n\nclass ProfilesConfig(AppConfig):\n    name = 'profiles'\n",
    )
    shop.commit()
    stage(shop, "profiles/models.py", "profiles/views.py")
    assert scope_codes(djgate) == []
    stage(shop, "orders/models.py")
    (finding,) = findings(djgate, "check-staged", "--family", "scope")
    assert finding["message"] == "the change touches 2 apps: orders, profiles"
