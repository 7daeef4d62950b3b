"""How djgate finds the project's interpreter and settings, and which files can change the model state."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from djgate.config import Config
from djgate.django.environment import find_interpreter, find_project, settings_of_manage_py
from djgate.django.modelstate import (
    can_change_model_state,
    import_statements,
    imported_modules,
    model_state_files,
)
from djgate.errors import DjgateError
from djgate.project import App, AppMap


def executable(path: Path, django: bool = True) -> Path:
    """A stand-in interpreter at PATH; in a virtualenv's bin/, with Django installed unless `django`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    if django and path.parent.name == "bin":
        package = path.parents[1] / "lib/python3.12/site-packages/django/__init__.py"
        package.parent.mkdir(parents=True, exist_ok=True)
        package.write_text("")
    return path


# -- the interpreter -------------------------------------------------------------------------------


def test_the_configured_interpreter_comes_first(tmp_path: Path) -> None:
    python = executable(tmp_path / "envs/project/bin/python")
    executable(tmp_path / ".venv/bin/python")
    found = find_interpreter(tmp_path, Config(python="envs/project/bin/python"), {})
    assert (found.path, found.found_via) == (str(python), "[tool.djgate] python")


def test_a_configured_interpreter_that_is_not_there(tmp_path: Path) -> None:
    with pytest.raises(
        DjgateError, match=r"\[tool.djgate\] python = 'nope/python' is not an executable file"
    ):
        find_interpreter(tmp_path, Config(python="nope/python"), {})


def test_a_virtualenv_without_django_is_passed_over(tmp_path: Path) -> None:
    # Under pre-commit, $VIRTUAL_ENV is the hook's environment, without Django: the repository's .venv wins.
    hook_env = executable(tmp_path / "hook-env/bin/python", django=False).parents[1]
    link = tmp_path / ".venv"
    link.symlink_to(executable(tmp_path / "elsewhere/venv/bin/python").parents[1], target_is_directory=True)
    found = find_interpreter(tmp_path, Config(), {"VIRTUAL_ENV": str(hook_env)}, own=hook_env)
    assert (found.path, found.found_via) == (str(link / "bin/python"), ".venv/ in the repository")


def test_an_activated_virtualenv_with_django_and_djgate_is_the_projects(tmp_path: Path) -> None:
    # The case: djgate installed in the project's own virtualenv, activated, outside the repository.
    executable(tmp_path / "venv/bin/python", django=False)
    found = find_interpreter(tmp_path, Config(), {"VIRTUAL_ENV": sys.prefix, "PATH": ""})
    assert found.found_via == "$VIRTUAL_ENV"  # this test environment has Django (the test extra)


def test_the_error_says_why_each_candidate_was_passed_over(tmp_path: Path) -> None:
    hook_env = executable(tmp_path / "hook-env/bin/python", django=False).parents[1]
    executable(tmp_path / ".venv/bin/python", django=False)
    with pytest.raises(DjgateError) as error:
        find_interpreter(
            tmp_path,
            Config(),
            {"VIRTUAL_ENV": str(hook_env), "PATH": str(tmp_path)},
            own=tmp_path / "nowhere",
        )
    assert f"$VIRTUAL_ENV {hook_env}/bin/python: no Django installed" in str(error.value)
    assert f".venv/ in the repository {tmp_path}/.venv/bin/python: no Django installed" in str(error.value)


def test_an_activated_virtualenv_comes_before_the_repository(tmp_path: Path) -> None:
    python = executable(tmp_path / "active/bin/python")
    executable(tmp_path / "venv/bin/python")
    found = find_interpreter(tmp_path, Config(), {"VIRTUAL_ENV": str(tmp_path / "active")})
    assert (found.path, found.found_via) == (str(python), "$VIRTUAL_ENV")
    assert find_interpreter(tmp_path, Config(), {}).found_via == "venv/ in the repository"


def test_python3_on_path_outside_djgates_environment(tmp_path: Path) -> None:
    own = executable(tmp_path / "djgate-env/bin/python3", django=False).parents[1]  # pipx's, say
    python = executable(tmp_path / "usr/bin/python3")
    path = os.pathsep.join([str(own / "bin"), str(tmp_path / "empty"), str(python.parent)])
    found = find_interpreter(tmp_path, Config(), {"PATH": path}, own=own)
    assert (found.path, found.found_via) == (str(python), "python3 on PATH")


def test_djgates_own_environment_with_django_is_the_projects(tmp_path: Path) -> None:
    # djgate installed in the project's virtualenv, run from a GUI client that activated nothing.
    own = executable(tmp_path / "project-env/bin/python").parents[1]
    found = find_interpreter(tmp_path, Config(), {"PATH": ""}, own=own)
    assert (found.path, found.found_via) == (str(own / "bin/python"), "djgate's own environment")


def test_no_interpreter_at_all(tmp_path: Path) -> None:
    with pytest.raises(DjgateError, match=r'set \[tool.djgate\] python = "path/to/venv/bin/python"'):
        find_interpreter(tmp_path, Config(), {"PATH": str(tmp_path)}, own=tmp_path / "nowhere")


# -- the settings and the project directory ---------------------------------------------------------

MANAGE_PY = b'import os\n\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings")\n'


def settings_in(blobs: dict[str, bytes]):  # type: ignore[no-untyped-def]
    return lambda path: settings_of_manage_py(blobs[path]) if path in blobs else None


def test_settings_order_config_environment_manage_py() -> None:
    files = {"src/manage.py": "oid", "tools/manage.py": "oid2"}
    blobs = settings_in({"src/manage.py": MANAGE_PY})
    from_manage = find_project(files, Config(), blobs, {})
    assert (from_manage.directory, from_manage.settings, from_manage.settings_via) == (
        "src",
        "shop.settings",
        "src/manage.py",
    )
    assert find_project(files, Config(), blobs, {"DJANGO_SETTINGS_MODULE": "env.s"}).settings == "env.s"
    configured = find_project(files, Config(settings="conf.s"), blobs, {"DJANGO_SETTINGS_MODULE": "env.s"})
    assert configured.settings == "conf.s"
    assert configured.command == "python src/manage.py makemigrations"


def test_an_excluded_manage_py_is_not_the_project() -> None:
    files = {"vendor/app/manage.py": "oid"}
    project = find_project(files, Config(exclude=("vendor/**",)), settings_in({}), {})
    assert (project.directory, project.manage_py, project.settings) == ("", None, None)
    with pytest.raises(DjgateError, match=r'set \[tool.djgate\] settings = "yourproject.settings"'):
        project.require_settings()


def test_settings_of_manage_py_needs_a_literal() -> None:
    assert settings_of_manage_py(MANAGE_PY) == "shop.settings"
    assert settings_of_manage_py(b'os.environ["DJANGO_SETTINGS_MODULE"] = name\n') is None
    assert settings_of_manage_py(b"def broken(:\n") is None


# -- which files can change the model state -----------------------------------------------------------


def test_imported_modules_resolve_relative_and_absolute_imports() -> None:
    source = b"""import os.path, shop.conf as conf
from . import choices
from .fields import (
    MoneyField,  # a comment
    Rate as R,
)
from ..core.utils import helper  # comment
def f():
    from billing import services
"""
    names = set(imported_modules(import_statements(source), "shop.orders.models", is_package=False))
    assert {"os", "os.path", "shop.conf", "shop.orders.choices", "shop.orders.fields.MoneyField"} <= names
    assert {"shop.orders.fields.Rate", "shop.core.utils.helper", "billing.services"} <= names


def test_model_state_files_follow_imports_from_the_roots() -> None:
    apps = AppMap([App("orders", "orders"), App("billing", "billing")], Config())
    sources = {
        "orders/models.py": b"from orders.choices import STATUS\nfrom . import managers\n",
        "orders/choices.py": b"from common.text import label\n",
        "orders/managers.py": b"",
        "common/text.py": b"",
        "shop/settings.py": b"from .base import *\n",
        "shop/base.py": b"",
        "orders/views.py": b"from orders.models import Order\n",
        "billing/admin.py": b"",
        "common/__init__.py": b"",
    }
    files = {path: f"oid-{path}" for path in sources}
    state = model_state_files(files, apps, "", "shop.settings", statements_of(sources))
    assert state == {
        "orders/models.py",
        "orders/choices.py",
        "orders/managers.py",
        "common/__init__.py",
        "common/text.py",
        "shop/settings.py",
        "shop/base.py",
    }
    assert can_change_model_state(["common/text.py"], [], state, apps)
    assert not can_change_model_state(["orders/views.py", "billing/admin.py", "README.md"], [], state, apps)
    assert can_change_model_state([], ["billing/services.py"], state, apps)  # a removed module of an app


def statements_of(sources: dict[str, bytes]):  # type: ignore[no-untyped-def]
    return lambda ids: {p: import_statements(sources[p]) for p in ids}
