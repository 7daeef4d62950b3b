"""Which files of a tree can change Django's model state, decided statically, so that Django is booted
only when a change can matter.

A file can change the model state (what `makemigrations` compares with the migrations) when it is:

- in an app directory: `__init__.py`, `apps.py`, `models.py`, anything under `models/`, any migration
  under `migrations/`;
- anywhere (outside `exclude`): a `models.py` or a module under a `models/` package, a `settings.py` or a
  module under a `settings/` package, and the module named by the settings in use;
- imported, directly or not, by one of those: the in-repository modules their import statements name
  (found textually, also inside functions and `if` blocks, which errs on the side of booting).

Other files (views, urls, admin, templates, tests, non-Python files) cannot: a change that touches only
those does not boot Django. Imports resolve against the project directory (where manage.py is), as Python
resolves them when manage.py runs.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterable, Iterator, Mapping

from djgate.project import AppMap

# `from ..a import b, c` -> (2, "a", ("b", "c")); `import a.b` -> (0, "a.b", ()).
Statement = tuple[int, str, tuple[str, ...]]
ReadImports = Callable[[dict[str, str]], dict[str, list[Statement]]]  # path -> object id, to statements

# `import a.b as c, d` and `from .a import (b, c)`; good enough to find names, not to run code.
# (Compiled on first use, by re's cache: most runs parse nothing, their facts being cached.)
IMPORT_RE = (
    rb"^[ \t]*(?:from[ \t]+(?P<module>[.\w]+)[ \t]+import[ \t]+(?P<names>\([^)]*\)|[^\n#;]+)"
    rb"|import[ \t]+(?P<modules>[^\n#;]+))"
)


def is_root(path: str, apps: AppMap | None) -> bool:
    """Whether a path can change the model state by itself, whatever imports it (see the module doc).
    Without the app map (None), any directory may be an app: what the path alone says, a hint for
    starting Django early, never a verdict."""
    if not path.endswith(".py") or (apps is not None and apps.exclude.match(path)):
        return False
    parts = path.split("/")
    if parts[-1] in ("models.py", "settings.py") or "models" in parts[:-1] or "settings" in parts[:-1]:
        return True
    directory, name = posixpath.split(path)
    if name in ("__init__.py", "apps.py") and _is_app(directory, apps):
        return True
    return posixpath.basename(directory) == "migrations" and _is_app(posixpath.dirname(directory), apps)


def _is_app(directory: str, apps: AppMap | None) -> bool:
    return apps is None or directory in apps.apps


def module_paths(py_files: Iterable[str], project_dir: str) -> dict[str, str]:
    """Dotted module name -> path, for the Python files under the project directory."""
    prefix = f"{project_dir}/" if project_dir else ""
    modules: dict[str, str] = {}
    for path in py_files:
        if not path.startswith(prefix):
            continue
        dotted = path[len(prefix) : -3].replace("/", ".")
        if dotted.endswith(".__init__") or dotted == "__init__":
            dotted = dotted[: -len("__init__")].rstrip(".")
        if dotted and all(part.isidentifier() for part in dotted.split(".")):
            modules[dotted] = path
    return modules


def settings_paths(settings: str | None, modules: Mapping[str, str]) -> set[str]:
    """The settings module's file and the `__init__.py` of its packages."""
    if not settings:
        return set()
    parts = settings.split(".")
    return {modules[m] for m in (".".join(parts[: i + 1]) for i in range(len(parts))) if m in modules}


def import_statements(source: bytes) -> list[Statement]:
    """The import statements of a module, found textually (also inside functions and `if` blocks)."""
    found: list[Statement] = []
    for match in re.finditer(IMPORT_RE, source, re.MULTILINE):
        if match["modules"]:
            for item in match["modules"].decode("utf-8", "replace").split(","):
                found.append((0, item.split(" as ")[0].strip(), ()))
            continue
        base = match["module"].decode("utf-8", "replace")
        level = len(base) - len(base.lstrip("."))
        names = re.sub(r"#[^\n]*", "", match["names"].decode("utf-8", "replace")).replace("\\", " ")
        found.append(
            (level, base[level:], tuple(n.split(" as ")[0].strip(" \t\n()") for n in names.split(",")))
        )
    return found


def imported_modules(statements: Iterable[Statement], module: str, is_package: bool) -> Iterator[str]:
    """Dotted names the statements of `module` may load: each package on the way, and for
    `from x import y` both x and x.y (y may be a submodule)."""
    package = module if is_package else module.rpartition(".")[0]
    for level, base, names in statements:
        if level:
            anchor = package.split(".") if package else []
            anchor = anchor[: len(anchor) - (level - 1)] if level - 1 <= len(anchor) else []
            base = ".".join([*anchor, base] if base else anchor)
        if not base:
            continue
        yield from _with_parents(base)
        yield from (f"{base}.{name}" for name in names if name.isidentifier())


def _with_parents(dotted: str) -> Iterator[str]:
    parts = dotted.split(".")
    for i in range(len(parts)):
        yield ".".join(parts[: i + 1])


def model_state_files(
    py_files: Mapping[str, str],
    apps: AppMap,
    project_dir: str,
    settings: str | None,
    read_imports: ReadImports,
) -> set[str]:
    """The files of the tree (`py_files`: path -> object id) that can change the model state: the roots
    and what they import, breadth first, one `read_imports` per level of imports."""
    modules = module_paths(py_files, project_dir)
    found = {p for p in py_files if is_root(p, apps)} | settings_paths(settings, modules)
    by_path = {path: dotted for dotted, path in modules.items()}
    todo = set(found)
    while todo:
        statements = read_imports({p: py_files[p] for p in todo if p in by_path})
        todo = set()
        for path, imports in statements.items():
            for name in imported_modules(imports, by_path[path], path.endswith("__init__.py")):
                target = modules.get(name)
                if target is not None and target not in found:
                    found.add(target)
                    todo.add(target)
    return found


def can_change_model_state(
    changed: Iterable[str], removed: Iterable[str], state: set[str], apps: AppMap
) -> bool:
    """Whether a change can change the model state: it touches one of the `state` files of the new tree,
    or removes a Python file that was a root or sat in an app (a module models.py imported)."""
    return any(p in state for p in changed) or any(
        is_root(p, apps) or (p.endswith(".py") and _in_app(p, apps)) for p in removed
    )


def _in_app(path: str, apps: AppMap) -> bool:
    directory = posixpath.dirname(path)
    while directory:
        if directory in apps.apps:
            return True
        directory = posixpath.dirname(directory)
    return False
