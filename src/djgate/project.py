"""The Django apps of a repository, found statically (no Django import), and which app a path belongs to."""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Mapping
from typing import NamedTuple

from djgate.config import Config
from djgate.globs import GlobSet

APP_MARKERS = ("apps.py", "migrations/__init__.py")


class App(NamedTuple):
    label: str
    root: str  # directory, relative to the repository root, POSIX separators
    name: str | None = None  # AppConfig.name when apps.py says it


def is_app_marker(path: str) -> bool:
    return (
        posixpath.basename(path) == "apps.py"
        or path.endswith("/migrations/__init__.py")
        or (path == "migrations/__init__.py")
    )


def app_root_of_marker(path: str) -> str:
    root = posixpath.dirname(path)
    return posixpath.dirname(root) if path.endswith("migrations/__init__.py") else root


def read_app_config(source: bytes) -> tuple[str | None, str | None]:
    """(name, label) of the AppConfig in an apps.py; (None, None) when it says neither or is broken."""
    import ast

    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None, None
    candidates: list[tuple[bool, str | None, str | None]] = []
    for node in tree.body:
        if not isinstance(node, ast.ClassDef):
            continue
        attrs: dict[str, object] = {}
        for stmt in node.body:
            if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
                target, value = stmt.targets[0], stmt.value
            elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
                target, value = stmt.target, stmt.value
            else:
                continue
            if isinstance(target, ast.Name) and isinstance(value, ast.Constant):
                attrs[target.id] = value.value
        name, label = attrs.get("name"), attrs.get("label")
        if isinstance(name, str) or isinstance(label, str):
            candidates.append(
                (
                    attrs.get("default") is True,
                    name if isinstance(name, str) else None,
                    label if isinstance(label, str) else None,
                )
            )
    if not candidates:
        return None, None
    # Django picks the config marked default = True when an apps.py holds several.
    candidates.sort(key=lambda c: not c[0])
    return candidates[0][1], candidates[0][2]


def discover_apps(markers: Iterable[str], apps_py: Mapping[str, bytes]) -> list[App]:
    """Apps from marker paths (apps.py, migrations/__init__.py) and the contents of the apps.py files."""
    roots: dict[str, App] = {}
    for marker in markers:
        if not is_app_marker(marker):
            continue
        root = app_root_of_marker(marker)
        if not root:
            continue  # a marker at the repository root is not an app directory
        name, label = (None, None)
        source = apps_py.get(posixpath.join(root, "apps.py"))
        if source is not None:
            name, label = read_app_config(source)
        label = label or (name.rsplit(".", 1)[-1] if name else None) or posixpath.basename(root)
        roots[root] = App(label=label, root=root, name=name)
    return sorted(roots.values(), key=lambda a: a.root)


class AppMap:
    """Answers: which app does this path count for? None for neutral and shared paths."""

    def __init__(self, apps: Iterable[App], config: Config) -> None:
        self.exclude = GlobSet(config.exclude)
        self.apps = {app.root: app for app in apps if not self.exclude.match(app.root)}
        self.configured = {label: GlobSet(globs) for label, globs in config.apps.items()}
        self._config = config
        self._shared: GlobSet | None = None

    @property
    def shared(self) -> GlobSet:
        """The shared paths' globs, compiled when first asked (the migrations gate never asks)."""
        if self._shared is None:
            self._shared = self._config.shared_globs()
        return self._shared

    @property
    def labels(self) -> set[str]:
        return {a.label for a in self.apps.values()} | set(self.configured)

    def app_of(self, path: str) -> str | None:
        if self.exclude.match(path) or self.shared.match(path):
            return None
        for label, globs in self.configured.items():
            if globs.match(path):
                return label
        directory = posixpath.dirname(path)
        while directory:
            app = self.apps.get(directory)
            if app is not None:
                return app.label
            directory = posixpath.dirname(directory)
        return None

    def group(self, paths: Iterable[str]) -> dict[str, list[str]]:
        """App label -> the given paths that count for it, in first-seen order."""
        groups: dict[str, list[str]] = {}
        for path in paths:
            label = self.app_of(path)
            if label is not None and path not in groups.setdefault(label, []):
                groups[label].append(path)
        return groups
