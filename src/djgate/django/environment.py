"""How the user's project boots: its interpreter, its settings module, the directory manage.py runs from.

Found without importing anything of the project, in this order:

- interpreter: `[tool.djgate] python`; the first of `$VIRTUAL_ENV`, `.venv/`, `venv/` (symlinks followed) and
  djgate's own environment that has Django installed; else `python3` on PATH outside djgate's own
  environment. Under pre-commit, `$VIRTUAL_ENV` and djgate's own environment are the hook's: no Django.
- settings: `[tool.djgate] settings`; `$DJANGO_SETTINGS_MODULE`; the
  `os.environ.setdefault("DJANGO_SETTINGS_MODULE", "...")` of manage.py.
- project directory: the directory of the shallowest manage.py (outside `exclude`), else the repository root.
"""

from __future__ import annotations

import os
import posixpath
import sys
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import NamedTuple

from djgate.config import Config
from djgate.errors import DjgateError
from djgate.globs import GlobSet

OFF = 'or turn the Django check off with ignore = ["DJG301"]'


class Interpreter(NamedTuple):
    path: str
    found_via: str  # for messages: which rule of the search order found it


class Project(NamedTuple):  # NamedTuples: cheaper to define than dataclasses, on every commit's path
    directory: str  # repository-relative, "" for the root
    manage_py: str | None  # repository-relative path of manage.py
    settings: str | None
    settings_via: str = ""

    @property
    def command(self) -> str:
        """How to run makemigrations from the repository root."""
        if self.manage_py:
            return f"python {self.manage_py} makemigrations"
        return f"django-admin makemigrations --settings {self.settings}"

    def require_settings(self) -> str:
        if not self.settings:
            raise DjgateError(
                "no Django settings module found (none in [tool.djgate] settings, DJANGO_SETTINGS_MODULE "
                f'or manage.py); set [tool.djgate] settings = "yourproject.settings", {OFF}'
            )
        return self.settings


def find_project(
    py_files: Iterable[str],
    config: Config,
    settings_in: Callable[[str], str | None],
    environ: Mapping[str, str] = os.environ,
) -> Project:
    """The project's directory and settings, from the paths of the tree's Python files; `settings_in`
    reads the settings module a manage.py names."""
    exclude = GlobSet(config.exclude)
    candidates = [p for p in py_files if posixpath.basename(p) == "manage.py" and not exclude.match(p)]
    manage_py = min(candidates, key=lambda p: (p.count("/"), p)) if candidates else None
    directory = posixpath.dirname(manage_py) if manage_py else ""
    if config.settings:
        return Project(directory, manage_py, config.settings, "[tool.djgate] settings")
    if environ.get("DJANGO_SETTINGS_MODULE"):
        return Project(directory, manage_py, environ["DJANGO_SETTINGS_MODULE"], "DJANGO_SETTINGS_MODULE")
    if manage_py:
        settings = settings_in(manage_py)
        if settings:
            return Project(directory, manage_py, settings, manage_py)
    return Project(directory, manage_py, None)


def settings_of_manage_py(source: bytes) -> str | None:
    """The module of `os.environ.setdefault("DJANGO_SETTINGS_MODULE", "...")` in a manage.py."""
    import ast

    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("setdefault", "__setitem__")
            and len(node.args) == 2
            and all(isinstance(a, ast.Constant) and isinstance(a.value, str) for a in node.args)
            and node.args[0].value == "DJANGO_SETTINGS_MODULE"  # type: ignore[attr-defined]
        ):
            return str(node.args[1].value)  # type: ignore[attr-defined]
    return None


def find_interpreter(
    root: Path, config: Config, environ: Mapping[str, str] = os.environ, own: Path = Path(sys.prefix)
) -> Interpreter:
    """The first candidate that has Django: `[tool.djgate] python`; the activated virtualenv; `.venv/`,
    `venv/` in the repository; djgate's own environment; else `python3` on PATH outside djgate's own
    environment (whose packages cannot be seen without running it). A virtualenv without Django is passed
    over: under pre-commit, `$VIRTUAL_ENV` and djgate's own environment (`own`) are the hook's: none there."""
    from djgate import log

    if config.python:
        return Interpreter(_configured(root, config.python), "[tool.djgate] python")
    venvs = [(Path(environ["VIRTUAL_ENV"]), "$VIRTUAL_ENV")] if environ.get("VIRTUAL_ENV") else []
    venvs += [(root / ".venv", ".venv/ in the repository"), (root / "venv", "venv/ in the repository")]
    venvs.append((own, "djgate's own environment"))
    passed = []
    for venv, via in venvs:
        python = _venv_python(venv)
        if python is None:
            if via == "$VIRTUAL_ENV":
                passed.append(f"{via} {venv}: no bin/python")
            continue
        if not _has_django(venv):
            passed.append(f"{via} {python}: no Django installed")
            continue
        log.debug("the project's interpreter: %s (%s)", python, via)
        return Interpreter(python, via)
    for directory in environ.get("PATH", "").split(os.pathsep):
        if not directory or Path(directory).resolve().is_relative_to(own.resolve()):
            continue
        candidate = Path(directory) / "python3"
        if candidate.is_file() and os.access(candidate, os.X_OK):
            log.debug("the project's interpreter: %s (python3 on PATH; passed over: %s)", candidate, passed)
            return Interpreter(str(candidate), "python3 on PATH")
    tried = "; ".join(passed) or "no virtualenv ($VIRTUAL_ENV, .venv/, venv/) and no python3 on PATH"
    raise DjgateError(
        f"no Python interpreter with Django for the project ({tried}); "
        f'set [tool.djgate] python = "path/to/venv/bin/python", {OFF}'
    )


def _has_django(venv: Path) -> bool:
    """Django is installed in this virtualenv (seen on disk, without running its interpreter)."""
    if (venv / "Lib" / "site-packages" / "django" / "__init__.py").is_file():
        return True
    return any(venv.glob("lib/python3*/site-packages/django/__init__.py"))


def _configured(root: Path, value: str) -> str:
    if "/" in value or os.sep in value:
        path = Path(value).expanduser()
        path = path if path.is_absolute() else root / path
        if path.is_file() and os.access(path, os.X_OK):
            return str(path)
    else:
        import shutil

        found = shutil.which(value)
        if found:
            return found
    raise DjgateError(
        f"[tool.djgate] python = {value!r} is not an executable file; set it to the project's interpreter"
    )


def _venv_python(venv: Path) -> str | None:
    for candidate in (venv / "bin" / "python", venv / "Scripts" / "python.exe"):
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return None
