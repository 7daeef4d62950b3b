"""Ask Django what `makemigrations --check --dry-run` would say about the judged tree, without importing
the project or Django here: `probe_script.py` runs in the project's interpreter and answers in JSON.

Only the judged content counts. For the index, the probe runs in the working tree when it matches the
index on every file that can change the model state and on every Python file (no unstaged edit, no
untracked module the project could import, nothing untracked in a migrations directory); otherwise on a
temporary copy of the index (`git checkout-index --prefix`). The user's files
are never touched. A commit (range mode) is always judged on a temporary copy of its tree.

Django boots only when the change can alter the model state (`modelstate`), and the answer is cached
under the git directory, keyed by those files' object ids, the interpreter, the settings module and the
probe itself; the cache entry is dropped when Django's installation changes.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from djgate import log
from djgate.cachefile import load as _load
from djgate.cachefile import store as _store
from djgate.changeset import ChangeSet
from djgate.config import Config
from djgate.django.environment import (
    OFF,
    Interpreter,
    Project,
    find_interpreter,
    find_project,
    settings_of_manage_py,
)
from djgate.django.modelstate import (
    Statement,
    can_change_model_state,
    import_statements,
    is_root,
    model_state_files,
)
from djgate.errors import DjgateError
from djgate.gitrepo import GitRepo
from djgate.project import AppMap

if TYPE_CHECKING:
    from djgate.django.verdict import DjangoVerdict


SCRIPT = Path(__file__).with_name("probe_script.py")
CACHE_ENTRIES = 64  # verdicts kept per repository
CACHE_SUFFIX = ".verdict"


def django_verdict(
    repo: GitRepo, config: Config, changeset: ChangeSet, apps: AppMap, started: ProbeProcess | None = None
) -> DjangoVerdict | None:
    """Django's verdict on the tree the ChangeSet leads to; None when DJG301 is off or the change cannot
    alter the model state. Raises DjgateError when Django should be asked and cannot be. `started`: a
    probe the door started early (`start_probe`), used if Django must be asked."""
    if not config.enabled("DJG301"):
        return None
    changed = [f.path for f in changeset.files if f.status != "D"]
    removed = [f.old_path or f.path for f in changeset.files if f.status in ("D", "R")]
    if not any(p.endswith(".py") for p in (*changed, *removed)):
        return None
    rev = changeset.commit
    py_files = repo.tree_files(rev, suffix=".py")
    facts = BlobFacts(repo.git_dir / "djgate" / "blob-facts", repo.read_blobs)
    project = find_project(py_files, config, lambda path: facts.settings_of_manage_py(py_files[path]))
    state = model_state_files(py_files, apps, project.directory, project.settings, facts.imports)
    facts.save(keep=set(py_files.values()))
    if not can_change_model_state(changed, removed, state, apps):
        log.debug("no change to a file that can alter the model state: Django not booted")
        return None
    settings = project.require_settings()
    python = find_interpreter(repo.root, config)
    cache = ProbeCache(repo.git_dir / "djgate" / "django")
    key = cache.key(python.path, settings, project.directory, {p: py_files[p] for p in state})
    answer = cache.load(key)
    if answer is None:
        answer = probe_tree(repo, rev, sorted(state), apps, python, project, config.probe_timeout, started)
        cache.store(key, answer)
    else:
        log.debug("Django's verdict for this content is cached: Django not booted")
    return to_verdict(answer, project, cached=bool(answer.get("cached")))


def probe_tree(
    repo: GitRepo,
    rev: str | None,
    state: list[str],
    apps: AppMap,
    python: Interpreter,
    project: Project,
    timeout: int,
    started: ProbeProcess | None = None,
) -> dict[str, Any]:
    """Run the probe on the working tree if it holds the judged content, else on a temporary copy."""
    import shutil
    import tempfile

    if rev is None:
        # Any Python file that differs from the index, untracked ones included: what the project imports
        # while booting can be any of them, and what is not staged will not be committed.
        watched = [*state, *(f"{root}/migrations/" for root in apps.apps), ":(glob)**/*.py"]
        dirty = ["(a sparse checkout)"] if repo.sparse else repo.dirty_paths(watched)
        if not dirty:
            return run_probe(python, repo.root, project, timeout, started)
        log.debug("the working tree differs from the index (%s): probing a copy of the index", dirty[0])
    exit_cleanly_on_signals()
    copy = Path(tempfile.mkdtemp(prefix="djgate-tree-"))
    try:
        repo.export_tree(copy, rev)
        return run_probe(python, copy, project, timeout, started)
    finally:
        shutil.rmtree(copy, ignore_errors=True)


class ProbeProcess:
    """probe_script.py running in the project's interpreter. It imports Django before it reads its
    request, so a door that sees a change likely to need Django starts it early (`start`) and Django's
    own imports, most of a probe's time, overlap djgate's work; `discard` stops it when Django turns out
    not to be needed after all (a cached verdict, nothing model-affecting)."""

    def __init__(self, python: Interpreter, cwd: Path) -> None:
        import subprocess

        self.python = python
        self.used = False
        self.error: OSError | None = None
        self.proc: subprocess.Popen[bytes] | None = None
        exit_cleanly_on_signals()
        try:
            self.proc = subprocess.Popen(
                [python.path, str(SCRIPT)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                cwd=cwd,
                env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},  # no __pycache__ in the user's tree
                start_new_session=True,  # its own process group: what project code starts ends with it
            )
        except OSError as exc:
            self.error = exc
        else:
            _running.add(self)

    @property
    def where(self) -> str:
        return f"{self.python.path} (from {self.python.found_via})"

    def ask(self, request: Mapping[str, Any], timeout: int) -> tuple[bytes, bytes, int]:
        """Send the request; the probe's stdout, stderr and exit code."""
        import json
        import subprocess

        self.used = True
        if self.proc is None:
            assert self.error is not None
            raise DjgateError(f"cannot run {self.where}: {self.error.strerror}; set [tool.djgate] python")
        try:
            out, err = self.proc.communicate(json.dumps(request).encode(), timeout=timeout)
        except BaseException as exc:  # a timeout, or djgate interrupted: no probe left running
            self.discard()
            if not isinstance(exc, subprocess.TimeoutExpired):
                raise
            raise DjgateError(
                f"the Django probe did not finish within {timeout} s (probe_timeout) with {self.where}; "
                "look for a database or network call at import time (settings, models, "
                "AppConfig.ready()), or raise [tool.djgate] probe_timeout"
            ) from None
        self.discard()  # what project code started and left running
        return out, err, self.proc.returncode

    def discard(self) -> None:
        """Stop the probe and every process it started, if still running (its answer is not needed)."""
        import contextlib
        import signal

        _running.discard(self)
        if self.proc is None:
            return
        with contextlib.suppress(OSError):  # the group is gone already
            os.killpg(self.proc.pid, signal.SIGKILL)
        if self.proc.returncode is None:
            self.proc.communicate()


_running: set[ProbeProcess] = set()  # probes to stop if djgate exits before it is done with them


def _stop_running_probes() -> None:
    for probe in list(_running):
        probe.discard()


def exit_cleanly_on_signals() -> None:
    """Make SIGTERM and SIGHUP exit through Python, so that the temporary copy of a tree is removed and no
    probe is left running project code (see `signals.exit_through_python`)."""
    import atexit

    from djgate.signals import exit_through_python

    atexit.unregister(_stop_running_probes)
    atexit.register(_stop_running_probes)
    exit_through_python()


def start_probe(repo: GitRepo, config: Config, changeset: ChangeSet) -> ProbeProcess | None:
    """Start the probe now when the change is likely to need Django (it touches a file whose path says it
    can change the model state: `is_root` without the app map), so that Django imports while djgate
    reads the change. None when not likely, or when the interpreter cannot be found (the probe's own
    path says why, if needed)."""
    if not config.enabled("DJG301"):
        return None
    paths = [p for f in changeset.files for p in (f.path, f.old_path) if p]
    if not any(is_root(p, None) for p in paths):
        return None
    try:
        python = find_interpreter(repo.root, config)
    except DjgateError:
        return None
    log.debug("starting the Django probe early with %s", python.path)
    return ProbeProcess(python, repo.root)


def run_probe(
    python: Interpreter, tree: Path, project: Project, timeout: int, started: ProbeProcess | None = None
) -> dict[str, Any]:
    """Run probe_script.py with the project's interpreter in `tree` (the one started early if it is the
    same interpreter); its answer, with paths made relative to the tree."""
    import json

    directory = tree / project.directory if project.directory else tree
    process = started if started is not None and started.python.path == python.path else None
    if process is None or process.used:
        process = ProbeProcess(python, directory)
    out, err, returncode = process.ask({"project_dir": str(directory), "settings": project.settings}, timeout)
    try:
        answer: dict[str, Any] = json.loads(out)
    except ValueError:
        lines = err.decode("utf-8", "replace").strip().splitlines() or [f"exit code {returncode}"]
        raise DjgateError(f"the Django probe failed with {process.where}: {lines[-1]}; {OFF}") from None
    _raise_for_status(answer, process.where, project)
    for pending in answer["pending"]:
        path = pending["path"]
        if path and Path(path).is_relative_to(tree):
            pending["path"] = Path(path).relative_to(tree).as_posix()
        elif path:
            pending["path"] = None  # outside the repository: an installed app
    return answer


def _raise_for_status(answer: Mapping[str, Any], where: str, project: Project) -> None:
    status, detail = answer.get("status"), answer.get("detail", "")
    settings = f"'{project.settings}' (from {project.settings_via})"
    if status == "no-django":
        raise DjgateError(
            f"Django is not importable with {where}; set [tool.djgate] python to the interpreter of the "
            f"project's environment, {OFF}"
        )
    if status == "settings":
        raise DjgateError(
            f"the settings module {settings} failed to import with {where}: {detail}; fix it, or set "
            "[tool.djgate] settings"
        )
    if status == "setup":
        raise DjgateError(f"Django failed to set up with the settings {settings}: {detail}; fix it, {OFF}")
    if status != "ok":
        raise DjgateError(f"the Django probe answered {status!r} with {where}; {OFF}")


def to_verdict(answer: Mapping[str, Any], project: Project, cached: bool = False) -> DjangoVerdict:
    from djgate.django.verdict import DjangoVerdict, IrreversibleOperation, PendingMigration

    return DjangoVerdict(
        pending=tuple(
            PendingMigration(p["app"], p["name"], p["path"], tuple(p["operations"]), p.get("source"))
            for p in answer["pending"]
        ),
        irreversible=tuple(
            IrreversibleOperation(i["app"], i["migration"], i["index"], i["operation"])
            for i in answer["irreversible"]
        ),
        graph_error=answer.get("graph_error"),
        command=project.command,
        django_version=answer.get("django", {}).get("version", ""),
        cached=cached,
    )


class BlobFacts:
    """What djgate reads from a file's content to decide whether to boot Django (its import statements,
    the settings a manage.py names), cached by object id: content never changes under an id, so an entry
    never goes stale, and a run reads and parses only the files that changed since the last one.
    Stored with `marshal`, whose loading costs next to nothing, in djgate's directory of the git dir."""

    VERSION = 1

    def __init__(self, path: Path, read: Callable[[dict[str, str]], dict[str, bytes]]) -> None:
        self.path = path
        self.read = read
        self.dirty = False
        data = _load(path)
        self.entries: dict[str, Any] = data.get("entries", {}) if data.get("version") == self.VERSION else {}

    def imports(self, ids: dict[str, str]) -> dict[str, list[Statement]]:
        """path -> import statements, for path -> object id."""
        missing = {oid: oid for oid in ids.values() if f"i:{oid}" not in self.entries}
        for oid, source in self.read(missing).items():
            self.entries[f"i:{oid}"] = import_statements(source)
            self.dirty = True
        return {path: self.entries[f"i:{oid}"] for path, oid in ids.items() if f"i:{oid}" in self.entries}

    def settings_of_manage_py(self, oid: str) -> str | None:
        key = f"s:{oid}"
        if key not in self.entries:
            self.entries[key] = settings_of_manage_py(self.read({oid: oid}).get(oid, b""))
            self.dirty = True
        return cast("str | None", self.entries[key])

    def save(self, keep: set[str]) -> None:
        """Write the new entries, dropping those of objects no longer in the tree."""
        if self.dirty:
            entries = {key: value for key, value in self.entries.items() if key[2:] in keep}
            _store(self.path, {"version": self.VERSION, "entries": entries})


class ProbeCache:
    """Probe answers by content key, one file each; an entry is valid while Django's installation (its
    __init__.py: size and mtime) is unchanged.

    The key is the full text of what the answer depends on (the files' object ids, which are content
    hashes already, the interpreter, the settings, the probe script's identity); the file is named by its
    CRC-32 and holds the key, so a collision is only a miss. (Hashing with hashlib would import OpenSSL,
    which costs more than the rest of a cache hit.)"""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    @staticmethod
    def key(python: str, settings: str, project_dir: str, files: Mapping[str, str]) -> str:
        script = os.stat(SCRIPT)
        parts = [f"{script.st_size}:{script.st_mtime_ns}", python, settings, project_dir]
        parts.extend(f"{p}\0{oid}" for p, oid in sorted(files.items()))
        return "\n".join(parts)

    def _path(self, key: str) -> Path:
        import binascii

        return self.directory / f"{binascii.crc32(key.encode('utf-8', 'surrogateescape')):08x}{CACHE_SUFFIX}"

    def load(self, key: str) -> dict[str, Any] | None:
        entry = _load(self._path(key))
        try:
            if entry["key"] != key or entry["django_stamp"] != _stamp(entry["answer"]["django"]["file"]):
                return None
            return {**entry["answer"], "cached": True}
        except (OSError, KeyError, TypeError):
            return None

    def store(self, key: str, answer: Mapping[str, Any]) -> None:
        try:
            stamp = _stamp(answer["django"]["file"])
        except (OSError, KeyError, TypeError):
            return
        if _store(self._path(key), {"key": key, "django_stamp": stamp, "answer": dict(answer)}):
            self._prune()

    def _prune(self) -> None:
        """Keep the newest entries. A parallel run may remove (or replace) entries meanwhile: an entry
        gone before its age is read is left out, and one already removed is not an error."""
        ages = []
        for entry in self.directory.glob(f"*{CACHE_SUFFIX}"):
            try:
                ages.append((entry.stat().st_mtime, entry))
            except OSError:
                continue
        ages.sort(key=lambda age: age[0], reverse=True)
        for _, old in ages[CACHE_ENTRIES:]:
            try:
                old.unlink(missing_ok=True)
            except OSError as exc:
                log.debug("cannot prune the cache entry %s: %s", old, exc)


def _stamp(path: str) -> list[int]:
    st = os.stat(path)
    return [st.st_size, st.st_mtime_ns]
