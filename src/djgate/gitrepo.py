"""The one module that talks to git.

Hook paths (check-msg, check-staged, prepare-msg) run plain `git` processes: every commit pays for them and
importing GitPython alone costs more than the whole hook. GitPython is imported lazily where its object
model earns its cost (resolving and validating revisions for ranges).
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from djgate import log
from djgate.changeset import AddedLine, AddedText, ChangeSet, FileChange
from djgate.errors import DjgateError
from djgate.project import App, app_pathspecs, discover_apps, is_app_listing, is_app_source

# Configuration that would change the output we parse, pinned on every git command line (`git -c`): a
# user's or a repository's git config must not decide what djgate sees.
PINNED_CONFIG = tuple(
    arg
    for setting in (
        "core.quotePath=false",
        "color.ui=false",
        "color.diff=false",
        "diff.noprefix=false",
        "diff.mnemonicPrefix=false",
        "diff.relative=false",
        "diff.interHunkContext=0",
        "diff.suppressBlankEmpty=false",
        "diff.algorithm=myers",
        "diff.indentHeuristic=true",
        f"diff.orderFile={os.devnull}",
        "i18n.logOutputEncoding=UTF-8",
        "log.showSignature=false",
    )
    for arg in ("-c", setting)
)
# Environment variables that name paths (a hook's temporary index, a GIT_DIR given by hand).
PATH_ENV = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_COMMON_DIR")
# Environment variables that change a diff's output: not passed on to git.
UNSET_ENV = frozenset({"GIT_DIFF_OPTS", "GIT_EXTERNAL_DIFF"})
# The diff options we parse, each also pinned on the command line (a setting's command-line form wins).
DIFF_OPTIONS = (
    "--raw",
    "-p",
    "-z",
    "-U0",
    "--inter-hunk-context=0",
    "--src-prefix=a/",
    "--dst-prefix=b/",
    "--diff-algorithm=myers",
    "--indent-heuristic",
    "-M",
    "--no-abbrev",
    "--no-color",
    "--no-ext-diff",
    "--no-textconv",
    "--no-relative",
    "--ignore-submodules=none",
)
# The same without patches (each of these options implies -p).
RAW_OPTIONS = tuple(o for o in DIFF_OPTIONS if o != "-p" and not o.startswith(("-U", "--inter-hunk-context")))
# A patch between two blobs, as text whatever the attributes say (`-diff`, `binary`, `diff=driver`).
TEXT_PATCH_OPTIONS = ("--text", *(o for o in DIFF_OPTIONS if o not in ("--raw", "-z", "-M")))
PYTHON_SUFFIX = ".py"  # Python source is text, a NUL byte in it a syntax error (DJG500): never binary
BINARY_PROBE = 8000  # git calls a blob binary when its first 8000 bytes hold a NUL
LOG_FORMAT = "--format=%x1e%H%x00%P%x00%an <%ae>%x00%B%x00"
COMMIT_START = rb"\x1e([0-9a-f]{40,64})\x00"  # ranges only: compiled on first use, by re
REMOVED_RE = re.compile(rb"^-(.*)$", re.M)  # from the first hunk on: the headers' `---` come before it
HUNK_RE = re.compile(rb"@@ -\d+(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
NULL_OIDS = {"0" * 40, "0" * 64}
SPECIAL_MODES = (b"120000", b"160000")  # symlinks and submodules: their "lines" are not code
REGULAR_MODES = (b"100644", b"100755")
Entry = tuple[bytes, str]  # a tree entry: (mode, object id)
STREAM_CHUNK = 1 << 20  # bytes of `git log` output read at a time
BATCH_CHUNK = 500  # objects asked of `git cat-file --batch` before reading its answers (pipes stay unblocked)


class RevRange(NamedTuple):
    base: str  # the merge-base of the requested base and the tip
    tip: str
    spec: str  # as the user or the CI gave it
    requested_base: str

    @property
    def revisions(self) -> str:
        """The range as git's revision walk takes it: BASE..TIP, or TIP and all before it (no base)."""
        return f"{self.base}..{self.tip}" if self.base else self.tip


class GitRepo:
    def __init__(self, root: Path, git_dir: Path, head: str | None) -> None:
        self.root = root
        self.git_dir = git_dir
        self.head = head  # None before the first commit
        self._index: dict[str, Entry] | None = None  # the index's entries, listed once: it does not change
        self._batch: subprocess.Popen[bytes] | None = None  # one `git cat-file --batch` for every read

    @classmethod
    def discover(cls, cwd: Path | None = None, bare: bool = False) -> GitRepo:
        """The repository around `cwd`; `bare`: a repository without a work tree will do (a CI mirror has
        commits to judge, and no index)."""
        try:
            out = _git(["rev-parse", "--show-toplevel", "--absolute-git-dir", "--revs-only", "HEAD"], cwd=cwd)
        except DjgateError as exc:
            if bare:
                found = _git(
                    ["rev-parse", "--is-bare-repository", "--absolute-git-dir"], cwd=cwd, ok=(0, 128)
                )
                fields = os.fsdecode(found).split("\n")
                if fields[0] == "true":
                    head = _git(["rev-parse", "-q", "--verify", "HEAD"], cwd=cwd, ok=(0, 1)).strip()
                    return cls(Path(fields[1]), Path(fields[1]), head.decode() or None)
            raise DjgateError(
                f"not inside a git work tree ({exc}); run djgate from your repository"
            ) from None
        lines = os.fsdecode(out).splitlines()
        if len(lines) < 2:
            raise DjgateError("not inside a git work tree; run djgate from your repository")
        return cls(Path(lines[0]), Path(lines[1]), lines[2] if len(lines) > 2 else None)

    def run(
        self,
        args: Sequence[str],
        stdin: bytes | None = None,
        ok: Sequence[int] = (0,),
        index: Path | None = None,
    ) -> bytes:
        """git ARGS at the repository's root; `index`: with that file as the index (GIT_INDEX_FILE)."""
        return _git(args, cwd=self.root, stdin=stdin, ok=ok, index=index)

    # -- facts about the repository -----------------------------------------------------------------

    def comment_char(self) -> str:
        out = self.run(["config", "-z", "--get-regexp", r"^core\.comment(char|string)$"], ok=(0, 1))
        value = "#"
        for item in out.split(b"\0"):
            if b"\n" in item:
                value = item.split(b"\n", 1)[1].decode("utf-8", "replace") or "#"
        # "auto": git picks the character per message; `message.clean` picks it the same way, from the text.
        return value

    @property
    def sparse(self) -> bool:
        """A sparse checkout: files of the index may be missing from the working tree on purpose."""
        out = self.run(["config", "--bool", "core.sparseCheckout"], ok=(0, 1))
        return out.strip() == b"true"

    @property
    def bare(self) -> bool:
        return self.root == self.git_dir

    @property
    def merging(self) -> bool:
        return (self.git_dir / "MERGE_HEAD").exists()

    def hooks_dir(self) -> Path:
        """Where git runs hooks from: core.hooksPath when set, else the hooks/ that all worktrees share."""
        out = self.run(["rev-parse", "--git-path", "hooks"])
        return self.root / os.fsdecode(out.rstrip(b"\n"))  # a relative answer is relative to the root

    def apps(self, rev: str | None = None, settings: str | None = None) -> list[App]:
        """The Django apps in the index (rev None) or in a commit's tree (see project.discover_apps); the
        index's listing when it was made already, else a listing of the few files discovery needs.
        `settings`: the configured settings module."""
        if rev is not None:
            entries = _entries(self.run(["ls-tree", "-r", "-z", "--full-tree", rev]))
        elif self._index is not None:
            entries = self._index
        else:
            entries = _entries(self.run(["ls-files", "-s", "-z", "--", *app_pathspecs(settings)]), index=True)
        listed = [p for p in entries if is_app_listing(p, settings)]
        read = [p for p in listed if is_app_source(p, settings)]
        return discover_apps(listed, self.read_blobs({p: entries[p][1] for p in read}), settings)

    def read_blobs(self, blobs: dict[str, str]) -> dict[str, bytes]:
        """path -> content for path -> object name (an id, `<rev>:<path>`, `:<path>` for the index); names
        git does not know are left out. One `git cat-file --batch` serves every read of a run."""
        if not blobs:
            return {}
        started = time.perf_counter()
        batch = self._batch or self._start_batch()
        assert batch.stdin is not None and batch.stdout is not None
        order = list(blobs.items())
        contents: dict[str, bytes] = {}
        try:
            for start in range(0, len(order), BATCH_CHUNK):
                chunk = order[start : start + BATCH_CHUNK]
                batch.stdin.write(
                    "".join(f"{name}\n" for _, name in chunk).encode("utf-8", "surrogateescape")
                )
                batch.stdin.flush()
                for path, _ in chunk:
                    header = batch.stdout.readline()
                    if not header:
                        raise BrokenPipeError
                    fields = header.split()
                    if fields[-1] in (b"missing", b"ambiguous"):
                        continue
                    size = int(fields[2])
                    contents[path] = batch.stdout.read(size)
                    batch.stdout.read(1)  # the newline after the content
        except (BrokenPipeError, ValueError, IndexError):
            self.close()
            raise DjgateError("git cat-file stopped answering; run djgate again with -v") from None
        elapsed = (time.perf_counter() - started) * 1e3
        log.debug("read %d object(s) through git cat-file --batch, %.1f ms", len(order), elapsed)
        return contents

    def _start_batch(self) -> subprocess.Popen[bytes]:
        import weakref

        try:
            self._batch = subprocess.Popen(
                ["git", *PINNED_CONFIG, "cat-file", "--batch"],
                cwd=self.root,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                env=_git_env(),
            )
        except FileNotFoundError:
            raise DjgateError("git is not installed or not on PATH; install git") from None
        log.debug("git cat-file --batch: started, serves every read of the run")
        # Ended with this object, or at exit: a program that makes many GitRepos keeps no idle processes.
        self._closer = weakref.finalize(self, self._batch.communicate)
        return self._batch

    def close(self) -> None:
        """End the `git cat-file --batch` process, if one was started."""
        if self._batch is not None:
            self._batch = None
            self._closer()

    def tree_files(
        self, rev: str | None = None, under: Sequence[str] = (), suffix: str = ""
    ) -> dict[str, str]:
        """path -> object id of the regular files in the index (rev None) or a commit's tree, optionally
        only those under some directories and with a name ending in `suffix`. The index is listed once
        per run (one git call serves every question); a commit's tree, one git call per question."""
        dirs = tuple(d.rstrip("/") + "/" for d in under)
        if rev is None:
            if self._index is None:
                self._index = _entries(self.run(["ls-files", "-s", "-z"]), index=True)
            entries = self._index
        else:
            entries = _entries(self.run(["ls-tree", "-r", "-z", "--full-tree", rev, "--", *dirs]))
        return {
            path: oid
            for path, (mode, oid) in entries.items()
            if mode in REGULAR_MODES and path.endswith(suffix) and (not dirs or path.startswith(dirs))
        }

    def whole_files(self, paths: Sequence[str] | None = None) -> list[FileChange]:
        """Files of the index as if the change added them whole (every line an added line): all of them, or
        those of `paths` that are in the index; two git calls, paths passed on stdin rather than argv."""
        ids = self.tree_files()
        if paths is not None:
            ids = {p: ids[p] for p in dict.fromkeys(paths) if p in ids}
        contents = self.read_blobs(ids)
        return [whole_file(path, ids[path], data) for path, data in contents.items()]

    def dirty_paths(self, pathspecs: Sequence[str]) -> list[str]:
        """Which of these paths (or files under these directories) differ between the working tree and
        the index: modified, deleted, or untracked and not ignored."""
        if not pathspecs:
            return []
        out = self.run(["ls-files", "-z", "-m", "-d", "-o", "--exclude-standard", "--", *pathspecs])
        return [os.fsdecode(p) for p in out.split(b"\0") if p]

    def export_tree(self, dest: Path, rev: str | None = None) -> None:
        """Write the index (rev None) or a commit's tree into the empty directory `dest`, leaving the
        working tree, the index and HEAD alone."""
        if rev is None:
            self.run(
                ["checkout-index", "-a", "-f", "--ignore-skip-worktree-bits", f"--prefix={dest}{os.sep}"]
            )
            return
        # Through an index of its own, written as the index door writes its copy: not `git archive`,
        # whose `export-ignore` and `export-subst` attributes the commit judged could set.
        import tempfile

        with tempfile.TemporaryDirectory(prefix="djgate-index-") as scratch:
            index = Path(scratch) / "index"
            self.run(["read-tree", f"--index-output={index}", rev])
            self.run(
                ["checkout-index", "-a", "-f", "--ignore-skip-worktree-bits", f"--prefix={dest}{os.sep}"],
                index=index,
            )

    def existing_paths(self, paths: Iterable[str], rev: str | None = None) -> set[str]:
        """Which of `paths` exist in a commit's tree, or in the index when rev is None."""
        return {p for _, p in self.existing_paths_at((rev or "", p) for p in paths)}

    # -- ChangeSets ---------------------------------------------------------------------------------

    def staged(self, message: str | None = None, lines: bool = True) -> ChangeSet:
        """What the commit being made will record: the index against HEAD (or against nothing before the
        first commit); under `git commit --amend` (a reword or squash in `rebase -i` included), against
        HEAD's own parents, which the new commit replaces HEAD on; during a merge, what the merge itself
        introduces (see `merge_changes`): the index against each of the merged commits too.
        `lines=False`: files and statuses only, no added lines (what the message and scope rules need:
        the patches are most of the cost of a large change)."""
        options = DIFF_OPTIONS if lines else RAW_OPTIONS
        parents = [self.head] if self.head else []
        if self.head and amending():
            parents = self.run(["rev-parse", f"{self.head}^@"]).decode().split()
            log.debug("amending %s: the index is judged against its parents %s", self.head, parents)
        merging = self.merging
        if merging and self.head:
            parents += self.merge_heads()
        bases = parents or ([self.empty_tree()] if self.head else [])
        diffs = [
            self.run(["diff", "--cached", *options, *bases[i : i + 1]]) for i in range(max(1, len(bases)))
        ]
        return ChangeSet(
            files=self._text_of_binaries(merge_changes(diffs)),
            source="staged",
            message=message,
            parents=tuple(parents[:1] if merging else parents),
            merging=merging,
        )

    def empty_tree(self) -> str:
        """The empty tree's id, in this repository's hash (what the root commit is compared with)."""
        return self.run(["hash-object", "-t", "tree", "--stdin"], stdin=b"").decode().strip()

    def merge_heads(self) -> list[str]:
        """The commits being merged into HEAD (MERGE_HEAD: one, or several for an octopus)."""
        try:
            return (self.git_dir / "MERGE_HEAD").read_text().split()
        except OSError:
            return []

    def commit(self, rev: str) -> ChangeSet:
        return next(iter(self._log(["-1", self._verified(rev)])))

    def range(self, spec: str) -> list[ChangeSet]:
        """One ChangeSet per commit of `BASE..TIP` (or `BASE...TIP`), oldest first."""
        return list(self.range_commits(self.resolve_range(spec)))

    def resolve_range(self, spec: str) -> RevRange:
        """`BASE..TIP` with both ends verified and the base moved to the merge-base, so that a PR is
        judged from where it forked. Errors say how to fix a shallow clone."""
        base, sep, tip = spec.partition("...") if "..." in spec else spec.partition("..")
        if not sep:
            raise DjgateError(f"'{spec}' is not a range; write it as BASE..TIP")
        base_oid, tip_oid = self._verified(base or "HEAD"), self._verified(tip or "HEAD")
        try:
            out = self.run(["merge-base", base_oid, tip_oid], ok=(0, 1)).decode().split()
        except DjgateError:  # a revision named by its parent's id, whose object this clone lacks
            self._no_history(f"'{spec}' reaches commits that are not in this clone")
            raise
        if not out:
            self._no_history(f"{base or 'HEAD'} and {tip or 'HEAD'} have no common history")
        return RevRange(base=out[0], tip=tip_oid, spec=spec, requested_base=base_oid)

    def resolve_root(self, tip: str) -> RevRange:
        """TIP and every commit before it (`check-range --root`): a history that has no base yet."""
        tip_oid = self._verified(tip)
        return RevRange(base="", tip=tip_oid, spec=f"--root {tip}", requested_base="")

    def range_ids(self, rev_range: RevRange) -> list[str]:
        """The range's commit ids, oldest first, as `range_commits` gives them."""
        return self.run(["rev-list", "--reverse", rev_range.revisions, "--"]).decode().split()

    def python_files_changed(self, rev_range: RevRange) -> dict[str, int]:
        """commit id -> how many Python files it changes (against its first parent): what judging it costs,
        roughly, for sharing a range between processes. One git call that diffs trees, not contents."""
        out = self.run(
            [
                "log",
                "--format=%x00%H",
                "--name-only",
                "--no-renames",
                "--diff-merges=first-parent",
                rev_range.revisions,
                "--",
            ]
        )
        counts: dict[str, int] = {}
        for record in out.split(b"\0")[1:]:
            commit, _, names = record.partition(b"\n")
            counts[commit.decode()] = sum(name.endswith(b".py") for name in names.split(b"\n"))
        return counts

    def commits(self, ids: Sequence[str]) -> Iterator[ChangeSet]:
        """These commits in this order, each parsed as git writes it."""
        shallow = self.shallow_commits()
        for changeset in self._log(["--no-walk=unsorted", *ids]) if ids else ():
            if changeset.commit in shallow:
                self._no_history(f"commit {changeset.commit[:12]} of the range has no parents here")
            yield changeset

    def range_commits(self, rev_range: RevRange) -> Iterator[ChangeSet]:
        """The range's commits, oldest first, each parsed as git writes it (a range is never held whole)."""
        shallow = self.shallow_commits()
        for changeset in self._log(["--reverse", rev_range.revisions]):
            if changeset.commit in shallow:
                self._no_history(f"commit {changeset.commit[:12]} of the range has no parents here")
            yield changeset

    def shallow_commits(self) -> set[str]:
        try:
            return set((self.git_dir / "shallow").read_text().split())
        except FileNotFoundError:
            return set()

    def _no_history(self, what: str) -> None:
        if self.shallow_commits():
            raise DjgateError(
                f"{what}: this is a shallow clone; fetch the history with `git fetch --unshallow` "
                "(GitHub Actions: actions/checkout with `fetch-depth: 0`; GitLab: GIT_DEPTH: 0)"
            )
        raise DjgateError(f"{what}; check the range")

    def branch(self) -> str | None:
        """The current branch's short name (`feature/SHOP-123-refunds`); None on a detached HEAD."""
        out = self.run(["symbolic-ref", "--short", "-q", "HEAD"], ok=(0, 1, 128))
        return os.fsdecode(out).strip() or None

    def upstream(self) -> str | None:
        """The current branch's upstream (`origin/main`), if it has one."""
        out = self.run(["rev-parse", "--abbrev-ref", "--symbolic-full-name", "@{upstream}"], ok=(0, 128))
        return out.decode().strip() or None

    def target_base(self, branch: str | None) -> str | None:
        """Where HEAD forked from the branch its changes merge into (`branch`, else the upstream): what is
        there is committed for everyone; HEAD when there is no such branch, None before the first commit."""
        target = branch or self.upstream()
        if target and self.head:
            out = self.run(["merge-base", "--end-of-options", "HEAD", target], ok=(0, 1, 128)).split()
            if out:
                return out[0].decode()
            log.debug("no merge-base of HEAD and %s: HEAD is the target", target)
        return self.head

    def existing_paths_at(self, wanted: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
        """Which (commit, path) pairs exist, for many commits in one `git cat-file --batch-check`; the
        commit "" names the index (`:<path>`)."""
        pairs = [(rev, p) for rev, p in dict.fromkeys(wanted) if "\n" not in p]
        if not pairs:
            return set()
        lines = "".join(f"{rev}:{p}\n" for rev, p in pairs).encode()
        out = self.run(["cat-file", "--batch-check"], stdin=lines).decode("utf-8", "replace")
        answers = out.splitlines()
        return {pair for pair, answer in zip(pairs, answers, strict=False) if not answer.endswith(" missing")}

    def _verified(self, rev: str) -> str:
        import git  # GitPython: revision parsing with its error types, off the hook path

        try:
            return str(git.Repo(self.root).commit(rev).hexsha)  # peels tags to their commit
        except (git.BadName, git.BadObject, ValueError, IndexError, TypeError):
            pass
        # GitPython does not know every revision syntax (`@{upstream}`, `:/text`); git itself does.
        out = self.run(["rev-parse", "-q", "--verify", "--end-of-options", f"{rev}^{{commit}}"], ok=(0, 1))
        if out.strip():
            return out.decode().strip()
        if self.shallow_commits():
            self._no_history(f"unknown revision '{rev}'")
        raise DjgateError(f"unknown revision '{rev}'; check the name, or fetch it")

    def _log(self, args: list[str]) -> Iterator[ChangeSet]:
        chunks = _git_stream(
            [
                "-c",
                "log.showRoot=true",
                "log",
                "--no-show-signature",
                "--diff-merges=separate",  # a merge's diff against each parent: see merge_changes
                *DIFF_OPTIONS,
                LOG_FORMAT,
                *args,
                "--",
            ],
            cwd=self.root,
        )
        return (c._replace(files=self._text_of_binaries(c.files)) for c in stream_log(chunks))

    def _text_of_binaries(self, files: Sequence[FileChange]) -> tuple[FileChange, ...]:
        """The files git showed as binary, judged by their content rather than by attributes a branch
        can set (`*.py -diff`, `*.json binary`): text unless the new content has a NUL byte where git
        looks for one, and Python source always. Their added lines come from a patch forced to text."""
        suspects = {f.path: f.new_blob for f in files if f.binary and f.new_blob}
        contents = self.read_blobs(suspects) if suspects else {}
        judged = []
        for change in files:
            data = contents.get(change.path) if change.binary and change.new_blob else None
            if data is None or (b"\0" in data[:BINARY_PROBE] and not change.path.endswith(PYTHON_SUFFIX)):
                judged.append(change)
                continue
            if change.old_blob is None:
                added = whole_file(change.path, change.new_blob or "", data).added
            else:
                patch = self.run(["diff", *TEXT_PATCH_OPTIONS, change.old_blob, change.new_blob or ""])
                added = _added_lines(patch)
            judged.append(change._replace(binary=False, added=added))
        return tuple(judged)


def _git(
    args: Sequence[str],
    cwd: Path | None = None,
    stdin: bytes | None = None,
    ok: Sequence[int] = (0,),
    index: Path | None = None,
) -> bytes:
    started = time.perf_counter()
    env = _git_env()
    if index is not None:
        env["GIT_INDEX_FILE"] = str(index)
    try:
        proc = subprocess.run(
            ["git", *PINNED_CONFIG, *args], cwd=cwd, input=stdin, capture_output=True, check=False, env=env
        )
    except FileNotFoundError:
        raise DjgateError("git is not installed or not on PATH; install git") from None
    _finished(args, proc.returncode, proc.stderr, started, ok)
    return proc.stdout


def _finished(
    args: Sequence[str], code: int, stderr: bytes, started: float, ok: Sequence[int] = (0,)
) -> None:
    """Log how a git process went; an exit status not in `ok` is an error naming the git command and the
    first line git said."""
    log.debug("git %s: exit %d, %.1f ms", " ".join(args), code, (time.perf_counter() - started) * 1e3)
    if code not in ok:
        reason = stderr.decode("utf-8", "replace").strip().splitlines()
        command = next((a for a in args if not a.startswith("-") and "=" not in a), "")
        raise DjgateError(f"git {command} failed: {reason[0] if reason else code}")


def amending(pid: int | None = None) -> bool:
    """Is the git that runs this hook `git commit --amend` (typed, or run by `rebase -i` for a reword or
    a squash)? Git tells hooks nothing of it: the nearest git process among our ancestors says, in its
    command line (Linux /proc; elsewhere `ps`)."""
    pid = os.getppid() if pid is None else pid
    for _ in range(8):  # djgate <- [hook script <- pre-commit] <- git
        args, parent = _process(pid)
        if not args or parent is None:
            return False
        if os.path.basename(args[0]) == "git" or args[0].endswith("/git-core/git"):
            return "commit" in args and "--amend" in args
        pid = parent
    return False


def _process(pid: int) -> tuple[list[str], int | None]:
    """A process's command line and its parent's pid (empty and None when it cannot be read)."""
    try:
        args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        stat = Path(f"/proc/{pid}/stat").read_bytes()
        parent = int(stat[stat.rindex(b")") + 2 :].split()[1])
        return [os.fsdecode(a) for a in args if a], parent
    except (OSError, ValueError, IndexError):
        pass
    try:
        out = subprocess.run(["ps", "-o", "ppid=,args=", "-p", str(pid)], capture_output=True, check=False)
        fields = os.fsdecode(out.stdout).split()
        return fields[1:], int(fields[0])
    except (OSError, ValueError, IndexError):
        return [], None


def _git_env() -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in UNSET_ENV}
    for key in PATH_ENV:  # relative to where djgate was started; git runs from the repository's root
        if env.get(key) and not os.path.isabs(env[key]):
            env[key] = os.path.abspath(env[key])
    return env


def _git_stream(args: Sequence[str], cwd: Path) -> Iterator[bytes]:
    """git's output in chunks as it writes it (for output that may not fit in memory); its errors as
    `_git`'s when it is done."""
    started = time.perf_counter()
    try:
        proc = subprocess.Popen(
            ["git", *PINNED_CONFIG, *args],
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=_git_env(),
        )
    except FileNotFoundError:
        raise DjgateError("git is not installed or not on PATH; install git") from None
    assert proc.stdout is not None and proc.stderr is not None
    try:
        while chunk := os.read(proc.stdout.fileno(), STREAM_CHUNK):
            yield chunk
        errors = proc.stderr.read()
        proc.wait()
    finally:
        if proc.poll() is None:  # the reader stopped early
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()
    _finished(args, proc.returncode, errors, started)


# -- parsing git's output (pure functions, tested directly) -------------------------------------------


def stream_log(chunks: Iterable[bytes]) -> Iterator[ChangeSet]:
    """`parse_log` over output that arrives in chunks: each commit is parsed once the next one starts
    (a merge's records, one per parent, stay together), and its text is then dropped."""
    pattern = re.compile(COMMIT_START)
    buffer = bytearray()
    scanned = 0  # where the search for the next commit's start resumes
    for chunk in chunks:
        buffer += chunk
        while True:
            first = pattern.match(buffer)
            after = pattern.search(buffer, max(scanned, 1)) if first else None
            while after and after[1] == first[1]:  # type: ignore[index]
                after = pattern.search(buffer, after.end())
            if after is None:
                scanned = max(1, len(buffer) - 80)  # a start may straddle two chunks
                break
            yield from parse_log(bytes(buffer[: after.start()]))
            del buffer[: after.start()]
            scanned = 1
    if buffer:
        yield from parse_log(bytes(buffer))


def _entries(out: bytes, index: bool = False) -> dict[str, Entry]:
    """path -> (mode, object id) from `git ls-files -s -z` (index: merged entries only, conflict stages
    are not files yet) or `git ls-tree -r -z`."""
    entries: dict[str, Entry] = {}
    for record in out.split(b"\0"):
        meta, _, raw_path = record.partition(b"\t")
        fields = meta.split()
        if len(fields) < 3 or (index and fields[2] != b"0"):
            continue
        entries[os.fsdecode(raw_path)] = (fields[0], fields[1 if index else 2].decode())
    return entries


def parse_log(out: bytes) -> Iterable[ChangeSet]:
    """ChangeSets from `git log --diff-merges=separate`: a merge comes once per parent, in parent order,
    and becomes one ChangeSet of what the merge itself introduces."""
    starts = list(re.finditer(COMMIT_START, out))
    i = 0
    while i < len(starts):
        match = starts[i]
        diffs = []
        while i < len(starts) and starts[i][1] == match[1]:
            end = starts[i + 1].start() if i + 1 < len(starts) else len(out)
            fields = out[starts[i].end() : end].split(b"\0", 3)
            diffs.append((fields[3] if len(fields) > 3 else b"").lstrip(b"\0\n"))
            i += 1
        fields = out[match.end() :].split(b"\0", 3)
        parents, author, message = fields[0], fields[1], fields[2]
        # git prints no diff against a parent whose tree equals the merge's: then it introduces nothing.
        complete = len(diffs) >= len(parents.split())
        yield ChangeSet(
            files=tuple(merge_changes(diffs)) if complete else (),
            source="commit",
            message=message.decode("utf-8", "replace"),
            commit=match[1].decode(),
            parents=tuple(parents.decode().split()),
            author=author.decode("utf-8", "replace"),
            comment_char="",  # git removed the comments when it recorded the commit
        )


def merge_changes(diffs: Sequence[bytes]) -> list[FileChange]:
    """The changes of one commit (or the index) from its diff against each parent (one diff: not a merge).
    A merge introduces what is in neither parent: the files that differ from every parent, and of their
    lines those added against every parent (conflict resolutions, edits made during the merge); what one
    parent brought is never judged again. Only the common files' patches are parsed."""
    if len(diffs) == 1:
        return parse_diff(diffs[0])
    split = [_raw_records(diff) for diff in diffs]
    common = set.intersection(*({os.fsdecode(paths[-1]) for _, paths in records} for records, _ in split))
    if not common:
        return []
    parsed = [parse_diff(diff, keep=common) for diff in diffs]
    added = _common_numbers(parsed, lambda change: change.added)
    written = _common_numbers(parsed, lambda change: (*change.added, *change.moved))
    kept = []
    for change in parsed[0]:
        lines = sorted((*change.added, *change.moved))
        kept.append(
            change._replace(
                added=tuple(a for a in lines if (change.path, a.number) in added),
                moved=tuple(a for a in lines if (change.path, a.number) in written - added),
            )
        )
    return kept


def _common_numbers(
    parsed: list[list[FileChange]], lines: Callable[[FileChange], Iterable[AddedLine]]
) -> set[tuple[str, int]]:
    """(path, line number) pairs that every parent's diff has among these lines."""
    return set.intersection(*({(c.path, a.number) for c in changes for a in lines(c)} for changes in parsed))


def _raw_records(out: bytes) -> tuple[list[tuple[list[bytes], list[bytes]]], int]:
    """The NUL-separated raw records at the start of `git diff --raw -z` output, and where they end."""
    records: list[tuple[list[bytes], list[bytes]]] = []
    pos = 0
    while out.startswith(b":", pos):
        end = out.index(b"\0", pos)
        meta = out[pos + 1 : end].split(b" ")
        pos = end + 1
        npaths = 2 if meta[4][:1] in (b"R", b"C") else 1
        paths = []
        for _ in range(npaths):
            end = out.index(b"\0", pos)
            paths.append(out[pos:end])
            pos = end + 1
        records.append((meta, paths))
    return records, pos


def parse_diff(out: bytes, keep: set[str] | None = None) -> list[FileChange]:
    """Parse `git diff --raw -p -z -U0`: the NUL-separated raw records, then the patches in the same order
    (`keep`: only these paths). An added line whose content (white space aside) the change removes
    elsewhere is moved, not added: a move or a reformat writes nothing new."""
    records, pos = _raw_records(out)
    patches = _split_patches(out[pos:].lstrip(b"\0"))
    changes: list[FileChange] = []
    removed: Counter[str] = Counter()
    for meta, paths in records:
        status = meta[4][:1].decode()
        if status == "U":
            continue  # unmerged: git shows no patch for it and will not commit it
        # A type change (file <-> symlink) is shown as a deletion patch and an addition patch.
        patch = b"".join(patches.pop(0) for _ in range(2 if status == "T" else 1) if patches)
        if keep is not None and os.fsdecode(paths[-1]) not in keep:
            continue
        changes.append(_file_change(meta, paths, status, patch))
        if status != "A":  # an added file removes nothing (a 5 MB one: no search of its text for a "-" line)
            removed.update(_removed_lines(patch))
    return _without_moved(changes, removed) if removed else changes


def _without_moved(changes: list[FileChange], removed: Counter[str]) -> list[FileChange]:
    result = []
    for change in changes:
        added, moved = [], []
        for line in change.added:
            key = "".join(line.text.split())
            if key and removed[key] > 0:
                removed[key] -= 1
                moved.append(line)
            else:
                added.append(line)
        result.append(change._replace(added=tuple(added), moved=tuple(moved)) if moved else change)
    return result


def _removed_lines(patch: bytes) -> Iterable[str]:
    """The removed lines of a patch, white space dropped (the key a moved line is recognised by)."""
    start = patch.find(b"\n@@")
    if start < 0 or patch.find(b"\n-", start) < 0:  # an addition only: nothing removed (a big file, fast)
        return
    for match in REMOVED_RE.finditer(patch, start):
        key = "".join(match[1].decode("utf-8", "replace").split())
        if key:
            yield key


def _split_patches(text: bytes) -> list[bytes]:
    """The patches of a diff, each from its `diff --git` (or `--cc`) line. Split at a literal (a 5 MB patch:
    50 ms less than a regular expression); a line of a patch's text starts with its +, - or space."""
    if not text:
        return []
    patches: list[bytes] = []
    for i, chunk in enumerate(text.split(b"\ndiff --")):
        if i and chunk.startswith((b"git ", b"cc ")):
            patches.append(b"diff --" + chunk)
        elif i and patches:
            patches[-1] += b"\ndiff --" + chunk
        elif chunk.startswith((b"diff --git ", b"diff --cc ")):
            patches.append(chunk)
    return patches


def _file_change(meta: list[bytes], paths: list[bytes], status: str, patch: bytes) -> FileChange:
    old_mode, new_mode, old_oid, new_oid = meta[0], meta[1], meta[2].decode(), meta[3].decode()
    binary = b"\nBinary files " in patch or b"\nGIT binary patch" in patch
    special = old_mode in SPECIAL_MODES or new_mode in SPECIAL_MODES
    added = () if binary or special else _added_lines(patch)
    kind: Any = status if status in ("A", "M", "D", "R", "C", "T") else "M"
    return FileChange(
        path=os.fsdecode(paths[-1]),
        status=kind,
        old_path=os.fsdecode(paths[0]) if len(paths) == 2 else None,
        binary=binary,
        added=added,
        new_blob=None if new_oid in NULL_OIDS else new_oid,
        old_blob=None if old_oid in NULL_OIDS else old_oid,
    )


def whole_file(path: str, oid: str, data: bytes) -> FileChange:
    """A file as the addition of all its lines; binary (a NUL in its first 8000 bytes, as git says, and
    not Python source): none."""
    if b"\0" in data[:BINARY_PROBE] and not path.endswith(PYTHON_SUFFIX):
        return FileChange(path, "A", binary=True, new_blob=oid)
    text = data.decode("utf-8", "replace")
    text = text[:-1] if text.endswith("\n") else text  # the end of the last line, not a line
    return FileChange(path, "A", added=AddedText(text) if data else (), new_blob=oid)


def _added_lines(patch: bytes) -> Sequence[AddedLine]:
    """The `+` lines of a patch with their numbers in the new file. Counted from each hunk's header: any
    context line inside a hunk (` `, or empty under diff.suppressBlankEmpty) moves the count on too."""
    whole = _added_file(patch)
    return whole if whole is not None else tuple(_hunk_lines(patch))


def _added_file(patch: bytes) -> AddedText | None:
    """The lines of a patch that adds a whole file (one hunk, nothing removed), as one text (a 50 MB file
    added: one string, not millions of lines); None for any other patch."""
    start = patch.find(b"\n@@ -0,0 +")
    if start < 0 or patch.find(b"\n@@", start + 1) >= 0:
        return None
    header_end = patch.find(b"\n", start + 1)
    match = HUNK_RE.match(patch, start + 1, header_end)
    if match is None or header_end < 0:
        return None
    text = patch[header_end + 1 :].decode("utf-8", "replace").removesuffix("\n")
    last = text.rfind("\n") + 1
    if text.startswith("\\", last):  # "\\ No newline at end of file"
        text = text[: max(0, last - 1)]
    if not text.startswith("+"):
        return None
    if "\n" in text:  # every line added (a file of one line, minified, needs no search for it)
        if text.count("\n+") != text.count("\n"):
            return None
        text = text.replace("\n+", "\n")
    return AddedText(text[1:], int(match[2]))


def _hunk_lines(patch: bytes) -> Iterator[AddedLine]:
    number = old_left = new_left = 0
    lines = patch.split(b"\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if old_left <= 0 and new_left <= 0:
            match = HUNK_RE.match(line) if line.startswith(b"@@") else None
            if match:
                old_left = 1 if match[1] is None else int(match[1])
                number = int(match[2])
                new_left = 1 if match[3] is None else int(match[3])
                block = lines[i : i + new_left] if old_left == 0 else []
                if block and all(b.startswith(b"+") for b in block):  # a pure addition: in one go
                    yield from (
                        AddedLine(number + k, b[1:].decode("utf-8", "replace")) for k, b in enumerate(block)
                    )
                    i, new_left = i + len(block), 0
            continue
        if line.startswith(b"+"):
            yield AddedLine(number, line[1:].decode("utf-8", "replace"))
            number, new_left = number + 1, new_left - 1
        elif line.startswith(b"-"):
            old_left -= 1
        elif not line.startswith(b"\\"):  # "\\ No newline at end of file" is not a line
            number, old_left, new_left = number + 1, old_left - 1, new_left - 1
