"""What the commands do once their command line is read. Two readers call these: `djgate.cli` (click:
every command, every usage error, --help) and `djgate.console` (the hook doors' common command lines,
read without importing click, on every commit's path)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from djgate import log
from djgate.errors import DjgateError
from djgate.report import render

if TYPE_CHECKING:
    from djgate.config import Config
    from djgate.findings import Finding
    from djgate.gitrepo import GitRepo

Codes = tuple[str, ...] | None  # --select / --ignore: None keeps the configured list


def split_codes(values: Iterable[str]) -> tuple[str, ...] | None:
    """`--select a,b --select c` -> ("a", "b", "c"); nothing given -> None (the configured list)."""
    codes = tuple(code.strip() for item in values for code in item.split(",") if code.strip())
    return codes or None


class Session:
    """The repository and configuration a command works on."""

    def __init__(self, config_path: Path | None, select: Codes, ignore: Codes):
        from djgate.config import load_config
        from djgate.gitrepo import GitRepo

        self.repo: GitRepo = GitRepo.discover()
        self.config: Config = load_config(self.repo.root, config_path).with_cli(select, ignore)


def repository_config(config_path: Path | None) -> Config:
    """The configuration of the repository around the working directory (or `config_path`); the defaults
    outside a repository."""
    from djgate.config import Config, load_config
    from djgate.gitrepo import GitRepo

    try:
        root = GitRepo.discover().root
    except DjgateError:
        if config_path is None:
            return Config()
        root = Path.cwd()
    return load_config(root, config_path)


def range_config(repo: GitRepo, base: str) -> Config:
    """The configuration a range is judged with: the root pyproject.toml of its base as given (the target
    branch), whatever the range's own commits or the working tree hold."""
    from djgate.config import Config, config_from_toml

    source = f"pyproject.toml of {base[:12]}, the target branch"
    data = repo.read_blobs({"pyproject.toml": f"{base}:pyproject.toml"}).get("pyproject.toml")
    return Config(source=source) if data is None else config_from_toml(data, source)


def echo(text: str, err: bool = False) -> None:
    stream = sys.stderr if err else sys.stdout
    stream.write(f"{text}\n")
    stream.flush()


def emit(findings: Sequence[Finding], fmt: str, extra: dict[str, Any] | None = None) -> int:
    out = render(findings, fmt, sys.stdout, extra)
    code = 1 if any(f.blocking for f in findings) else 0
    if out:
        echo(out)
        if code == 0 and fmt == "text" and os.environ.get("PRE_COMMIT") == "1":
            to_terminal(out)
    return code


def to_terminal(text: str) -> None:
    """Warnings of a passing hook, straight to the terminal: the pre-commit framework shows a passing
    hook's output only with `verbose: true`, which prints its name and duration on every commit even when
    there is nothing to say. Without a terminal (CI), nothing more is written."""
    try:
        fd = os.open("/dev/tty", os.O_WRONLY | os.O_NOCTTY)
    except OSError:
        return
    with os.fdopen(fd, "w", encoding="utf-8", errors="backslashreplace") as tty:
        tty.write(f"\n{text}\n")  # pre-commit's "name....." line is waiting for its "Passed"


def read_message(msg_file: Path) -> bytes:
    try:
        return msg_file.read_bytes()
    except OSError as exc:
        raise DjgateError(f"cannot read the message file {msg_file}: {exc.strerror}") from None


def check_msg(
    msg_file: Path,
    fmt: str,
    config_path: Path | None,
    select: Codes,
    ignore: Codes,
) -> int:
    from djgate.engine import check_message
    from djgate.message import decode

    text = decode(read_message(msg_file))
    session = Session(config_path, select, ignore)
    code = emit(check_message(session.repo, session.config, text), fmt)
    if code == 1 and fmt == "text":  # git drops a refused message: say how to get it back
        import shlex

        kept = shlex.quote(str(msg_file.absolute()))
        echo(f"djgate: your message is kept; edit it again with: git commit -e -F {kept}", err=True)
    return code


def family_error(families: Sequence[str], on_files: bool) -> str | None:
    """What is wrong with `check-staged --family ...` (None: nothing): a family it does not run, or one that
    judges the staged change as a whole given file names or --all-files (`on_files`)."""
    from djgate.engine import STAGED_FAMILIES, WHOLE_FILE_FAMILIES

    unknown = sorted(set(families) - set(STAGED_FAMILIES))
    if unknown:
        return f"{', '.join(unknown)}; choose from {', '.join(STAGED_FAMILIES)}"
    whole = sorted(set(families) - set(WHOLE_FILE_FAMILIES))
    if on_files and whole:
        return (
            f"{', '.join(whole)} judges the staged change as a whole: it takes neither file names nor "
            f"--all-files (these do: {', '.join(WHOLE_FILE_FAMILIES)})"
        )
    return None


def check_staged(
    files: Sequence[Path],
    families: Sequence[str],
    all_files: bool,
    fmt: str,
    config_path: Path | None,
    select: Codes,
    ignore: Codes,
) -> int:
    """The staged change (no files, not --all-files), else the whole-file families on files of the index
    (the readers have refused the families `family_error` finds wrong)."""
    from djgate.engine import STAGED_FAMILIES, WHOLE_FILE_FAMILIES, check_files
    from djgate.engine import check_staged as run

    session = Session(config_path, select, ignore)
    if not (files or all_files):
        return emit(run(session.repo, session.config, families or STAGED_FAMILIES), fmt)
    paths = None if all_files else [repo_path(session.repo.root, f) for f in files]
    return emit(check_files(session.repo, session.config, families or WHOLE_FILE_FAMILIES, paths), fmt)


def repo_path(root: Path, path: Path) -> str:
    """A file name as given (relative to the working directory) as a path in the repository."""
    absolute = os.path.abspath(path)
    real = Path(os.path.realpath(os.path.dirname(absolute))) / os.path.basename(absolute)
    try:
        return real.relative_to(root.resolve()).as_posix()
    except ValueError:
        raise DjgateError(f"{path} is outside the repository {root}; name files inside it") from None


def prepare_msg(msg_file: Path, source: str | None, sha: str | None, config_path: Path | None) -> int:
    from djgate.prepare import prefill
    from djgate.project import AppMap

    # Under pre-commit the source arrives in the environment rather than as an argument.
    source = source or os.environ.get("PRE_COMMIT_COMMIT_MSG_SOURCE") or None
    if source:
        return 0
    session = Session(config_path, None, None)
    raw = read_message(msg_file)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return 0  # not ours to rewrite
    repo = session.repo
    changeset = repo.staged(lines=False)._replace(comment_char=repo.comment_char())
    reference = session.config.reference
    branch = repo.branch() if reference is not None else None  # no git call unless a reference is asked for
    new = prefill(text, source, changeset, AppMap.of(repo, session.config), reference, branch)
    if new is not None:
        msg_file.write_bytes(new.encode("utf-8"))
    return 0


def guarded(command: Callable[[], int]) -> int:
    """Run a command; djgate's errors (DjgateError) become their one line and exit code, a bug in djgate
    one line and exit 2 (DJGATE_DEBUG=1 lets it raise; `-v` logs the traceback)."""
    try:
        return command()
    except DjgateError as exc:
        echo(f"djgate: error: {exc}", err=True)
        return exc.exit_code
    except KeyboardInterrupt:
        echo("djgate: interrupted", err=True)
        return 130
    except Exception as exc:  # a bug in djgate: one line for the user, the traceback with -v
        if os.environ.get("DJGATE_DEBUG"):
            raise
        log.debug("internal error", exc_info=True)
        echo(
            f"djgate: internal error ({type(exc).__name__}: {exc}); please report it, with the traceback "
            "that `djgate -v ...` prints",
            err=True,
        )
        return 2
