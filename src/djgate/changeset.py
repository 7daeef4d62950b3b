"""The ChangeSet: what a commit (or the index) changes, as pure data. Built by `gitrepo`, read by rules."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal, NamedTuple

Status = Literal["A", "M", "D", "R", "C", "T"]
Source = Literal["staged", "commit"]

# NamedTuples, not dataclasses: every hook run defines these, and a dataclass costs a compile (and
# importing dataclasses, inspect) at import time.


class AddedLine(NamedTuple):
    number: int  # 1-based line number in the new version of the file
    text: str


class FileChange(NamedTuple):
    path: str
    status: Status
    old_path: str | None = None  # set on renames and copies
    binary: bool = False
    added: tuple[AddedLine, ...] = ()
    new_blob: str | None = None  # object id of the new content (None when deleted)
    old_blob: str | None = None  # object id of the old content (None when added)
    # Lines the change wrote whose content it removed elsewhere (moved or reformatted): not new, so no
    # line rule judges them; the file is still changed (its syntax is still judged).
    moved: tuple[AddedLine, ...] = ()

    @property
    def writes_lines(self) -> bool:
        return bool(self.added or self.moved)

    @property
    def paths(self) -> tuple[str, ...]:
        """Every path this change touches: a rename touches where it came from too."""
        if self.old_path and self.old_path != self.path:
            return (self.old_path, self.path)
        return (self.path,)


class ChangeSet(NamedTuple):
    files: tuple[FileChange, ...]
    source: Source = "staged"
    message: str | None = None  # raw message text, comments and all, as git hands it over
    commit: str | None = None  # full object id, None for the index
    parents: tuple[str, ...] = ()  # for the index: HEAD, if there is one
    author: str | None = None
    merging: bool = False  # a merge in progress (MERGE_HEAD) or a commit with several parents
    comment_char: str = "#"
    # The index git built for `git commit -a` or `git commit -- <paths>` (GIT_INDEX_FILE), not the user's:
    # unstaging from it changes nothing.
    temporary_index: bool = False

    @property
    def is_merge(self) -> bool:
        return self.merging or len(self.parents) > 1

    @property
    def unborn(self) -> bool:
        """The index of a repository that has no commit yet."""
        return self.source == "staged" and not self.parents

    def paths(self) -> Iterator[str]:
        for change in self.files:
            yield from change.paths

    @property
    def short(self) -> str | None:
        return self.commit[:12] if self.commit else None
