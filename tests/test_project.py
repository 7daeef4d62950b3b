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
