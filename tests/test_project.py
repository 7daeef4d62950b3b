from __future__ import annotations

import pytest

from djgate.config import Config
from djgate.gitrepo import GitRepo
from djgate.project import App, AppMap, discover_apps, read_app_config

from .conftest import Repo


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (b"class C(AppConfig):\n    name = 'shop.orders'\n", ("shop.orders", None)),
        (b"class C(AppConfig):\n    name = 'a.b'\n    label = 'bee'\n", ("a.b", "bee")),
        (b"class C(apps.AppConfig):\n    name: str = 'x'\n", ("x", None)),
        (
            b"class A(AppConfig):\n    name = 'one'\nclass B(AppConfig):\n    name = 'two'\n    default = True\n",
            ("two", None),
        ),
        (b"def broken(:\n", (None, None)),
        (b"\xff\xfe not python", (None, None)),
        (b"class C(AppConfig):\n    verbose_name = 'x'\n", (None, None)),
    ],
)
def test_read_app_config(source: bytes, expected: tuple[str | None, str | None]) -> None:
    assert read_app_config(source) == expected


def test_label_precedence() -> None:
    apps = discover_apps(
        ["a/apps.py", "b/apps.py", "c/migrations/__init__.py", "migrations/__init__.py"],
        {
            "a/apps.py": b"class C(AppConfig):\n    name = 'proj.alpha'\n    label = 'alpha_label'\n",
            "b/apps.py": b"class C(AppConfig):\n    name = 'proj.beta'\n",
        },
    )
    assert [(a.root, a.label) for a in apps] == [("a", "alpha_label"), ("b", "beta"), ("c", "c")]


def test_deepest_app_wins_for_nested_apps() -> None:
    apps = [
        App("openrosa", "kobo/apps/openrosa"),
        App("logger", "kobo/apps/openrosa/apps/logger"),
    ]
    amap = AppMap(apps, Config())
    assert amap.app_of("kobo/apps/openrosa/apps/logger/models.py") == "logger"
    assert amap.app_of("kobo/apps/openrosa/views.py") == "openrosa"
    assert amap.app_of("kobo/settings.py") is None


def test_shared_configured_and_excluded_paths() -> None:
    config = Config(apps={"billing": ("templates/billing/**", "tests/billing/**")}, exclude=("vendor/**",))
    amap = AppMap([App("orders", "orders"), App("lib", "vendor/lib")], config)
    assert amap.app_of("orders/README.md") is None  # *.md is shared by default
    assert amap.app_of("orders/docs/guide.rst") is None
    assert amap.app_of("templates/billing/invoice.html") == "billing"
    assert amap.app_of("tests/billing/test_x.py") == "billing"
    assert amap.app_of("vendor/lib/models.py") is None
    assert amap.labels == {"orders", "billing"}
    assert amap.group(["orders/a.py", "shop/settings.py", "templates/billing/x.html", "orders/a.py"]) == {
        "orders": ["orders/a.py"],
        "billing": ["templates/billing/x.html"],
    }


@pytest.mark.parametrize("layout", ["flat", "apps-folder", "nested", "labelled"])
def test_discovery_in_real_repositories(repo: Repo, layout: str) -> None:
    if layout == "flat":
        repo.app("orders")
        repo.app("billing")
        expected = {"orders": "orders/models.py", "billing": "billing/models.py"}
    elif layout == "apps-folder":
        repo.app("apps/orders", name="apps.orders")
        repo.write("apps/__init__.py")
        repo.write("apps/catalog/migrations/__init__.py")  # an app without apps.py
        repo.write("apps/catalog/models.py")
        expected = {"orders": "apps/orders/models.py", "catalog": "apps/catalog/models.py"}
    elif layout == "nested":
        repo.app("kobo/apps/openrosa", name="kobo.apps.openrosa")
        repo.app("kobo/apps/openrosa/apps/logger", name="kobo.apps.openrosa.apps.logger")
        expected = {
            "openrosa": "kobo/apps/openrosa/models.py",
            "logger": "kobo/apps/openrosa/apps/logger/models.py",
        }
    else:
        repo.app("src/shop/orders", name="shop.orders", label="shop_orders")
        expected = {"shop_orders": "src/shop/orders/models.py"}
    repo.stage()
    git = GitRepo.discover()
    staged = AppMap(git.apps(), Config())
    assert {label: path for label, path in expected.items() if staged.app_of(path) == label} == expected
    sha = repo.commit()
    committed = AppMap(GitRepo.discover().apps(sha), Config())
    assert committed.labels == staged.labels == set(expected)


def test_staged_apps_py_is_read_not_the_working_tree(repo: Repo) -> None:
    repo.app("orders", label="staged_label")
    repo.stage()
    repo.write("orders/apps.py", "class C(AppConfig):\n    name = 'orders'\n    label = 'worktree_label'\n")
    assert {a.label for a in GitRepo.discover().apps()} == {"staged_label"}


# Real layouts that fooled discovery (the shapes seen on public projects, renamed), each next to a real app.

ADMIN_SITE_CONFIG = b"""from django.contrib.admin.apps import AdminConfig


class ShopAdminConfig(AdminConfig):
    default_site = "shop.admin.ShopAdminSite"
"""
ADMIN_NAMED_CONFIG = b"""from django.contrib.admin.apps import AdminConfig as BaseAdminConfig


class AdminConfig(BaseAdminConfig):
    name = "django.contrib.admin"
    default_site = "shop.admin.ShopAdminSite"
"""
DATALOADER_APPS_PY = b"""from collections import defaultdict

from ...core.dataloaders import DataLoader


class ActiveIntegrationsByKeyLoader(DataLoader):
    context_key = "integrations_by_key"

    def batch_load(self, keys):
        found = defaultdict(list)
        return [found.get(key, []) for key in keys]
"""


def config(name: str, cls: str = "Config") -> bytes:
    return f"from django.apps import AppConfig\n\n\nclass {cls}(AppConfig):\n    name = {name!r}\n".encode()


def roots(paths: list[str], sources: dict[str, bytes], settings: str | None = None) -> dict[str, str]:
    return {a.root: a.label for a in discover_apps(paths, sources, settings)}


@pytest.mark.parametrize("apps_py", [ADMIN_SITE_CONFIG, ADMIN_NAMED_CONFIG])
def test_a_contrib_apps_config_in_the_project_package_is_no_app(apps_py: bytes) -> None:
    paths = ["shop/__init__.py", "shop/apps.py", "shop/settings.py", "orders/__init__.py", "orders/apps.py"]
    sources = {"shop/apps.py": apps_py, "orders/apps.py": config("orders")}
    assert roots(paths, sources) == {"orders": "orders"}
    amap = AppMap(discover_apps(paths, sources), Config())
    assert amap.app_of("shop/settings.py") is None
    assert amap.app_of("orders/models.py") == "orders"


def test_an_apps_py_without_an_app_config_is_no_app() -> None:
    paths = [
        "shop/__init__.py",
        "shop/graphql/__init__.py",
        "shop/graphql/integration/__init__.py",
        "shop/graphql/integration/dataloaders/__init__.py",
        "shop/graphql/integration/dataloaders/apps.py",
        "shop/integration/__init__.py",
        "shop/integration/apps.py",
    ]
    sources = {
        "shop/graphql/integration/dataloaders/apps.py": DATALOADER_APPS_PY,
        "shop/integration/apps.py": config("shop.integration"),
    }
    assert roots(paths, sources) == {"shop/integration": "integration"}
    assert read_app_config(DATALOADER_APPS_PY) == (None, None)


def test_the_app_is_the_package_its_config_names() -> None:
    """`name` names the app: its parent package (a config kept in a subpackage), or a package found from
    the import root (apps under a source directory with no __init__.py)."""
    paths = [
        "accounts/__init__.py",
        "accounts/config/__init__.py",
        "accounts/config/apps.py",
        "accounts/models.py",
        "src/inventory/__init__.py",
        "src/inventory/apps.py",
        "src/inventory/migrations/__init__.py",
    ]
    sources = {"accounts/config/apps.py": config("accounts"), "src/inventory/apps.py": config("inventory")}
    assert roots(paths, sources) == {"accounts": "accounts", "src/inventory": "inventory"}
    amap = AppMap(discover_apps(paths, sources), Config())
    assert amap.app_of("accounts/views.py") == amap.app_of("accounts/config/apps.py") == "accounts"


SETTINGS = b"""import os

DJANGO_APPS = [
    "django.contrib.auth",  # the admin (below) needs it
    "django.contrib.contenttypes",
]
LOCAL_APPS: list[str] = [
    "shop.orders",
    "shop.search",  # no apps.py, no migrations: an app all the same
    "shop.billing.apps.BillingConfig",
]
INSTALLED_APPS = DJANGO_APPS + ["django_filters"] + LOCAL_APPS
if os.environ.get("DEBUG"):
    INSTALLED_APPS += ("debug_toolbar",)
    INSTALLED_APPS.append("shop.devtools")
"""
TEST_SETTINGS = b"""from ..settings import *  # noqa: F403

INSTALLED_APPS.append("shop.tests")  # noqa: F405
INSTALLED_APPS += ["shop.fake_payments", "shop.sandbox.apps.SandboxConfig"]
"""


def test_installed_apps_without_markers_are_apps_and_test_only_apps_are_not() -> None:
    paths = [
        "shop/__init__.py",
        "shop/settings.py",
        "shop/orders/__init__.py",
        "shop/orders/apps.py",
        "shop/search/__init__.py",
        "shop/billing/__init__.py",
        "shop/billing/apps.py",
        "shop/devtools/__init__.py",
        "shop/tests/__init__.py",
        "shop/tests/settings.py",
        "shop/tests/migrations/__init__.py",
        "shop/fake_payments/__init__.py",
        "shop/fake_payments/migrations/__init__.py",
        "shop/utils/__init__.py",
        "shop/sandbox/__init__.py",
        "shop/sandbox/apps.py",
    ]
    sources = {
        "shop/sandbox/apps.py": config("shop.sandbox", "SandboxConfig"),
        "shop/settings.py": SETTINGS,
        "shop/tests/settings.py": TEST_SETTINGS,
        "shop/orders/apps.py": config("shop.orders"),
        "shop/billing/apps.py": config("shop.billing", "BillingConfig"),
    }
    assert roots(paths, sources) == {
        "shop/billing": "billing",
        "shop/devtools": "devtools",
        "shop/orders": "orders",
        "shop/search": "search",
    }


def test_the_configured_settings_module_is_read_and_never_test_settings() -> None:
    """A reusable app's repository: its only settings are the tests' own, named in [tool.djgate] settings."""
    paths = ["tests/__init__.py", "tests/conf.py", "coupons/__init__.py", "tests/testapp/__init__.py"]
    sources = {"tests/conf.py": b"INSTALLED_APPS = ['django.contrib.auth', 'coupons', 'tests.testapp']\n"}
    assert roots(paths, sources, settings="tests.conf") == {"coupons": "coupons", "tests/testapp": "testapp"}
    assert roots(paths, sources) == {}


def test_a_settings_package_and_names_resolved_from_its_import_root() -> None:
    """Apps listed by bare name (the project directory is on sys.path, not the repository root)."""
    paths = [
        "netshop/manage.py",
        "netshop/netshop/__init__.py",
        "netshop/netshop/settings/__init__.py",
        "netshop/netshop/settings/base.py",
        "netshop/dcim/__init__.py",
        "netshop/dcim/apps.py",
        "netshop/account/__init__.py",
        "netshop/netshop/api/__init__.py",
    ]
    sources = {
        "netshop/netshop/settings/base.py": b"INSTALLED_APPS = [\n    'dcim',\n    'account',\n    'netshop',\n]\n",
        "netshop/dcim/apps.py": config("dcim"),
    }
    # The project package listed as an app stays neutral: its settings and urls belong to no app.
    assert roots(paths, sources) == {"netshop/account": "account", "netshop/dcim": "dcim"}


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (b"INSTALLED_APPS = ('a', 'b')\n", ["a", "b"]),
        (b"A = ['a']\nB = A + ['b']\nINSTALLED_APPS = [*B, 'c']\n", ["a", "b", "c"]),
        (b"INSTALLED_APPS = list(BASE) + ['x']\nBASE = ('base',)\n", ["base", "x"]),
        (
            b"INSTALLED_APPS = ['a',  # a ] comment\n    'b [',\n]\nINSTALLED_APPS.insert(0, 'c')\n",
            ["a", "b [", "c"],
        ),
        (b"INSTALLED_APPS.extend(['e'])\nINSTALLED_APPS.remove('a')\n", ["e"]),
        (b"INSTALLED_APPS = [\n    '''a''',\n]\nINSTALLED_APPS_EXTRA = ['no']\n", ["a"]),
        (b"INSTALLED_APPS = [app for app in ALL]\nif INSTALLED_APPS == []: pass\n", []),
        (b"INSTALLED_APPS = get_apps()\n", []),
        (b"INSTALLED_APPS = [\n", []),
        (b"DEBUG = True\n", []),
    ],
)
def test_installed_apps_read_statically(source: bytes, expected: list[str]) -> None:
    from djgate.installed import installed_apps

    assert installed_apps(source) == expected


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("shop/tests/settings.py", True),
        ("config/settings/test.py", True),
        ("shop/settings_testing.py", True),
        ("test_settings.py", True),
        ("shop/settings.py", False),
        ("config/settings/production.py", False),
        ("shop/latest_settings.py", False),
    ],
)
def test_test_settings_modules(path: str, expected: bool) -> None:
    from djgate.installed import is_test_settings

    assert is_test_settings(path) is expected


def test_index_discovery_reads_settings_and_packages(repo: Repo) -> None:
    """The hook path lists only what discovery needs, and still finds an app that only INSTALLED_APPS names."""
    repo.app("shop/orders", name="shop.orders")
    repo.write("shop/__init__.py")
    repo.write("shop/apps.py", ADMIN_SITE_CONFIG.decode())
    repo.write(
        "shop/settings.py", "INSTALLED_APPS = ['shop.admin_ext.apps.X', 'shop.orders', 'shop.search']\n"
    )
    repo.write("shop/search/__init__.py")
    repo.write("shop/search/views.py")
    repo.write("shop/tests/__init__.py")
    repo.write("shop/tests/migrations/__init__.py")
    repo.stage()
    git = GitRepo.discover()
    assert {a.root: a.label for a in git.apps()} == {"shop/orders": "orders", "shop/search": "search"}
    sha = repo.commit()
    assert GitRepo.discover().apps(sha) == git.apps()


@pytest.mark.parametrize("how", ["config", "environment"])
def test_the_settings_module_named_in_config_or_environment_is_listed_and_read(
    repo: Repo, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    repo.write("tests/__init__.py")
    repo.write("tests/conf.py", "INSTALLED_APPS = ['django.contrib.auth', 'coupons', 'tests.testapp']\n")
    repo.write("tests/testapp/__init__.py")
    repo.write("coupons/__init__.py")
    repo.write("coupons/rules.py")
    repo.stage()
    config = Config(settings="tests.conf") if how == "config" else Config()
    if how == "environment":
        monkeypatch.setenv("DJANGO_SETTINGS_MODULE", "tests.conf")
    assert AppMap.of(GitRepo.discover(), config).labels == {"coupons", "testapp"}
    monkeypatch.delenv("DJANGO_SETTINGS_MODULE", raising=False)
    assert AppMap.of(GitRepo.discover(), Config()).labels == set()
