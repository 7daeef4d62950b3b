"""The Django apps of a repository, found statically (no Django import), and which app a path belongs to."""

from __future__ import annotations

import os
import posixpath
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, NamedTuple

from djgate.config import Config
from djgate.globs import GlobSet

if TYPE_CHECKING:
    from djgate.gitrepo import GitRepo

# What `GitRepo.apps` lists of a tree: packages (to resolve dotted names), apps.py, settings modules.
APP_PATHSPECS = (
    ":(glob)**/__init__.py",
    ":(glob)**/apps.py",
    ":(glob)**/settings.py",
    ":(glob)**/settings_*.py",
    ":(glob)**/*_settings.py",
    ":(glob)**/settings/**/*.py",
)


class App(NamedTuple):
    label: str
    root: str  # directory, relative to the repository root, POSIX separators
    name: str | None = None  # AppConfig.name when apps.py says it, or the INSTALLED_APPS entry


class AppConfigClass(NamedTuple):
    """One AppConfig subclass of an apps.py, as its source says it."""

    cls: str
    name: str | None
    label: str | None
    default: bool
    direct: bool  # subclasses AppConfig itself, not another app's config (AdminConfig)


def app_pathspecs(settings: str | None = None) -> list[str]:
    """Pathspecs of the files app discovery reads or lists; `settings` is the configured settings module."""
    specs = list(APP_PATHSPECS)
    if settings:
        module = settings.replace(".", "/")
        specs += [f":(glob)**/{module}.py", f":(glob)**/{module}/__init__.py"]
    return specs


def is_app_listing(path: str, settings: str | None = None) -> bool:
    """Whether `path` is one of the files `app_pathspecs` names."""
    name = posixpath.basename(path)
    return name in ("__init__.py", "apps.py") or is_settings_module(path, settings)


def is_app_source(path: str, settings: str | None = None) -> bool:
    """Whether discovery reads the file's content: an apps.py or a settings module."""
    return posixpath.basename(path) == "apps.py" or is_settings_module(path, settings)


def is_settings_module(path: str, settings: str | None = None) -> bool:
    """A module that may hold INSTALLED_APPS: settings.py, settings_*.py, *_settings.py, settings/**.py,
    or the configured settings module; never a migration."""
    if not path.endswith(".py") or "migrations" in path.split("/")[:-1]:
        return False
    if _is_configured(path, settings):
        return True
    stem = posixpath.basename(path)[:-3]
    return (
        stem == "settings"
        or stem.startswith("settings_")
        or stem.endswith("_settings")
        or "settings" in path.split("/")[:-1]
    )


def _is_configured(path: str, settings: str | None) -> bool:
    if not settings:
        return False
    module = settings.replace(".", "/")
    return any(
        path == f"{module}{end}" or path.endswith(f"/{module}{end}") for end in (".py", "/__init__.py")
    )


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
    """(name, label) of the AppConfig Django would pick in an apps.py; (None, None) when it says neither,
    holds no AppConfig subclass, or is broken."""
    configs = [c for c in read_app_configs(source) if c.name or c.label]
    if not configs:
        return None, None
    # Django picks the config marked default = True when an apps.py holds several.
    configs.sort(key=lambda c: not c.default)
    return configs[0].name, configs[0].label


def read_app_configs(source: bytes) -> list[AppConfigClass]:
    """The AppConfig subclasses an apps.py defines: classes whose base is named `...Config`
    (AppConfig, AdminConfig, a plugin framework's config) or is one of them. Other classes (a data
    loader module that happens to be named apps.py) declare nothing."""
    import ast

    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return []
    found: list[AppConfigClass] = []
    local: set[str] = set()
    for node in tree.body:
        if not isinstance(node, ast.ClassDef):
            continue
        bases = [_terminal_name(base) for base in node.bases]
        if not any(b.endswith("Config") or b in local for b in bases if b):
            continue
        local.add(node.name)
        attrs = _constant_attributes(node)
        name, label = attrs.get("name"), attrs.get("label")
        found.append(
            AppConfigClass(
                node.name,
                name if isinstance(name, str) else None,
                label if isinstance(label, str) else None,
                attrs.get("default") is True,
                "AppConfig" in bases,
            )
        )
    return found


def _terminal_name(node: object) -> str | None:
    import ast

    if isinstance(node, ast.Name):
        return node.id
    return node.attr if isinstance(node, ast.Attribute) else None


def _constant_attributes(node: object) -> dict[str, object]:
    import ast

    attrs: dict[str, object] = {}
    for stmt in getattr(node, "body", ()):
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
            target, value = stmt.targets[0], stmt.value
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
            target, value = stmt.target, stmt.value
        else:
            continue
        if isinstance(target, ast.Name) and isinstance(value, ast.Constant):
            attrs[target.id] = value.value
    return attrs


class _Tree:
    """The directories and packages of a tree, from the paths listed of it, to place dotted names."""

    def __init__(self, paths: Iterable[str]) -> None:
        self.files = set(paths)
        self.dirs: set[str] = set()
        self.packages = {posixpath.dirname(p) for p in self.files if posixpath.basename(p) == "__init__.py"}
        for path in self.files:
            directory = posixpath.dirname(path)
            while directory and directory not in self.dirs:
                self.dirs.add(directory)
                directory = posixpath.dirname(directory)

    def import_root(self, directory: str) -> str:
        """Where Python imports the package `directory` from: above its outermost package."""
        while directory and directory in self.packages:
            directory = posixpath.dirname(directory)
        return directory

    def roots_near(self, directory: str) -> list[str]:
        """Where a dotted name written in `directory` may be imported from: its import root, then each
        directory above it (a source root the listing cannot tell: no __init__.py there)."""
        roots = [self.import_root(directory), directory]
        while directory:
            directory = posixpath.dirname(directory)
            roots.append(directory)
        return list(dict.fromkeys(roots))

    def resolve(self, dotted: str, roots: Iterable[str], suffix: str = "") -> str | None:
        """The first `<root>/<dotted as a path><suffix>` that is a directory (suffix "") or a file."""
        if not all(part.isidentifier() for part in dotted.split(".")):
            return None
        relative = dotted.replace(".", "/") + suffix
        for root in roots:
            candidate = posixpath.join(root, relative) if root else relative
            if candidate in (self.files if suffix else self.dirs):
                return candidate
        return None


def discover_apps(
    paths: Iterable[str], sources: Mapping[str, bytes], settings: str | None = None
) -> list[App]:
    """The apps Django would load, from a listing of the tree (packages' __init__.py, apps.py,
    migrations/__init__.py, settings modules; see `app_pathspecs`) and the contents of its apps.py and
    settings modules. `settings` is the configured settings module, if any.

    - `X/migrations/__init__.py` makes X an app; so does an apps.py's AppConfig subclass, at the directory
      its `name` names (not necessarily the apps.py's own); a config of an app outside the repository
      (`name = "django.contrib.admin"`, or inherited from AdminConfig) makes none.
    - INSTALLED_APPS entries of the settings modules that name a package of the tree are apps too.
    - Apps that only test settings install, and apps inside a tests package that no other settings module
      installs, are not apps (test scaffolding)."""
    tree = _Tree(paths)
    apps: dict[str, App] = {}
    for path in sorted(tree.files):
        if path.endswith("/migrations/__init__.py"):  # one at the repository root makes no app directory
            root = app_root_of_marker(path)
            apps.setdefault(root, App(posixpath.basename(root), root))
    configs = _configured_apps(tree, sources)
    apps.update({app.root: app for app in configs.values()})
    installed, test_only = _installed(tree, sources, settings, configs)
    for root, entry in installed.items():
        if root not in apps:
            apps[root] = App(entry.rsplit(".", 1)[-1], root, entry)
    return sorted(
        (
            a
            for a in apps.values()
            if a.root not in test_only and (a.root in installed or not _in_tests(a.root))
        ),
        key=lambda a: a.root,
    )


def _configured_apps(tree: _Tree, sources: Mapping[str, bytes]) -> dict[tuple[str, str], App]:
    """(apps.py path, class) -> the app each AppConfig subclass of the tree's apps.py files declares."""
    found: dict[tuple[str, str], App] = {}
    claimed: set[str] = set()
    for path in sorted(p for p in tree.files if posixpath.basename(p) == "apps.py"):
        directory = posixpath.dirname(path)
        # The default config first: it names the app when several configs claim one directory.
        for config in sorted(read_app_configs(sources.get(path, b"")), key=lambda c: not c.default):
            root = _config_root(config, directory, tree)
            if root is None or not root or root in claimed:
                continue
            claimed.add(root)
            label = config.label or (config.name.rsplit(".", 1)[-1] if config.name else None)
            found[(path, config.cls)] = App(label or posixpath.basename(root), root, config.name)
    return found


def _config_root(config: AppConfigClass, directory: str, tree: _Tree) -> str | None:
    """The app directory of an AppConfig subclass written in `directory`, None for another project's app."""
    if config.name:
        root = tree.resolve(config.name, tree.roots_near(directory))
        if root is not None:
            return root
        # A name we cannot place (a source root this listing does not show) on a config of its own: the
        # apps.py's package, as ever; the name of a Django app (contrib) never is this repository's.
        return directory if config.direct and not config.name.startswith("django.") else None
    return directory if config.direct else None  # no name of its own: inherited from another app's


def _installed(
    tree: _Tree, sources: Mapping[str, bytes], settings: str | None, configs: Mapping[tuple[str, str], App]
) -> tuple[dict[str, str], set[str]]:
    """(app directory -> INSTALLED_APPS entry of a non-test settings module, the directories only test
    settings modules install); project packages (holding the settings) are never apps by an entry alone."""
    from djgate.installed import installed_apps, is_test_settings

    installed: dict[str, str] = {}
    by_tests: set[str] = set()
    project_packages: set[str] = set()
    for path in sorted(p for p in tree.files if is_settings_module(p, settings)):
        entries = installed_apps(sources.get(path, b""))
        if not entries:
            continue
        for_tests = is_test_settings(path) and not _is_configured(path, settings)
        if not for_tests:
            project_packages.add(_project_package(path))
        roots = [tree.import_root(posixpath.dirname(path)), ""]
        for entry in entries:
            root = _entry_root(entry, roots, tree, configs)
            if root is None:
                continue
            if for_tests:
                by_tests.add(root)
            else:
                installed.setdefault(root, entry)
    test_only = by_tests - set(installed)
    named = {app.root for app in configs.values()}
    return {r: e for r, e in installed.items() if r not in project_packages or r in named}, test_only


def _entry_root(
    entry: str, roots: list[str], tree: _Tree, configs: Mapping[tuple[str, str], App]
) -> str | None:
    """The app directory an INSTALLED_APPS entry names: a package, or an AppConfig (`x.apps.XConfig`)."""
    root = tree.resolve(entry, roots)
    if root is not None:
        return root
    module, _, cls = entry.rpartition(".")
    path = tree.resolve(module, roots, ".py") if module and cls[:1].isupper() else None
    app = configs.get((path, cls)) if path else None
    return app.root if app else None


def _project_package(settings_path: str) -> str:
    """The package a settings module configures: its own, or the one holding a settings/ package."""
    parts = settings_path.split("/")[:-1]
    if "settings" in parts:
        return "/".join(parts[: len(parts) - 1 - parts[::-1].index("settings")])
    return "/".join(parts)


def _in_tests(root: str) -> bool:
    return any(part in ("tests", "test") for part in root.split("/"))


class AppMap:
    """Answers: which app does this path count for? None for neutral and shared paths."""

    def __init__(self, apps: Iterable[App], config: Config) -> None:
        self.exclude = GlobSet(config.exclude)
        self.apps = {app.root: app for app in apps if not self.exclude.match(app.root)}
        self.configured = {label: GlobSet(globs) for label, globs in config.apps.items()}
        self._config = config
        self._shared: GlobSet | None = None

    @classmethod
    def of(cls, repo: GitRepo, config: Config, rev: str | None = None) -> AppMap:
        """The apps of the index (rev None) or of a commit, with the settings module when it is known
        (`[tool.djgate] settings`, else $DJANGO_SETTINGS_MODULE)."""
        settings = config.settings or os.environ.get("DJANGO_SETTINGS_MODULE") or None
        return cls(repo.apps(rev, settings), config)

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
