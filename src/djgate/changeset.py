"""The ChangeSet: what a commit (or the index) changes, as pure data. Built by `gitrepo`, read by rules."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping, Sequence
from typing import Literal, NamedTuple, overload

Status = Literal["A", "M", "D", "R", "C", "T"]
Source = Literal["staged", "commit"]

# NamedTuples, not dataclasses: every hook run defines these, and a dataclass costs a compile (and
# importing dataclasses, inspect) at import time.


class AddedLine(NamedTuple):
    number: int  # 1-based line number in the new version of the file
    text: str


class AddedText(Sequence[AddedLine]):
    """The added lines of a file added whole, held as its text (the lines joined by newlines): a 50 MB
    file is one string, not three million AddedLines, which are made only when the lines are walked."""

    __slots__ = ("first", "length", "text")

    def __init__(self, text: str, first: int = 1) -> None:
        self.text = text
        self.first = first  # the number of its first line
        self.length = text.count("\n") + 1

    def numbers(self) -> range:
        return range(self.first, self.first + self.length)

    def __len__(self) -> int:
        return self.length

    @overload
    def __getitem__(self, index: int) -> AddedLine: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[AddedLine, ...]: ...

    def __getitem__(self, index: int | slice) -> AddedLine | tuple[AddedLine, ...]:
        if isinstance(index, slice):
            return tuple(self)[index]
        i = range(self.length)[index]
        start = 0
        for _ in range(i):
            start = self.text.index("\n", start) + 1
        end = self.text.find("\n", start)
        return AddedLine(self.first + i, self.text[start : None if end < 0 else end])

    def __iter__(self) -> Iterator[AddedLine]:
        return map(AddedLine, itertools.count(self.first), self.text.split("\n"))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and tuple(self) == tuple(other)

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __repr__(self) -> str:
        return f"AddedText({self.length} lines from {self.first})"


class LinesByNumber(Mapping[int, str]):
    """An AddedText's lines by number; the text is split when a line is first asked for."""

    def __init__(self, added: AddedText) -> None:
        self.added = added
        self._lines: list[str] | None = None

    def __getitem__(self, number: int) -> str:
        if number not in self:
            raise KeyError(number)
        if self._lines is None:
            self._lines = self.added.text.split("\n")
        return self._lines[number - self.added.first]

    def __contains__(self, number: object) -> bool:
        return number in self.added.numbers()

    def __iter__(self) -> Iterator[int]:
        return iter(self.added.numbers())

    def __len__(self) -> int:
        return self.added.length


def lines_by_number(added: Sequence[AddedLine]) -> Mapping[int, str]:
    """The added lines' texts by number; an AddedText's without making its lines."""
    if isinstance(added, AddedText):
        return LinesByNumber(added)
    return {a.number: a.text for a in added}


class FileChange(NamedTuple):
    path: str
    status: Status
    old_path: str | None = None  # set on renames and copies
    binary: bool = False
    added: Sequence[AddedLine] = ()  # a tuple, or an AddedText for a file added whole
    new_blob: str | None = None  # object id of the new content (None when deleted)
    old_blob: str | None = None  # object id of the old content (None when added)
    # Lines the change wrote whose content it removed elsewhere (moved or reformatted): not new, so no
    # line rule judges them; the file is still changed (its syntax is still judged).
    moved: Sequence[AddedLine] = ()

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
