"""What rules compute from a file's content, shared by every ChangeSet of a run: a range's commits read the
same migrations, models and modules again and again (a merge, a file touched twice, an app's migration graph
in each commit that adds a migration), and each content is analysed at most once while it stays in memory.

Keyed by what the analysis reads: a kind (with the path when the result names it) and the content itself. The
content is the key, not its object id: the bytes a run reads for one object are one object (RepoFacts keeps
them), so hashing them is done once and a lookup compares identity first. Bounded by the size of the content
analysed, least recently used first out, so a long range does not grow memory."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

if TYPE_CHECKING:
    import ast

T = TypeVar("T")


class Analyses:
    LIMIT = 8 << 20  # bytes of content whose analyses are kept (a migration's tree takes some ten times that)

    def __init__(self, limit: int = LIMIT) -> None:
        self.limit = limit
        self._entries: dict[tuple[str, bytes], tuple[Any, int]] = {}  # insertion order = recency
        self._size = 0
        self.made = 0  # analyses computed (for the benchmark and the tests)
        self.reused = 0

    def get(self, kind: str, data: bytes, make: Callable[[], T]) -> T:
        """The analysis `make` gives for this content, computed once while kept."""
        key = (kind, data)
        entry = self._entries.pop(key, None)
        if entry is None:
            entry = (make(), len(data) + 64)
            self.made += 1
            self._size += entry[1]
            while self._size > self.limit and self._entries:
                oldest = next(iter(self._entries))
                self._size -= self._entries.pop(oldest)[1]
        else:
            self.reused += 1
        if entry[1] <= self.limit:
            self._entries[key] = entry  # most recent last
        else:
            self._size -= entry[1]
        return cast(T, entry[0])


def parse_tree(source: str | bytes) -> ast.Module:
    """ast.parse with the cycle collector paused: a syntax tree holds no cycles, and the millions of nodes a
    run keeps (Context.analysed) made each collection the parse triggers walk them all: twice the time. The
    parser's warnings about the user's code (an invalid escape sequence: a SyntaxWarning from Python 3.12,
    which Python prints) are not djgate's to print."""
    import ast
    import gc
    import warnings

    paused = gc.isenabled()
    gc.disable()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ast.parse(source)
    finally:
        if paused:
            gc.enable()
