"""Path globs with gitignore semantics, compiled once into one regular expression.

- `*` and `?` stay inside one path component; `**` spans components (`docs/**`, `**/tests/**`).
- A pattern with no `/` matches the file name at any depth (`*.md`); one with a `/` is anchored at the
  repository root; a leading `/` anchors a pattern with no other slash (`/.*`: top-level dotfiles).
- A trailing `/` means everything under that directory.
"""

from __future__ import annotations

import re
from collections.abc import Iterable


def _translate(pattern: str) -> str:
    anchored = "/" in pattern.rstrip("/")
    pattern = pattern.lstrip("/")
    if pattern.endswith("/"):
        pattern += "**"
    out: list[str] = [] if anchored else ["(?:.*/)?"]
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif c == "*":
            out.append("[^/]*")
            i += 1
        elif c == "?":
            out.append("[^/]")
            i += 1
        elif c == "[" and "]" in pattern[i + 2 :]:
            end = pattern.index("]", i + 2)
            body = pattern[i + 1 : end].replace("\\", "\\\\")
            if body.startswith("!"):
                body = "^" + body[1:]
            out.append(f"[{body}]")
            i = end + 1
        else:
            out.append(re.escape(c))
            i += 1
    # A pattern naming a directory also covers what is inside it.
    return "".join(out) + "(?:/.*)?"


class GlobSet:
    """Matches repository-relative POSIX paths against a list of globs."""

    def __init__(self, patterns: Iterable[str]) -> None:
        self.patterns = tuple(patterns)
        joined = "|".join(f"(?:{_translate(p)})" for p in self.patterns if p)
        self._regex = re.compile(f"(?s:{joined})\\Z") if joined else None

    def __bool__(self) -> bool:
        return self._regex is not None

    def match(self, path: str) -> bool:
        return self._regex is not None and self._regex.match(path) is not None
