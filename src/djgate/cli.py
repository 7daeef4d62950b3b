"""The `djgate` command line (click): every command, its help and its usage errors. What a command does
lives in `djgate.commands`; the console script (`djgate.console`) reads the hook doors' usual command
lines itself and comes here for everything else."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

from djgate import __version__, commands, log
from djgate.commands import emit
from djgate.engine import STAGED_FAMILIES, WHOLE_FILE_FAMILIES
from djgate.errors import DjgateError
from djgate.report import FORMATS

F = TypeVar("F", bound=Callable[..., Any])


def _split_codes(
    ctx: click.Context, param: click.Parameter, value: tuple[str, ...]
) -> tuple[str, ...] | None:
    return commands.split_codes(value)


def common_options(command: F) -> F:
    command = click.option(
        "--format",
        "fmt",
        type=click.Choice(FORMATS),
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


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="djgate")
@click.option("-v", "--verbose", is_flag=True, help="Log what djgate does, on stderr.")
def cli(verbose: bool) -> None:
    """Commit governance for Django teams: conventional messages scoped to the app a commit changes."""
    if verbose:
        log.enable_verbose()


@cli.command("check-msg")
@click.argument("msg_file", type=click.Path(path_type=Path, dir_okay=False))
@common_options
def check_msg(msg_file: Path, fmt: str, config_path: Path | None, select: Any, ignore: Any) -> int:
    """commit-msg hook: check the message in MSG_FILE against the rules and the staged files."""
    return commands.check_msg(msg_file, fmt, config_path, select, ignore)


@cli.command("check-staged")
@click.argument("files", nargs=-1, type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--family",
    "families",
    multiple=True,
    help=f"Only this rule family (repeatable): {', '.join(STAGED_FAMILIES)}; each pre-commit hook id runs "
    f"one. With FILES or --all-files: {', '.join(WHOLE_FILE_FAMILIES)}. Default: all.",
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
    error = commands.family_error(families, bool(files or all_files))
    if error:
        raise click.BadParameter(error, param_hint="--family")
    return commands.check_staged(files, families, all_files, fmt, config_path, select, ignore)


@cli.command("check-range")
@click.argument("rev_range", required=False)
@click.option(
    "--summary",
    "summary_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Append a Markdown table of the verdicts to this file (e.g. $GITHUB_STEP_SUMMARY).",
)
@click.option("--allow-empty", is_flag=True, help="An empty range passes instead of being an error.")
@click.option(
    "--root",
    "from_root",
    is_flag=True,
    help="REV_RANGE is one commit (TIP): judge it and every commit before it, the root commit included.",
)
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=1),
    help="Processes judging the range (default: one per core for 20 commits or more, else one).",
)
@common_options
def check_range(
    rev_range: str | None,
    summary_path: Path | None,
    allow_empty: bool,
    from_root: bool,
    jobs: int | None,
    fmt: str,
    config_path: Path | None,
    select: Any,
    ignore: Any,
) -> int:
    """CI: every gate on every commit of REV_RANGE (BASE..TIP; default: from the CI's environment,
    else the current branch's upstream)."""
    from djgate.config import load_config
    from djgate.engine import check_range as run
    from djgate.gitrepo import GitRepo
    from djgate.ranges import range_from_environment
    from djgate.report import range_extra, range_markdown, sanitize

    repo = GitRepo.discover(bare=True)
    if from_root:
        spec = rev_range or "HEAD"
        resolved = repo.resolve_root(spec)
    else:
        spec = rev_range or range_from_environment(os.environ, repo.upstream)
        resolved = repo.resolve_range(spec)
    # The branch under review is not trusted: its configuration could turn the gates off. A history
    # judged from its root has no target branch: its own configuration is all there is (a first push).
    if config_path is not None:
        config = load_config(repo.root, config_path)
    elif from_root:
        config = commands.range_config(repo, resolved.tip) if repo.bare else load_config(repo.root)
    else:
        config = commands.range_config(repo, resolved.requested_base)
    report = run(repo, config.with_cli(select, ignore), resolved, jobs=jobs)
    if not report.verdicts and not report.skipped and not allow_empty:
        raise DjgateError(f"the range {spec} has no commits; check it, or pass --allow-empty")
    if summary_path is not None:
        with summary_path.open("a", encoding="utf-8") as handle:
            handle.write(range_markdown(report))
    extra = range_extra(report)
    code = emit(report.findings, fmt, extra)
    if fmt == "text":
        overrides = f", {len(report.overrides)} override(s)" if report.overrides else ""
        boots = f", {report.django_boots} Django boot(s)" if report.django_boots else ""
        skipped = f", {len(report.skipped)} more skipped by the configuration" if report.skipped else ""
        click.echo(
            f"djgate: {extra['commits']} commit(s) in {spec}, {extra['refused']} refused"
            f"{skipped}{overrides}{boots}"
        )
        for skip in report.skipped:
            click.echo(f"    skipped {skip.commit[:12]}: {sanitize(skip.reason)}")
    return code


@cli.command("prepare-msg")
@click.argument("msg_file", type=click.Path(path_type=Path, dir_okay=False))
@click.argument("source", required=False)
@click.argument("sha", required=False)
@click.option("--config", "config_path", type=click.Path(path_type=Path, dir_okay=False))
def prepare_msg(msg_file: Path, source: str | None, sha: str | None, config_path: Path | None) -> int:
    """prepare-commit-msg hook: pre-fill `<type>(<app>): ` when git opens its empty template."""
    return commands.prepare_msg(msg_file, source, sha, config_path)


@cli.command("rules")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.option("--config", "config_path", type=click.Path(path_type=Path, dir_okay=False))
def rules_command(fmt: str, config_path: Path | None) -> int:
    """List every rule: code, name, severity (as the repository's configuration sets it), summary."""
    from djgate.docs import rules_json, rules_table

    config = commands.repository_config(config_path)
    click.echo(rules_json(config) if fmt == "json" else rules_table(config))
    return 0


@cli.command("config")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.option("--config", "config_path", type=click.Path(path_type=Path, dir_okay=False))
def config_command(fmt: str, config_path: Path | None) -> int:
    """Print the effective configuration: every key, its value, and where it came from (default or file)."""
    from djgate.config import describe_config

    click.echo(describe_config(commands.repository_config(config_path), fmt))
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
@click.option("--force", is_flag=True, help="Chain the pre-commit framework's hooks too (checks run twice).")
def install(hooks: tuple[str, ...], force: bool) -> int:
    """Install djgate's native git hooks (core.hooksPath respected); a hook already there runs first.
    The hooks run djgate with the Python running this command."""
    from djgate.gitrepo import GitRepo
    from djgate.install import install as run

    for action in run(GitRepo.discover(), hooks, force=force):
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
    """Run a command line with click; usage errors exit 2 with click's message."""

    def run() -> int:
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
            raise KeyboardInterrupt from None
        return result if isinstance(result, int) else 0

    return commands.guarded(run)
