"""The doors: where a ChangeSet comes from (a message file and the index, the index alone, a range of
commits); everything after that is the same rules and the same findings."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from djgate.changeset import ChangeSet
from djgate.config import Config
from djgate.findings import Finding
from djgate.gitrepo import GitRepo
from djgate.message import Message
from djgate.project import AppMap
from djgate.rules import Context, run_rules

# Which rule families each door runs. Later families (secrets, print, migrations, ...) join here.
MESSAGE_FAMILIES = ("message", "scope")
STAGED_FAMILIES = ("scope",)


def judge(
    repo: GitRepo,
    config: Config,
    changeset: ChangeSet,
    apps: AppMap,
    families: Iterable[str],
) -> list[Finding]:
    message = None
    if changeset.message is not None:
        message = Message.from_text(changeset.message, changeset.comment_char)
    rev = changeset.commit  # None: the index
    blobs = {f.path: f.new_blob for f in changeset.files if f.new_blob}
    cache: dict[str, bytes] = {}

    def existing(paths: Iterable[str]) -> set[str]:
        return repo.existing_paths(paths, rev)

    def contents(paths: Iterable[str]) -> dict[str, bytes]:
        missing = {p: blobs[p] for p in paths if p in blobs and p not in cache}
        cache.update(repo.read_blobs(missing))
        return {p: cache[p] for p in paths if p in cache}

    context = Context(changeset, config, apps, message, existing, contents)
    return list(run_rules(context, families))


def check_message(repo: GitRepo, config: Config, text: str) -> list[Finding]:
    """commit-msg: the message being written, with the staged files it will commit."""
    staged = replace(repo.staged(message=text), comment_char=repo.comment_char())
    return judge(repo, config, staged, AppMap(repo.apps(), config), MESSAGE_FAMILIES)


def check_staged(repo: GitRepo, config: Config, families: Iterable[str] = STAGED_FAMILIES) -> list[Finding]:
    """pre-commit: the staged files, before the editor opens."""
    return judge(repo, config, repo.staged(), AppMap(repo.apps(), config), families)


def check_commits(repo: GitRepo, config: Config, changesets: list[ChangeSet], tip: str) -> list[Finding]:
    """Each commit of a range, judged as the hooks would have judged it; apps as of the range's tip."""
    apps = AppMap(repo.apps(tip), config)
    findings: list[Finding] = []
    for changeset in changesets:
        findings.extend(judge(repo, config, changeset, apps, MESSAGE_FAMILIES))
    return findings
