# mypy: disable-error-code="import-not-found"
"""djgate's Django probe. djgate never imports it: it runs as a script with the project's own interpreter.

Standard library and Django only. It starts by importing Django's own modules (most of its time, and the
same for every project), so djgate can start it before it knows whether Django is needed; then it reads a
JSON request on stdin ({"project_dir", "settings"}; empty: not needed after all, exit), boots Django with
the project's settings but a dummy database and no system checks, and writes one JSON object on stdout:

    {"status": "ok", "django": {...}, "pending": [...], "irreversible": [...], "graph_error": null}

or {"status": "no-django" | "settings" | "setup", "detail": "..."} when it cannot get that far. It answers
what `makemigrations --check --dry-run` would decide, with the same loader, autodetector and questioner
defaults, without writing anything.
"""

from __future__ import annotations

import sys

# Run as a file, sys.path[0] is djgate's package directory, whose modules (config, project, ...) would
# shadow the project's. The project's directory takes its place once the request names it, as manage.py's
# does when it runs; until then only the interpreter's own paths are searched.
del sys.path[0]

import json  # noqa: E402
import os  # noqa: E402
from typing import Any  # noqa: E402


def one_line(exc: BaseException) -> str:
    """The exception on one line, with the deepest place in the project's own files where it happened."""
    text = " ".join(str(exc).split())
    where = ""
    tb = exc.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        mine = os.path.abspath(filename).startswith(os.getcwd() + os.sep) and "-packages" not in filename
        if mine and not filename.startswith("<"):
            where = f" ({os.path.relpath(filename)}:{tb.tb_lineno})"
        tb = tb.tb_next
    if isinstance(exc, SyntaxError) and exc.filename:
        where = f" ({os.path.relpath(exc.filename)}:{exc.lineno})"
    return f"{type(exc).__name__}: {text}{where}"[:500]


# What the probe imports whatever the project: the migration machinery, and what django.setup() and the
# contrib apps import on the way (logging configuration, mail, http, urls, templates, generic views). None
# of these reads the settings at import time.
PRELOAD = (
    "django.db.models",
    "django.db.migrations.autodetector",
    "django.db.migrations.loader",
    "django.db.migrations.questioner",
    "django.db.migrations.state",
    "django.utils.log",
    "django.urls",
    "django.http",
    "django.views.generic",
    "django.template.defaultfilters",
    "django.template.defaulttags",
    "django.db.backends.base.base",
    "django.core.serializers.json",
)


def preload() -> dict[str, Any] | None:
    """Import the parts of Django every probe needs, before the request arrives (none of them reads the
    settings); None when it worked, else the answer that says why not."""
    try:
        import django  # noqa: F401
    except ImportError as exc:
        return {"status": "no-django", "detail": one_line(exc)}
    from importlib import import_module

    for module in PRELOAD:
        try:
            import_module(module)
        except Exception:  # whatever it is, boot() meets it again and says so
            break
    return None


def shadowed(project_dir: str) -> bool:
    """Whether the project directory has a `django` of its own, which its manage.py would import."""
    return any(os.path.exists(os.path.join(project_dir, name)) for name in ("django", "django.py"))


def boot(settings_module: str) -> dict[str, Any] | None:
    """Import the settings and set Django up; None when it worked, else the answer that says why not."""
    import django
    from django.conf import settings

    os.environ["DJANGO_SETTINGS_MODULE"] = settings_module
    try:
        databases = settings.DATABASES  # imports the settings module
    except Exception as exc:
        return {"status": "settings", "detail": one_line(exc)}
    # No database is needed to compare model states; the dummy engine makes sure none is touched.
    settings.DATABASES = {alias: {"ENGINE": "django.db.backends.dummy"} for alias in databases or ["default"]}
    try:
        django.setup()
    except Exception as exc:
        return {"status": "setup", "detail": one_line(exc)}
    return None


def questioner() -> Any:
    """makemigrations' non-interactive questioner, minus its sys.exit(3) for a field that needs a
    default: that is still a missing migration, which is what we report."""
    from django.db.migrations.questioner import NonInteractiveMigrationQuestioner

    class Questioner(NonInteractiveMigrationQuestioner):  # type: ignore[misc]
        def ask_not_null_addition(self, field_name: str, model_name: str) -> None:
            return None

        def ask_auto_now_add_addition(self, field_name: str, model_name: str) -> None:
            return None

    asker = Questioner(specified_apps=set(), dry_run=True)
    asker.verbosity, asker.log = 0, lambda msg: None
    return asker


def migrations_dir(app_label: str) -> str | None:
    """Where makemigrations would write the app's migrations (MigrationWriter.basedir, which may create
    directories, minus the side effects)."""
    from importlib import import_module

    from django.apps import apps
    from django.db.migrations.loader import MigrationLoader

    package, _ = MigrationLoader.migrations_module(app_label)
    if package is None:
        return None
    try:
        module = import_module(package)
        paths = list(getattr(module, "__path__", []))
        if paths:
            return str(paths[0])
    except ImportError:
        pass
    app_config = apps.get_app_config(app_label)
    parent, _, basename = package.rpartition(".")
    return os.path.join(app_config.path, basename) if parent == app_config.name else None


def describe(operation: Any) -> str:
    if hasattr(operation, "formatted_description"):  # Django >= 5.1: "+ Add field note to order"
        return str(operation.formatted_description())
    return f"- {operation.describe()}"


def written(migration: Any) -> str | None:
    """The file makemigrations would write, for djgate to read its operations as it reads every migration's
    (DJG307); None when the writer cannot serialize a value (makemigrations would fail too)."""
    from django.db.migrations.writer import MigrationWriter

    try:
        return str(MigrationWriter(migration, include_header=False).as_string())
    except Exception:  # a value the writer cannot serialize, a third-party operation
        return None


def irreversible(loader: Any) -> list[dict[str, Any]]:
    """Operations of every migration on disk whose `reversible` is False, nested ones included."""
    from django.db.migrations.operations import SeparateDatabaseAndState

    found = []
    for (app_label, name), migration in sorted(loader.disk_migrations.items()):
        for index, operation in enumerate(migration.operations):
            inner = [operation]
            if isinstance(operation, SeparateDatabaseAndState):
                inner = list(operation.database_operations)
            for op in inner:
                if not op.reversible:
                    found.append(
                        {"app": app_label, "migration": name, "index": index, "operation": type(op).__name__}
                    )
    return found


def pending(loader: Any) -> list[dict[str, Any]]:
    """What makemigrations would write: per app, each migration's name, path and operations."""
    from django.apps import apps
    from django.db.migrations.autodetector import MigrationAutodetector
    from django.db.migrations.state import ProjectState

    autodetector = MigrationAutodetector(loader.project_state(), ProjectState.from_apps(apps), questioner())
    changes = autodetector.changes(
        graph=loader.graph, trim_to_apps=None, convert_apps=None, migration_name=None
    )
    out = []
    for app_label, migrations in sorted(changes.items()):
        directory = migrations_dir(app_label)
        for migration in migrations:
            path = os.path.join(directory, f"{migration.name}.py") if directory else None
            out.append(
                {
                    "app": app_label,
                    "name": migration.name,
                    "path": os.path.abspath(path) if path else None,
                    "operations": [describe(op) for op in migration.operations],
                    "source": written(migration),
                }
            )
    return out


def probe(request: dict[str, Any]) -> dict[str, Any]:
    failed = boot(request["settings"])
    if failed is not None:
        return failed
    import django
    from django.db.migrations.loader import MigrationLoader

    answer: dict[str, Any] = {
        "status": "ok",
        "django": {"version": django.get_version(), "file": os.path.abspath(django.__file__)},
        "pending": [],
        "irreversible": [],
        "graph_error": None,
    }
    try:
        # As makemigrations: no connection, so replaced migrations are resolved as if none were applied.
        loader = MigrationLoader(None, ignore_no_migrations=True)
    except Exception as exc:
        answer["graph_error"] = one_line(exc)
        return answer
    answer["irreversible"] = irreversible(loader)
    answer["pending"] = pending(loader)
    return answer


def main() -> int:
    # Whatever Django or the project prints goes to stderr; stdout carries the answer alone.
    answer_fd = os.dup(1)
    os.dup2(2, 1)
    restarted = len(sys.argv) > 1  # by the shadowed() case below, with the request as its argument
    if restarted:
        data, failed = sys.argv[1], None
    else:
        failed = preload()
        data = sys.stdin.read()
        if not data.strip():
            return 0  # djgate found it does not need Django
    request = json.loads(data)
    if not restarted and failed is None and shadowed(request["project_dir"]):
        # The Django preloaded is not the one the project imports: start afresh, the project's first.
        os.dup2(answer_fd, 1)
        os.execv(sys.executable, [sys.executable, os.path.abspath(__file__), data])
    os.chdir(request["project_dir"])
    sys.path.insert(0, os.getcwd())
    if restarted:
        failed = preload()
    try:
        answer = failed or probe(request)
    except SystemExit as exc:
        answer = {"status": "setup", "detail": f"the project called sys.exit({exc.code}) while Django booted"}
    os.write(answer_fd, json.dumps(answer).encode())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
