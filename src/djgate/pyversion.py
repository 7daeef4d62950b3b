"""The Python a project is written for, and its word on files djgate's own Python cannot parse.

djgate parses with the Python it runs on; code written for a newer one (`type X = int` and `def f[T](...)`
are 3.12, `class C[T = int]` is 3.13, PEP 701 f-strings 3.12) does not parse there. Nothing here runs while
djgate's own parse succeeds. When it fails, the project's Python is looked for, in this order:

- the interpreter djgate finds for the Django probe (`[tool.djgate] python`, `$VIRTUAL_ENV`, `.venv/`,
  `python3` on PATH), unless it is older than `requires-python` allows (then it is not the project's);
- `python3.X` on PATH, X.Y being the oldest Python `requires-python` admits (pyenv, uv, deadsnakes);
- else only the version is known: `requires-python` of the repository's pyproject.toml, else djgate's own.

One process of that interpreter answers for every such file of a run (`-I -S -B`, the text on stdin).
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING, NamedTuple

from djgate.config import Config

if TYPE_CHECKING:
    import subprocess
    from queue import Queue

Version = tuple[int, int]
OWN: Version = (sys.version_info[0], sys.version_info[1])

# Runs in the project's interpreter: stdlib only, valid in every Python 3. Prints its version, then for each
# request line ({key: source text}) one answer line ({key: null, or [message, line]}).
CHECKER = r"""
import ast, json, sys, warnings
sys.stdout.write(json.dumps(list(sys.version_info[:2])) + "\n")
sys.stdout.flush()
for request in sys.stdin:
    answer = {}
    for key, text in json.loads(request).items():
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ast.parse(text)
            answer[key] = None
        except SyntaxError as exc:
            answer[key] = [exc.msg, exc.lineno]
        except (ValueError, RecursionError, MemoryError) as exc:
            answer[key] = [str(exc) or type(exc).__name__, None]
    sys.stdout.write(json.dumps(answer) + "\n")
    sys.stdout.flush()
"""

_BOUND = re.compile(r"(>=|~=|===|==|>|\^|~)\s*(\d+)\.(\d+)")
# What newer Pythons accept and older ones refuse, on the line an older parser stops at: a type statement,
# type parameters (3.12; defaults 3.13), an f-string (PEP 701), a t-string, an unparenthesized except (3.14).
NEWER_SYNTAX = re.compile(
    r"^\s*(?:type\s+\w+\s*[\[=]|(?:async\s+)?def\s+\w+\s*\[|class\s+\w+\s*\[|except\s+[^(:]+,)"
    r"|(?<![\w.])(?:[fFtT][rR]?|[rR][fFtT])[\"']"
)


def show(version: Version) -> str:
    return f"{version[0]}.{version[1]}"


def requires_python(pyproject: bytes | None) -> Version | None:
    """The oldest Python `requires-python` (or Poetry's `python` dependency) admits: every file must parse
    there. None when the file, the key or a lower bound is missing."""
    if not pyproject:
        return None
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on 3.10 only
        import tomli as tomllib
    try:
        data = tomllib.loads(pyproject.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError):
        return None
    spec = data.get("project", {}).get("requires-python") if isinstance(data.get("project"), dict) else None
    if not isinstance(spec, str):
        tool = data.get("tool", {})
        poetry = tool.get("poetry", {}) if isinstance(tool, dict) else {}
        deps = poetry.get("dependencies", {}) if isinstance(poetry, dict) else {}
        spec = deps.get("python") if isinstance(deps, dict) else None
    if not isinstance(spec, str):
        return None
    bounds = [(int(m[2]), int(m[3])) for m in _BOUND.finditer(spec)]
    return max(bounds) if bounds else None


class Answer(NamedTuple):
    """The project's interpreter on one file: None when it parses, else the error and its line."""

    message: str
    line: int | None


def looks_newer(line: str) -> bool:
    """Could a newer Python accept the line an older parser stopped at? If not, no Python will."""
    return NEWER_SYNTAX.search(line) is not None


class Verdict(NamedTuple):
    """The project's Python (`via` says how it was learnt) and, when it could be asked, its answers."""

    version: Version
    via: str
    answers: dict[str, Answer | None] | None


def project_verdict(
    python: ProjectPython | None, pyproject: bytes | None, texts: Mapping[str, str]
) -> Verdict | None:
    """What the project's Python says of texts djgate's Python cannot parse; None when it is djgate's
    Python or older (djgate's errors stand)."""
    required = requires_python(pyproject)
    known = None
    if python is not None:
        known = python.version(required)
        if known is not None and known <= OWN:
            return None
        if known is not None:
            answers = python.parse(required, texts)
            if answers is not None:
                return Verdict(known, "the project's interpreter", answers)
    if known is not None:
        return Verdict(known, "its interpreter, which did not answer", None)
    if required is not None and required > OWN:
        return Verdict(required, "requires-python", None)
    return None


# A checker process, the queue its answer lines arrive on, and its Python's version.
Started = tuple["subprocess.Popen[str]", "Queue[str | None]", Version]


class ProjectPython:
    """The project's interpreter, found and started at the first question, then kept for the run."""

    def __init__(self, root: Path, config: Config, environ: Mapping[str, str] = os.environ) -> None:
        self.root = root
        self.config = config
        self.environ = environ
        self._started: dict[Version | None, Started | None] = {}

    def version(self, required: Version | None) -> Version | None:
        """The version of the project's interpreter (the one `required` admits), None when none is found."""
        started = self._start(required)
        return started[2] if started else None

    def parse(self, required: Version | None, texts: Mapping[str, str]) -> dict[str, Answer | None] | None:
        """Each text parsed by the project's interpreter; None when there is none or it did not answer."""
        started = self._start(required)
        if started is None:
            return None
        import json

        process, lines, _ = started
        try:
            assert process.stdin is not None
            process.stdin.write(json.dumps(dict(texts)) + "\n")
            process.stdin.flush()
            answer = json.loads(self._line(lines) or "null")
        except (OSError, ValueError):
            answer = None
        if not isinstance(answer, dict):
            self._stop(required)
            return None
        return {key: Answer(str(a[0]), a[1]) if isinstance(a, list) else None for key, a in answer.items()}

    def _start(self, required: Version | None) -> Started | None:
        if required not in self._started:
            self._started[required] = None
            for path in self._candidates(required):
                started = self._spawn(path)
                if started is not None and (required is None or started[2] >= required):
                    self._started[required] = started
                    break
                if started is not None:
                    _close(started[0])
        return self._started[required]

    def _candidates(self, required: Version | None) -> list[str]:
        import shutil

        from djgate.django.environment import find_interpreter
        from djgate.errors import DjgateError

        found: list[str] = []
        with contextlib.suppress(DjgateError):
            found.append(find_interpreter(self.root, self.config, self.environ).path)
        versioned = (
            shutil.which(f"python{show(required)}", path=self.environ.get("PATH")) if required else None
        )
        if versioned and versioned not in found:
            found.append(versioned)
        return found

    def _spawn(self, path: str) -> Started | None:
        import json
        import subprocess
        import threading
        import weakref
        from queue import Queue

        try:
            process = subprocess.Popen(
                [path, "-I", "-S", "-B", "-c", CHECKER],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
                encoding="utf-8",
            )
        except OSError:
            return None
        lines: Queue[str | None] = Queue()
        assert process.stdout is not None
        threading.Thread(target=_read_lines, args=(process.stdout, lines), daemon=True).start()
        weakref.finalize(self, _close, process)
        try:
            version = json.loads(self._line(lines) or "null")
        except ValueError:
            version = None
        if not (isinstance(version, list) and len(version) == 2 and all(isinstance(v, int) for v in version)):
            _close(process)
            return None
        return process, lines, (version[0], version[1])

    def _line(self, lines: Queue[str | None]) -> str | None:
        from queue import Empty

        try:
            return lines.get(timeout=self.config.probe_timeout)
        except Empty:
            return None

    def _stop(self, required: Version | None) -> None:
        started = self._started.get(required)
        if started is not None:
            _close(started[0])
        self._started[required] = None

    def close(self) -> None:
        for started in self._started.values():
            if started is not None:
                _close(started[0])


def _read_lines(stream: IO[str], lines: Queue[str | None]) -> None:
    for line in stream:
        lines.put(line)
    lines.put(None)


def _close(process: subprocess.Popen[str]) -> None:
    """End the checker: it stops at the end of its input; killed if it does not within a second."""
    import subprocess

    if process.poll() is None:
        try:
            if process.stdin:
                process.stdin.close()
            process.wait(timeout=1)
        except (OSError, subprocess.TimeoutExpired):
            process.kill()
            process.wait()
