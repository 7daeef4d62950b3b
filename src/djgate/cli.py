"""The `djgate` command. Every door builds a ChangeSet, runs the rules and reports; exit 0/1/2."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

import click

from djgate import __version__
from djgate.errors import DjgateError

log = logging.getLogger("djgate")
F = TypeVar("F", bound=Callable[..., Any])


def _split_codes(
    ctx: click.Context, param: click.Parameter, value: tuple[str, ...]
) -> tuple[str, ...] | None:
    if not value:
        return None
    return tuple(code.strip() for item in value for code in item.split(",") if code.strip())


def common_options(command: F) -> F:
    command = click.option(
        "--format",
        "fmt",
        type=click.Choice(["text", "json", "github", "sarif"]),
        default="text",
        show_default=True,
        help="Output format.",
    )(command)
    command = click.option(
        "--config",
        "config_path",
        type=click.Path(path_type=Path, dir_okay=False),
        help="TOML file with the settings (default: [tool.djgate] in the repository's pyproject.toml).",
    )(command)
    command = click.option(
        "--select",
        multiple=True,
        callback=_split_codes,
        help="Only these rule codes or prefixes (comma-separated; replaces the configured list).",
    )(command)
    command = click.option(
        "--ignore",
        multiple=True,
        callback=_split_codes,
        help="Skip these rule codes or prefixes (comma-separated; replaces the configured list).",
    )(command)
    return command


class Session:
    """The repository and configuration a command works on."""

    def __init__(self, config_path: Path | None, select: Any, ignore: Any) -> None:
        from djgate.config import load_config
        from djgate.gitrepo import GitRepo

        self.repo = GitRepo.discover()
        self.config = load_config(self.repo.root, config_path).with_cli(select, ignore)


def emit(findings: Sequence[Any], fmt: str, extra: dict[str, Any] | None = None) -> int:
    from djgate.report import render

    out = render(findings, fmt, sys.stdout, extra)
    if out:
        click.echo(out)
    return 1 if any(f.blocking for f in findings) else 0


def read_message(msg_file: Path) -> bytes:
    try:
        return msg_file.read_bytes()
    except OSError as exc:
        raise DjgateError(f"cannot read the message file {msg_file}: {exc.strerror}") from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="djgate")
@click.option("-v", "--verbose", is_flag=True, help="Log what djgate does, on stderr.")
def cli(verbose: bool) -> None:
    """Commit governance for Django teams: conventional messages scoped to the app a commit changes."""
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING, format="djgate: %(message)s")


@cli.command("check-msg")
@click.argument("msg_file", type=click.Path(path_type=Path, dir_okay=False))
@common_options
def check_msg(msg_file: Path, fmt: str, config_path: Path | None, select: Any, ignore: Any) -> int:
    """commit-msg hook: check the message in MSG_FILE against the rules and the staged files."""
    from djgate.engine import check_message
    from djgate.message import decode

    text = decode(read_message(msg_file))
    session = Session(config_path, select, ignore)
    return emit(check_message(session.repo, session.config, text), fmt)


@cli.command("check-staged")
@click.argument("files", nargs=-1, type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--family",
    "families",
    multiple=True,
    help="Only this rule family (repeatable); each pre-commit hook id runs one. Default: all.",
)
@click.option(
    "--all-files",
    is_flag=True,
    help="Judge every file of the index whole, not the lines the change adds (a first audit).",
)
@common_options
def check_staged(
    files: tuple[Path, ...],
    families: tuple[str, ...],
    all_files: bool,
    fmt: str,
    config_path: Path | None,
    select: Any,
    ignore: Any,
) -> int:
    """pre-commit hook: check the staged files (one app per commit, ...) before the editor opens.

    With FILES (as pre-commit passes them), only the content families run on those files: a file with
    staged changes on the lines it adds, any other file whole (`pre-commit run --all-files`)."""
    from djgate.engine import STAGED_FAMILIES, WHOLE_FILE_FAMILIES, check_files
    from djgate.engine import check_staged as run

    unknown = sorted(set(families) - set(STAGED_FAMILIES))
    if unknown:
        raise click.BadParameter(
            f"{', '.join(unknown)}; choose from {', '.join(STAGED_FAMILIES)}", param_hint="--family"
        )
    if not (files or all_files):
        session = Session(config_path, select, ignore)
        return emit(run(session.repo, session.config, families or STAGED_FAMILIES), fmt)
    whole = sorted(set(families) - set(WHOLE_FILE_FAMILIES))
    if whole:
        raise click.BadParameter(
            f"{', '.join(whole)} judges the staged change as a whole: it takes neither file names nor "
            f"--all-files (these do: {', '.join(WHOLE_FILE_FAMILIES)})",
            param_hint="--family",
        )
    session = Session(config_path, select, ignore)
    paths = None if all_files else [_repo_path(session.repo.root, f) for f in files]
    return emit(check_files(session.repo, session.config, families or WHOLE_FILE_FAMILIES, paths), fmt)


def _repo_path(root: Path, path: Path) -> str:
    """A file name as given (relative to the working directory) as a path in the repository."""
    absolute = os.path.abspath(path)
    real = Path(os.path.realpath(os.path.dirname(absolute))) / os.path.basename(absolute)
    try:
        return real.relative_to(root.resolve()).as_posix()
    except ValueError:
        raise DjgateError(f"{path} is outside the repository {root}; name files inside it") from None


@cli.command("check-range")
@click.argument("rev_range", required=False)
@click.option(
    "--summary",
    "summary_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Append a Markdown table of the verdicts to this file (e.g. $GITHUB_STEP_SUMMARY).",
)
@click.option("--allow-empty", is_flag=True, help="An empty range passes instead of being an error.")
@common_options
def check_range(
    rev_range: str | None,
    summary_path: Path | None,
    allow_empty: bool,
    fmt: str,
    config_path: Path | None,
    select: Any,
    ignore: Any,
) -> int:
    """CI: every gate on every commit of REV_RANGE (BASE..TIP; default: from the CI's environment,
    else the current branch's upstream)."""
    from djgate.engine import check_range as run
    from djgate.ranges import range_from_environment
    from djgate.report import range_extra, range_markdown

    session = Session(config_path, select, ignore)
    repo = session.repo
    spec = rev_range or range_from_environment(os.environ, repo.upstream)
    report = run(repo, session.config, repo.resolve_range(spec))
    if not report.verdicts and not allow_empty:
        raise DjgateError(f"the range {spec} has no commits; check it, or pass --allow-empty")
    if summary_path is not None:
        with summary_path.open("a", encoding="utf-8") as handle:
            handle.write(range_markdown(report))
    extra = range_extra(report)
    code = emit(report.findings, fmt, extra)
    if fmt == "text":
        overrides = f", {len(report.overrides)} override(s)" if report.overrides else ""
        boots = f", {report.django_boots} Django boot(s)" if report.django_boots else ""
        click.echo(
            f"djgate: {extra['commits']} commit(s) in {spec}, {extra['refused']} refused{overrides}{boots}"
        )
    return code


@cli.command("prepare-msg")
@click.argument("msg_file", type=click.Path(path_type=Path, dir_okay=False))
@click.argument("source", required=False)
@click.argument("sha", required=False)
@click.option("--config", "config_path", type=click.Path(path_type=Path, dir_okay=False))
def prepare_msg(msg_file: Path, source: str | None, sha: str | None, config_path: Path | None) -> int:
    """prepare-commit-msg hook: pre-fill `<type>(<app>): ` when git opens its empty template."""
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
    changeset = replace(repo.staged(), comment_char=repo.comment_char())
    new = prefill(text, source, changeset, AppMap(repo.apps(), session.config))
    if new is not None:
        msg_file.write_bytes(new.encode("utf-8"))
    return 0


@cli.command("rules")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def rules_command(fmt: str) -> int:
    """List every rule: code, name, default severity, summary."""
    from djgate.docs import rules_json, rules_table

    click.echo(rules_json() if fmt == "json" else rules_table())
    return 0


@cli.command("explain")
@click.argument("code")
def explain(code: str) -> int:
    """Explain a rule: what it checks, why, how to fix it, and an example."""
    from djgate.docs import explain_rule

    click.echo(explain_rule(code))
    return 0


@cli.command("demo")
@click.option("--keep/--no-keep", default=True, help="Leave the demo repository for you to explore.")
@click.option("-v", "--verbose", is_flag=True, help="Show what the hooks printed for each commit.")
def demo(keep: bool, verbose: bool) -> int:
    """Replay a series of commits on a bundled Django project, with djgate's hooks installed."""
    from djgate.demo import run_demo

    return run_demo(keep=keep, verbose=verbose)


HOOK_OPTION = click.option(
    "--hook",
    "hooks",
    multiple=True,
    metavar="NAME",
    help="Only this hook (repeatable): pre-commit, prepare-commit-msg, commit-msg, pre-push. Default: all.",
)


@cli.command("install")
@HOOK_OPTION
def install(hooks: tuple[str, ...]) -> int:
    """Install djgate's native git hooks (core.hooksPath respected); a hook already there runs first."""
    from djgate.gitrepo import GitRepo
    from djgate.install import install as run

    for action in run(GitRepo.discover(), hooks):
        click.echo(f"djgate: {action.describe()}")
    return 0


@cli.command("uninstall")
@HOOK_OPTION
def uninstall(hooks: tuple[str, ...]) -> int:
    """Remove djgate's native git hooks and put back the hooks they replaced."""
    from djgate.gitrepo import GitRepo
    from djgate.install import uninstall as run

    actions = run(GitRepo.discover(), hooks)
    for action in actions:
        click.echo(f"djgate: {action.describe()}")
    if not actions:
        click.echo("djgate: no djgate hook to remove")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    try:
        result = cli.main(
            args=list(argv) if argv is not None else None, prog_name="djgate", standalone_mode=False
        )
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:
        exc.show()
        return 2
    except click.Abort:
        click.echo("djgate: interrupted", err=True)
        return 130
    except DjgateError as exc:
        click.echo(f"djgate: error: {exc}", err=True)
        return exc.exit_code
    except Exception as exc:  # a bug in djgate: one line for the user, the traceback with -v
        if os.environ.get("DJGATE_DEBUG"):
            raise
        log.debug("internal error", exc_info=True)
        click.echo(
            f"djgate: internal error ({type(exc).__name__}: {exc}); please report it, with the traceback "
            "that `djgate -v ...` prints",
            err=True,
        )
        return 2
    return result if isinstance(result, int) else 0
