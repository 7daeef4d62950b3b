"""The doors: where a ChangeSet comes from (a message file and the index, the index alone, a range of
commits); everything after that is the same rules and the same findings."""

from __future__ import annotations

import contextlib
import functools
import os
import posixpath
from collections import ChainMap
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, NamedTuple

from djgate import log
from djgate.analyses import Analyses
from djgate.changeset import ChangeSet
from djgate.config import Config
from djgate.errors import DjgateError
from djgate.findings import Finding
from djgate.gitrepo import GitRepo, RevRange
from djgate.message import Message
from djgate.overrides import Override, apply_overrides, parse_overrides
from djgate.project import AppMap
from djgate.rules import Context, run_rules, settle

if TYPE_CHECKING:
    from multiprocessing.connection import Connection
    from multiprocessing.context import ForkProcess

    from djgate.django.probe import ProbeProcess
    from djgate.django.verdict import DjangoVerdict
    from djgate.pyversion import ProjectPython

# Which rule families each door runs. Later families (secrets, print, migrations, ...) join here.
MESSAGE_FAMILIES = ("message", "scope")  # they read which files change, never their lines
STAGED_FAMILIES = ("scope", "migrations", "secrets", "print", "workflow")
# Families that judge file contents line by line: they also run on whole files (`check-staged --all-files`,
# or file names passed by pre-commit), where a family that judges the change as a whole makes no sense.
WHOLE_FILE_FAMILIES = ("secrets", "print", "workflow")
# A range runs every gate: DJG302-306 statically per commit, DJG301 by one Django boot per commit that
# can change the model state (none on a cache hit).
RANGE_FAMILIES = ("message", "scope", "migrations", "secrets", "print", "workflow")


class Verdict(NamedTuple):
    """What the rules said about one ChangeSet."""

    changeset: ChangeSet
    findings: list[Finding]
    overrides: Sequence[Override] = ()
    booted: bool = False  # Django was booted for it (not answered from the cache)

    @property
    def blocking(self) -> bool:
        return any(f.blocking for f in self.findings)


class RepoFacts:
    """Answers the rules' questions about file contents and existing paths, one ChangeSet at a time, from
    one `git cat-file --batch` for the whole run (a range costs no more git processes than one commit).
    Contents are kept by object id while they fit in CACHE_BYTES: a range's commits share most of them
    (a migrations directory, a baseline), and memory stays bounded however long the range."""

    CACHE_BYTES = 64 << 20

    def __init__(self, repo: GitRepo) -> None:
        self.repo = repo
        self._objects: dict[str, bytes] = {}  # content by object name (id, or `<commit>:<path>`)
        self._cached = 0
        self._missing: set[str] = set()  # names git answered "missing" for: not asked again
        self._python: ProjectPython | None = None
        self.analyses = Analyses()  # what rules compute from contents, shared by the run's ChangeSets
        from djgate.rules.incremental import SpanCache

        self.spans = SpanCache(repo.git_dir / "djgate" / "spans")  # for parsing long modules incrementally

    def done(self) -> None:
        """Keep what the next run can use (the spans of the modules parsed)."""
        self.spans.save()

    def python(self, config: Config) -> ProjectPython:
        """The project's interpreter, asked about files djgate's Python cannot parse: one for the run."""
        if self._python is None:
            from djgate.pyversion import ProjectPython

            self._python = ProjectPython(self.repo.root, config)
        return self._python

    def context(
        self,
        changeset: ChangeSet,
        config: Config,
        apps: AppMap,
        message: Message | None = None,
        django: Callable[[], DjangoVerdict | None] = lambda: None,
        target: Callable[[], str | None] = lambda: None,
    ) -> Context:
        """What the rules see of a ChangeSet, answered from this run's reads of the repository."""
        return Context(
            changeset,
            config,
            apps,
            message,
            lambda paths: self.existing(changeset, paths),
            lambda paths: self.contents(changeset, paths),
            lambda paths: self.old_contents(changeset, paths),
            lambda dirs: self.tree_contents(changeset, dirs),
            django,
            path_contents=lambda paths: self.path_contents(changeset, paths),
            on_target=lambda paths: self.on_target(changeset, target(), paths),
            python=lambda: self.python(config),
            memo={},
            analyses=self.analyses,
            spans=self.spans,
        )

    def contents(self, changeset: ChangeSet, paths: Iterable[str]) -> dict[str, bytes]:
        ids = {f.path: f.new_blob for f in changeset.files if f.new_blob}
        return self._read({p: ids[p] for p in paths if p in ids})

    def existing(self, changeset: ChangeSet, paths: Iterable[str]) -> set[str]:
        """Which of `paths` (files or directories) the judged tree has: read through the same process."""
        return set(self._read({p: f"{changeset.commit or ''}:{p}" for p in paths if "\n" not in p}))

    def on_target(self, changeset: ChangeSet, target: str | None, paths: Iterable[str]) -> set[str]:
        """Which of `paths` the target branch has (`target`: its commit; None: the parents are the target)."""
        return self.repo.existing_paths(paths, target) if target is not None else set()

    def old_contents(self, changeset: ChangeSet, paths: Iterable[str]) -> dict[str, bytes]:
        ids = {f.old_path or f.path: f.old_blob for f in changeset.files if f.old_blob}
        return self._read({p: ids[p] for p in paths if p in ids})

    def tree_contents(self, changeset: ChangeSet, dirs: Iterable[str]) -> dict[str, bytes]:
        wanted = sorted(set(dirs))
        return self._read(self.repo.tree_files(changeset.commit, under=wanted)) if wanted else {}

    def path_contents(self, changeset: ChangeSet, paths: Iterable[str]) -> dict[str, bytes]:
        """Any file of the judged tree by path, changed or not: `<commit>:<path>`, or `:<path>` (index)."""
        return self._read({p: f"{changeset.commit or ''}:{p}" for p in paths if "\n" not in p})

    def _read(self, ids: Mapping[str, str]) -> dict[str, bytes]:
        unread = {o: o for o in ids.values() if o not in self._objects and o not in self._missing}
        found = self.repo.read_blobs(unread) if unread else {}
        self._missing.update(o for o in unread if o not in found)
        known = ChainMap(found, self._objects)
        result = {p: known[o] for p, o in ids.items() if o in known}
        size = sum(map(len, found.values()))
        if self._cached + size > self.CACHE_BYTES:
            self._objects.clear()
            self._cached = 0
        self._objects.update(found)
        self._cached += size
        return result


def judge(
    facts: RepoFacts,
    config: Config,
    changeset: ChangeSet,
    apps: AppMap,
    families: Iterable[str],
    probe: ProbeProcess | None = None,
    target: Callable[[], str | None] = lambda: None,
) -> Verdict:
    """The rules of the families on one ChangeSet. `probe`: a Django probe started early, for DJG301;
    `target`: the commit of the branch the change merges into (asked on first need; None: the parents)."""
    message = None
    if changeset.message is not None:
        message = Message.from_text(changeset.message, changeset.comment_char)
    asked: list[DjangoVerdict | None] = []

    @functools.cache
    def django() -> DjangoVerdict | None:
        asked.append(_django(facts.repo, config, changeset, apps, probe))
        return asked[-1]

    context = facts.context(changeset, config, apps, message, django, target)
    findings = list(run_rules(context, families))
    # What the rules kept holds the context: let it all go now, not at a run of the cycle collector.
    if context.memo is not None:
        context.memo.clear()
    booted = any(v is not None and not v.cached for v in asked)
    findings, used = overridden(findings, message, config, changeset)
    return Verdict(changeset, findings, used, booted)


def overridden(
    findings: list[Finding], message: Message | None, config: Config, changeset: ChangeSet
) -> tuple[list[Finding], list[Override]]:
    """The findings with those a `Djgate-Allow:` trailer of the message overrides made notices, and the
    overrides that took effect."""
    if message is None:
        return findings, []
    findings, used = apply_overrides(findings, parse_overrides(message.body_lines), config)
    return findings, [o._replace(commit=changeset.commit, author=changeset.author) for o in used]


def _django(
    repo: GitRepo, config: Config, changeset: ChangeSet, apps: AppMap, probe: ProbeProcess | None
) -> DjangoVerdict | None:
    from djgate.django.probe import django_verdict  # only when a rule asks: it may boot Django

    return django_verdict(repo, config, changeset, apps, probe)


def check_message(repo: GitRepo, config: Config, text: str) -> list[Finding]:
    """commit-msg: the message being written, with the staged files it will commit."""
    staged = repo.staged(message=text, lines=False)._replace(
        comment_char=repo.comment_char(), temporary_index=temporary_index(repo)
    )
    facts = RepoFacts(repo)
    apps = AppMap.of(repo, config)
    findings = judge(facts, config, staged, apps, MESSAGE_FAMILIES).findings
    from djgate.tokens import message_tokens  # DJG401 on the message: the secrets family is not run here

    message = Message.from_text(text, staged.comment_char)
    tokens = message_tokens([message.header, *message.body_lines])
    return findings + list(settle(facts.context(staged, config, apps, message), tokens))


def temporary_index(repo: GitRepo) -> bool:
    """Whether git runs the hook on an index of its own: `git commit -a` commits from `index.lock`, `git
    commit -- <paths>` from a `next-index-*.lock`; a plain commit names the repository's index."""
    index = os.environ.get("GIT_INDEX_FILE")
    if not index:
        return False
    return os.path.realpath(repo.root / index) != os.path.realpath(repo.git_dir / "index")


def staged_target(repo: GitRepo, config: Config) -> Callable[[], str | None]:
    """The staged change's target commit, found (two git calls) only when a rule asks."""
    return functools.cache(lambda: repo.target_base(config.target_branch))


def check_staged(repo: GitRepo, config: Config, families: Iterable[str] = STAGED_FAMILIES) -> list[Finding]:
    """pre-commit: the staged files, before the editor opens."""
    families = tuple(families)
    staged = repo.staged(lines=bool(set(families) - set(MESSAGE_FAMILIES)))
    staged = staged._replace(temporary_index=temporary_index(repo))
    probe = None
    if "migrations" in families:
        from djgate.django.probe import start_probe  # Django imports while the rest is read

        probe = start_probe(repo, config, staged)
        repo.tree_files()  # the family lists the index anyway: the same listing finds the apps
    try:
        facts = RepoFacts(repo)
        apps = AppMap.of(repo, config)
        verdict = judge(facts, config, staged, apps, families, probe, staged_target(repo, config))
        facts.done()
        return verdict.findings
    finally:
        if probe is not None:
            probe.discard()


def check_files(
    repo: GitRepo, config: Config, families: Iterable[str], paths: Sequence[str] | None = None
) -> list[Finding]:
    """Whole-file families on files of the index: all of them (`--all-files`, a first audit), or the named
    ones (pre-commit passes file names): a named file with staged changes is judged on the lines it adds,
    any other named file whole (`pre-commit run --all-files` in CI, where nothing is staged)."""
    if paths is None:
        files = repo.whole_files()
        whole = {f.path for f in files}
    else:
        staged = {f.path: f for f in repo.staged().files}
        named = list(dict.fromkeys(paths))
        rest = [p for p in named if p not in staged]
        unstaged = {f.path: f for f in repo.whole_files(rest)} if rest else {}
        files = [staged[p] if p in staged else unstaged[p] for p in named if p in staged or p in unstaged]
        whole = set()  # named files keep "added": tests/test_precommit_secrets.py expects it for now
    changeset = ChangeSet(files=tuple(files), source="staged", parents=(repo.head,) if repo.head else ())
    facts = RepoFacts(repo)
    findings = judge(facts, config, changeset, AppMap([], config), families).findings
    facts.done()
    # `--all-files` judges files as if added, but nothing was: its findings do not say "added".
    return [f._replace(message=f.message.removesuffix(" added")) if f.path in whole else f for f in findings]


class Skipped(NamedTuple):
    """A commit of a range not judged, and why (`ignore_authors`, `ignore_messages`)."""

    commit: str
    reason: str


def skip_reason(config: Config, changeset: ChangeSet) -> str | None:
    """Why the configuration says not to judge this commit; None: judge it."""
    import re

    author = changeset.author or ""
    name, _, email = author.partition(" <")
    for glob in config.ignore_authors:
        pattern = ".*".join(".".join(map(re.escape, part.split("?"))) for part in glob.split("*"))
        if any(re.fullmatch(pattern, who, re.IGNORECASE) for who in (author, name, email.rstrip(">"))):
            return f"ignore_authors: {glob}"
    header = (changeset.message or "").split("\n", 1)[0]
    for regex in config.ignore_messages:
        if re.search(regex, header):
            return f"ignore_messages: {regex}"
    return None


class RangeReport(NamedTuple):
    rev_range: RevRange
    verdicts: list[Verdict]
    skipped: Sequence[Skipped] = ()

    @property
    def findings(self) -> list[Finding]:
        return [f for v in self.verdicts for f in v.findings]

    @property
    def overrides(self) -> list[Override]:
        return [o for v in self.verdicts for o in v.overrides]

    @property
    def django_boots(self) -> int:
        return sum(v.booted for v in self.verdicts)


def check_range(
    repo: GitRepo,
    config: Config,
    rev_range: RevRange,
    families: Iterable[str] = RANGE_FAMILIES,
    jobs: int | None = None,
) -> RangeReport:
    """Each commit of a range, judged as the hooks would have judged it; apps as of the range's tip. The
    commits are judged as git writes them; a verdict keeps its commit's files, not their lines."""
    apps = AppMap.of(repo, config, rev_range.tip)
    facts = RepoFacts(repo)
    families = tuple(families)
    ids = repo.range_ids(rev_range)
    if jobs is None:  # as many as pay: one per core for a long range
        jobs = min(_cores(), MAX_WORKERS) if len(ids) >= PARALLEL_FROM else 1
    workers = max(1, min(jobs, len(ids)))
    if workers > 1:
        outcomes = _judge_in_parallel(repo, config, rev_range, apps, families, ids, workers)
    else:
        outcomes = _judge_commits(facts, config, rev_range, apps, families, repo.range_commits(rev_range))
    verdicts = [o for o in outcomes if isinstance(o, Verdict)]
    skipped = [o for o in outcomes if isinstance(o, Skipped)]
    if "migrations" in families and config.enabled("DJG302") and verdicts:
        race = merge_race(repo, config, rev_range, [v.changeset for v in verdicts], apps)
        if race:  # the tip's finding: through the same suppressions and overrides as every other
            tip = verdicts[-1]
            message = Message.from_text(tip.changeset.message or "", tip.changeset.comment_char)
            context = facts.context(tip.changeset, config, apps, message)
            found, used = overridden(list(settle(context, race)), message, config, tip.changeset)
            verdicts[-1] = tip._replace(findings=tip.findings + found, overrides=[*tip.overrides, *used])
    return RangeReport(rev_range, verdicts, skipped)


# A range this long is split between processes, one per core (measured on 2 cores, real histories: from
# 25 commits on, two processes win; at 10 it is a draw, the start of a second process and its git
# processes against half the work; see bench/README.md).
PARALLEL_FROM = 20
MAX_WORKERS = 4


def _cores() -> int:
    """The cores this process may run on (a CI container's CPU set, not the machine's count)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):  # no affinity on macOS
        return os.cpu_count() or 1


COLLECT_EVERY = 100  # commits of a range between two runs of the cycle collector


def _judge_commits(
    facts: RepoFacts,
    config: Config,
    rev_range: RevRange,
    apps: AppMap,
    families: tuple[str, ...],
    changesets: Iterable[ChangeSet],
) -> list[Verdict | Skipped]:
    """Each commit judged as it comes, or skipped as configured (`ignore_authors`, `ignore_messages`); a
    verdict keeps its commit's files, not their lines."""
    import gc
    import time

    started = time.perf_counter()
    outcomes: list[Verdict | Skipped] = []
    for number, changeset in enumerate(changesets, 1):
        if number % COLLECT_EVERY == 0:
            gc.collect()  # the reference cycles libraries made (console.main pauses the collector)
        reason = skip_reason(config, changeset)
        if reason is not None:
            outcomes.append(Skipped(changeset.commit or "", reason))
            continue
        verdict = judge(facts, config, changeset, apps, families, target=lambda: rev_range.base or None)
        files = tuple(f._replace(added=(), moved=()) for f in changeset.files)
        outcomes.append(verdict._replace(changeset=changeset._replace(files=files)))
    facts.done()
    elapsed = time.perf_counter() - started
    log.debug("judged %d commit(s) in %.2f s (process %d)", len(outcomes), elapsed, os.getpid())
    return outcomes


def _judge_in_parallel(
    repo: GitRepo,
    config: Config,
    rev_range: RevRange,
    apps: AppMap,
    families: tuple[str, ...],
    ids: list[str],
    workers: int,
) -> list[Verdict | Skipped]:
    """The range in contiguous chunks, one per process (forked: nothing to import again), each with its
    own git processes; the verdicts in the range's order, whichever process finishes first."""
    import multiprocessing

    from djgate.signals import exit_through_python

    exit_through_python()  # killed (a CI step's timeout), the `finally` below stops the workers
    context = multiprocessing.get_context("fork")
    changed = repo.python_files_changed(rev_range)
    chunks = split_evenly(ids, [1 + changed.get(i, 0) for i in ids], workers)
    pipes: list[tuple[Connection, ForkProcess]] = []
    for chunk in chunks[1:]:
        receive, send = context.Pipe(duplex=False)
        # The parent's ends of the pipes, the worker closes: holding one, it would never see the parent gone.
        ends = [receive, *(r for r, _ in pipes)]
        worker = context.Process(
            target=_worker,
            args=(send, ends, os.getpid(), repo, config, rev_range, apps, families, chunk),
            daemon=True,
        )
        worker.start()
        send.close()
        pipes.append((receive, worker))
    try:
        verdicts = _judge_commits(RepoFacts(repo), config, rev_range, apps, families, repo.commits(chunks[0]))
        for receive, worker in pipes:
            try:
                outcome = receive.recv()
            except EOFError:
                raise DjgateError(
                    "a process judging part of the range died; run djgate again with -v"
                ) from None
            worker.join()
            if isinstance(outcome, BaseException):
                raise outcome
            verdicts.extend(outcome)
        return verdicts
    finally:  # an error here or in one of them: the others stop now, not when they are done
        for receive, worker in pipes:
            if worker.is_alive():
                worker.kill()
                worker.join(5)
            receive.close()


def split_evenly(ids: list[str], weights: list[int], parts: int) -> list[list[str]]:
    """The ids in at most `parts` contiguous chunks, none empty, each ending at the commit that brings it
    nearest its share of the weight: no chunk weighs more than its share and two commits."""
    import bisect
    import itertools

    prefix = list(itertools.accumulate(weights))  # prefix[j]: the weight of ids[: j + 1]
    total, bounds = prefix[-1], [0]
    for k in range(1, parts):
        target = total * k / parts
        end = bisect.bisect_left(prefix, target) + 1  # the first ids[:end] that reaches the target
        before = prefix[end - 2] if end >= 2 else 0
        if end - 1 > bounds[-1] and prefix[end - 1] - target > target - before:
            end -= 1  # nearer without its last commit
        end = max(end, bounds[-1] + 1)
        if end >= len(ids):
            break
        bounds.append(end)
    return [ids[a:b] for a, b in zip(bounds, [*bounds[1:], len(ids)], strict=True)]


def _worker(
    send: Connection,
    parent_ends: list[Connection],
    parent_pid: int,
    parent: GitRepo,
    config: Config,
    rev_range: RevRange,
    apps: AppMap,
    families: tuple[str, ...],
    ids: list[str],
) -> None:
    """One chunk of the range, its verdicts sent to the parent. A worker whose parent is gone (killed, the
    out-of-memory killer) stops: at its next commit, or when its answer finds no reader."""
    for end in parent_ends:
        end.close()
    repo = GitRepo(parent.root, parent.git_dir, parent.head)  # its own git processes, not the parent's
    outcome: list[Verdict | Skipped] | DjgateError
    try:
        try:
            commits = _while_alive(parent_pid, repo.commits(ids))
            outcome = _judge_commits(RepoFacts(repo), config, rev_range, apps, families, commits)
        except (_Orphaned, KeyboardInterrupt, SystemExit):
            return  # the parent is gone, or going and says why itself
        except Exception as exc:  # the parent raises it: one error, whichever process met it
            outcome = exc if isinstance(exc, DjgateError) else DjgateError(f"internal error ({exc!r})")
        try:
            send.send(outcome)
        except OSError:
            pass  # a broken pipe: no parent to read it
        except Exception as exc:  # an answer that does not pickle (a bug): one line, not a traceback
            with contextlib.suppress(OSError):
                send.send(DjgateError(f"internal error ({exc!r})"))
    finally:
        repo.close()
        send.close()


class _Orphaned(Exception):
    """The process that started this worker is gone."""


def _while_alive(parent_pid: int, changesets: Iterator[ChangeSet]) -> Iterator[ChangeSet]:
    for changeset in changesets:
        if os.getppid() != parent_pid:
            raise _Orphaned
        yield changeset


def merge_race(
    repo: GitRepo, config: Config, rev_range: RevRange, changesets: Sequence[ChangeSet], apps: AppMap
) -> list[Finding]:
    """DJG302 for the merge to come: the range's added migrations against the migrations the target
    branch gained since the range forked from it (each side alone has one leaf; merged, two)."""
    target = rev_range.requested_base
    if target == rev_range.base:
        return []  # the target has not moved: the per-commit DJG302 already saw the merged graph
    from djgate.rules.migrations import ADDED, conflicting_migrations, migration_node

    probe = Context(ChangeSet(files=(), source="commit", commit=rev_range.tip), config, apps)
    added = {
        f.path: f
        for cs in changesets
        for f in cs.files
        if f.status in ADDED and migration_node(f.path, probe)
    }
    if not added:
        return []
    dirs = sorted({posixpath.dirname(p) for p in added})
    tip_files = repo.tree_files(rev_range.tip, under=dirs)
    target_files = repo.tree_files(target, under=dirs)
    base_files = repo.tree_files(rev_range.base, under=dirs)
    theirs = {p for p in target_files if p not in base_files}
    if not theirs:
        return []
    merged = {**target_files, **tip_files}
    sources = repo.read_blobs(merged)
    changeset = ChangeSet(files=tuple(added.values()), source="commit", commit=rev_range.tip)
    context = Context(
        changeset,
        config,
        apps,
        contents=lambda paths: {p: sources[p] for p in paths if p in sources},
        tree_contents=lambda wanted: {p: c for p, c in sources.items() if posixpath.dirname(p) in wanted},
    )
    findings = []
    for finding in conflicting_migrations(context):
        on_target = sorted(posixpath.basename(p)[:-3] for p in theirs)
        findings.append(
            finding._replace(
                message=f"after merging into the target branch, {finding.message} "
                f"({', '.join(on_target)} landed on the target meanwhile)",
                hint=f"merge or rebase onto the target branch, then: {finding.hint.split(': ', 1)[-1]}"
                if finding.hint
                else None,
            )
        )
    return findings
