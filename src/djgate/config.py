"""`[tool.djgate]` of the checked repository's pyproject.toml (or a file given with --config), validated."""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any, NamedTuple

from djgate.errors import DjgateError
from djgate.globs import GlobSet

DEFAULT_TYPES = (
    "feat",
    "fix",
    "refactor",
    "perf",
    "test",
    "docs",
    "style",
    "build",
    "ci",
    "chore",
    "revert",
)

# Files any commit may touch without counting for the app they sit in. Documented in the README.
DEFAULT_SHARED_PATHS = (
    "requirements*.txt",
    "requirements/",
    "constraints*.txt",
    "Pipfile",
    "Pipfile.lock",
    "poetry.lock",
    "uv.lock",
    "pdm.lock",
    "package-lock.json",
    "yarn.lock",
    "pnpm-lock.yaml",
    "docs/",
    "/.github/",
    "/.*",
    "*.md",
)

# Stand-alone scripts, which DJG501 does not judge even inside the Django code. Documented in the README.
DEFAULT_SCRIPT_PATHS = (
    "scripts/",
    "bin/",
    "tools/",
    "deploy/",
    "deployment/",
    "terraform/",
    "ci/",
    "/.ci/",
    "/.github/",
    "/.gitlab/",
    "docker/",
    "setup.py",
    "noxfile.py",
    "fabfile.py",
)

SEVERITY_VALUES = ("error", "warning")
REQUIRE_SCOPE_VALUES = ("apps", "always")
REFERENCE_PLACES = ("header", "body", "trailer", "any")  # where DJG109 looks for the task reference


class Reference(NamedTuple):
    """DJG109: the task reference every message carries (`SHOP-123`), and where."""

    pattern: str  # a regular expression, compiled when read
    where: str = "any"  # one of REFERENCE_PLACES


NOTHING: Mapping[str, Any] = MappingProxyType({})


class Config(NamedTuple):  # a NamedTuple: cheaper to define than a dataclass, on every hook's path
    types: tuple[str, ...] = DEFAULT_TYPES
    extra_scopes: tuple[str, ...] = ()
    shared_paths: tuple[str, ...] = DEFAULT_SHARED_PATHS
    extend_shared_paths: tuple[str, ...] = ()
    apps: Mapping[str, tuple[str, ...]] = NOTHING
    exclude: tuple[str, ...] = ()
    max_header_length: int = 72
    ignore: tuple[str, ...] = ()
    select: tuple[str, ...] = ()
    severity: Mapping[str, str] = NOTHING
    per_path_ignores: Mapping[str, tuple[str, ...]] = NOTHING  # glob -> codes
    script_paths: tuple[str, ...] = DEFAULT_SCRIPT_PATHS  # stand-alone scripts: not judged by DJG501
    python: str | None = None  # the project's interpreter, for the Django probe
    settings: str | None = None  # DJANGO_SETTINGS_MODULE of the project
    probe_timeout: int = 60  # seconds the Django probe may take
    allow_overrides: tuple[str, ...] | None = None  # codes a Djgate-Allow trailer may turn off
    target_branch: str | None = None  # where changes merge (origin/main); default: the branch's upstream
    atomic_wrappers: tuple[str, ...] = ()  # the project's own transaction.atomic wrappers (DJG602)
    require_scope: str = "apps"  # "apps": a scope when the change touches an app; "always": on every commit
    github_squash: bool = False  # GitHub's squash-merge header `Title (#123)` passes the message rules
    ignore_authors: tuple[str, ...] = ()  # globs on `name <email>`: such commits are skipped in a range
    ignore_messages: tuple[str, ...] = ()  # regular expressions searched in the header: such commits skipped
    reference: Reference | None = None  # DJG109, off until set
    source: str = "defaults"  # where it was read from, for error messages
    configured: tuple[str, ...] = ()  # the keys the file sets (the others are defaults)

    def enabled(self, code: str) -> bool:
        if self.select and not any(code.startswith(s) for s in self.select):
            return False
        return not any(code.startswith(i) for i in self.ignore)

    def severity_for(self, code: str, default: str) -> str:
        return self.severity.get(code, default)

    def overridable(self, code: str) -> bool:
        """Secrets (DJG4xx) are never overridable unless listed explicitly."""
        if self.allow_overrides is None:
            return not code.startswith("DJG4")
        return any(code.startswith(prefix) for prefix in self.allow_overrides)

    def shared_globs(self) -> GlobSet:
        return GlobSet(self.shared_paths + self.extend_shared_paths)

    def with_cli(self, select: tuple[str, ...] | None, ignore: tuple[str, ...] | None) -> Config:
        """--select and --ignore given on the command line replace the configured lists."""
        changes: dict[str, Any] = {}
        if select is not None:
            changes["select"] = _codes("--select", list(select), "the command line")
        if ignore is not None:
            changes["ignore"] = _codes("--ignore", list(ignore), "the command line")
        return self._replace(**changes) if changes else self


def load_config(root: Path, explicit: Path | None = None) -> Config:
    """Read the configuration of the repository at `root`; `explicit` is a --config file."""
    path = explicit if explicit is not None else root / "pyproject.toml"
    if explicit is not None and not explicit.is_file():
        raise DjgateError(f"--config {explicit}: no such file; give the path of a TOML file")
    if not path.is_file():
        return Config()
    return config_from_toml(path.read_bytes(), str(path), dedicated=explicit is not None)


def djgate_table(data: bytes, source: str, dedicated: bool = False) -> dict[str, Any] | None:
    """The `[tool.djgate]` table of a TOML file (of a dedicated file: its top level), None when absent."""
    if not dedicated and b"djgate" not in data:  # no key can name the table: not parsed, tomllib not imported
        return None
    if sys.version_info >= (3, 11):  # imported here: a repository without the file does not pay for it
        import tomllib
    else:  # pragma: no cover - exercised on 3.10 only
        import tomli as tomllib
    try:
        parsed = tomllib.loads(data.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise DjgateError(f"{source}: not valid TOML ({exc}); fix the file") from None
    table = parsed.get("tool", {}).get("djgate") if isinstance(parsed.get("tool"), dict) else None
    if table is None and dedicated and "tool" not in parsed:
        table = parsed  # a dedicated djgate.toml holds the keys at the top level
    if table is not None and not isinstance(table, dict):
        raise DjgateError(f"{source}: [tool.djgate] must be a table")
    return table


def config_from_toml(data: bytes, source: str, dedicated: bool = False) -> Config:
    table = djgate_table(data, source, dedicated)
    return Config(source=source) if table is None else parse_config(table, source)


def parse_config(table: Mapping[str, Any], source: str) -> Config:
    known = [name for name in Config._fields if name not in ("source", "configured")]
    values: dict[str, Any] = {"source": source, "configured": tuple(table)}
    for key, raw in table.items():
        if key not in known:
            import difflib

            close = difflib.get_close_matches(key, known, n=1)
            maybe = f" (did you mean '{close[0]}'?)" if close else ""
            keys = ", ".join(sorted(known))
            raise DjgateError(f"{source}: [tool.djgate] unknown key '{key}'{maybe}; known keys: {keys}")
        values[key] = _PARSERS[key](key, raw, source)
    return Config(**values)


def _fail(key: str, source: str, what: str) -> DjgateError:
    return DjgateError(f"{source}: [tool.djgate] {key}: {what}")


def _strings(key: str, raw: Any, source: str) -> tuple[str, ...]:
    if not isinstance(raw, list) or not all(isinstance(v, str) and v for v in raw):
        raise _fail(key, source, "must be a list of non-empty strings")
    return tuple(raw)


# Every rule code, kept by hand so that reading a configuration does not import every rule family (a
# test checks it against the registry): the hooks load only the families they run.
RULE_CODES = (
    *("DJG101", "DJG102", "DJG103", "DJG104", "DJG105", "DJG106", "DJG107", "DJG108", "DJG109", "DJG110"),
    *("DJG201", "DJG202"),
    *("DJG301", "DJG302", "DJG303", "DJG304", "DJG305", "DJG306", "DJG307"),
    *("DJG401", "DJG402", "DJG403", "DJG404", "DJG405"),
    *("DJG500", "DJG501", "DJG502", "DJG503"),
    *("DJG601", "DJG602", "DJG603", "DJG604", "DJG605", "DJG606", "DJG607"),
)


def _codes(key: str, raw: Any, source: str) -> tuple[str, ...]:
    rules = RULE_CODES
    codes = _strings(key, raw, source)
    for code in codes:
        if not any(known.startswith(code.upper()) for known in rules):
            raise _fail(key, source, f"'{code}' is not a rule code or prefix; `djgate rules` lists them")
    return tuple(c.upper() for c in codes)


def _dotted_names(key: str, raw: Any, source: str) -> tuple[str, ...]:
    names = _strings(key, raw, source)
    for name in names:
        if not all(part.isidentifier() for part in name.split(".")):
            raise _fail(key, source, f"'{name}' is not a dotted Python name (`pkg.module.name`, or `name`)")
    return names


def _positive_int(key: str, raw: Any, source: str) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or raw <= 0:
        raise _fail(key, source, f"must be a positive integer, not {raw!r}")
    return raw


def _string(key: str, raw: Any, source: str) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise _fail(key, source, f"must be a non-empty string, not {raw!r}")
    return raw


def _path_codes(key: str, raw: Any, source: str) -> dict[str, tuple[str, ...]]:
    if not isinstance(raw, dict):
        raise _fail(
            key, source, 'must be a table of glob -> list of rule codes, e.g. "scripts/**" = ["DJG501"]'
        )
    return {glob: _codes(f"{key}.{glob}", codes, source) for glob, codes in raw.items()}


def _app_globs(key: str, raw: Any, source: str) -> dict[str, tuple[str, ...]]:
    if not isinstance(raw, dict):
        raise _fail(
            key,
            source,
            'must be a table of app label -> list of globs, e.g. billing = ["templates/billing/**"]',
        )
    return {label: _strings(f"{key}.{label}", globs, source) for label, globs in raw.items()}


def _severities(key: str, raw: Any, source: str) -> dict[str, str]:
    rules = RULE_CODES
    if not isinstance(raw, dict):
        raise _fail(key, source, 'must be a table of rule code -> "error" or "warning"')
    out: dict[str, str] = {}
    for code, level in raw.items():
        if code.upper() not in rules:
            raise _fail(key, source, f"'{code}' is not a rule code; `djgate rules` lists them")
        if level not in SEVERITY_VALUES:
            raise _fail(f"{key}.{code}", source, f'must be "error" or "warning", not {level!r}')
        out[code.upper()] = level
    return out


def _bool(key: str, raw: Any, source: str) -> bool:
    if not isinstance(raw, bool):
        raise _fail(key, source, f"must be true or false, not {raw!r}")
    return raw


def _require_scope(key: str, raw: Any, source: str) -> str:
    if raw not in REQUIRE_SCOPE_VALUES:
        raise _fail(key, source, f'must be "apps" or "always", not {raw!r}')
    return str(raw)


def _regexes(key: str, raw: Any, source: str) -> tuple[str, ...]:
    import re

    patterns = _strings(key, raw, source)
    for pattern in patterns:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise _fail(key, source, f"{pattern!r} is not a regular expression ({exc})") from None
    return patterns


def _reference(key: str, raw: Any, source: str) -> Reference:
    import re

    example = 'must be a table like {pattern = "[A-Z]+-\\\\d+", where = "trailer"}'
    if not isinstance(raw, dict) or not isinstance(raw.get("pattern"), str) or not raw["pattern"]:
        raise _fail(key, source, example)
    if unknown := sorted(set(raw) - {"pattern", "where"}):
        raise _fail(key, source, f"unknown key '{unknown[0]}'; known keys: pattern, where")
    try:
        re.compile(raw["pattern"])
    except re.error as exc:
        raise _fail(f"{key}.pattern", source, f"not a valid regular expression ({exc})") from None
    where = raw.get("where", "any")
    if where not in REFERENCE_PLACES:
        raise _fail(f"{key}.where", source, f"must be one of {', '.join(REFERENCE_PLACES)}, not {where!r}")
    return Reference(raw["pattern"], where)


_PARSERS: dict[str, Callable[[str, Any, str], Any]] = {
    "types": _strings,
    "extra_scopes": _strings,
    "shared_paths": _strings,
    "extend_shared_paths": _strings,
    "apps": _app_globs,
    "exclude": _strings,
    "max_header_length": _positive_int,
    "ignore": _codes,
    "select": _codes,
    "severity": _severities,
    "per_path_ignores": _path_codes,
    "script_paths": _strings,
    "python": _string,
    "settings": _string,
    "probe_timeout": _positive_int,
    "allow_overrides": _codes,
    "target_branch": _string,
    "atomic_wrappers": _dotted_names,
    "require_scope": _require_scope,
    "github_squash": _bool,
    "ignore_authors": _strings,
    "ignore_messages": _regexes,
    "reference": _reference,
}


def describe_config(config: Config, fmt: str = "text") -> str:
    """`djgate config`: each key's effective value and where it came from, as text or JSON."""
    import json

    keys = [k for k in Config._fields if k not in ("source", "configured")]

    def plain(value: Any) -> Any:
        if isinstance(value, Mapping):
            return {k: plain(v) for k, v in value.items()}
        return list(value) if isinstance(value, tuple) else value

    rows = [
        (k, plain(getattr(config, k)), config.source if k in config.configured else "default") for k in keys
    ]
    if fmt == "json":
        values = [{"key": k, "value": v, "from": origin} for k, v, origin in rows]
        return json.dumps({"source": config.source, "keys": values}, indent=2)
    width = max(len(k) for k in keys)
    lines = [
        f"{k.ljust(width)} = {'(not set)' if v is None else json.dumps(v)}  # {origin}"
        for k, v, origin in rows
    ]
    return "\n".join([f"# djgate configuration, read from {config.source}", *lines])
