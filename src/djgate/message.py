"""A commit message as git will record it, and its conventional header."""

from __future__ import annotations

import re
from typing import NamedTuple

SCISSORS = "------------------------ >8 ------------------------"
# Patterns as strings: re compiles (and caches) each on first use, so a hook run that reads no message
# does not pay for compiling them.
HEADER_RE = r"(?s)(?P<type>[A-Za-z][\w-]*)(?:\((?P<scope>[^()]*)\))?(?P<bang>!)?:(?: (?P<summary>.*))?\Z"
REVERT_RE = r'(?s)Revert "(?P<inner>.+)"\Z'
AUTOSQUASH_PREFIXES = ("fixup! ", "squash! ", "amend! ")
MERGE_PREFIXES = (
    "Merge branch ",
    "Merge remote-tracking branch ",
    "Merge pull request ",
    "Merge tag ",
    "Merge commit ",
    "Merge branches ",
)
# The merge GitHub makes for a pull request's refs/pull/N/merge: "Merge <sha> into <sha>".
MERGE_SHAS = r"Merge [0-9a-f]{7,64} into [0-9a-f]{7,64}\Z"
WIP_RE = r"(?i)\[?wip\b"
# GitHub's default header for a squash merge: the pull request's title and number, `Title (#123)`.
SQUASH_RE = r".*\S \(#\d+\)\Z"


def decode(raw: bytes) -> str:
    """Message bytes as text; git's default encoding is UTF-8, anything else still reads, with U+FFFD."""
    return raw.decode("utf-8", errors="replace").removeprefix("\ufeff")  # an editor's byte order mark


def clean(text: str, comment_char: str = "#") -> list[str]:
    """The lines git keeps: no comment lines, nothing from the scissors line down, no trailing blanks.
    An empty comment_char keeps every line (a recorded commit's message has no comments left); "auto"
    (core.commentChar=auto) is the character git picked for this message."""
    text = text.replace("\r\n", "\n")
    if comment_char == "auto":
        comment_char = auto_comment_char(text)
    lines: list[str] = []
    for line in text.split("\n"):
        if comment_char and line.startswith(comment_char):
            if line[len(comment_char) :].strip() == SCISSORS:
                break
            continue
        lines.append(line.rstrip())
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    return lines


AUTO_CANDIDATES = "#;@!$%^&|:"  # git's order of preference under core.commentChar=auto


def auto_comment_char(text: str) -> str:
    """The comment character git picked under core.commentChar=auto: the first of AUTO_CANDIDATES that
    starts no line of the message, chosen before git appends its template, whose comment lines (a bare
    comment line among them) or scissors line then show the choice. Without them (no editor: git strips
    no comment), the first candidate starting no line of the text."""
    lines = text.split("\n")
    for char in AUTO_CANDIDATES:
        if f"{char} {SCISSORS}" in lines:
            return char
    tail = [line for line in lines if line.strip()]
    char = tail[-1][:1] if tail else ""
    if char and char in AUTO_CANDIDATES:
        block = []
        for line in reversed(lines):
            if line.strip() and not line.startswith(char):
                break
            block.append(line)
        if any(line.rstrip() == char for line in block):
            return char
    starts = {line[:1] for line in lines}
    return next((c for c in AUTO_CANDIDATES if c not in starts), "#")


class Header(NamedTuple):
    type: str
    scope: str | None  # None: no parentheses; "" : empty parentheses
    breaking: bool
    summary: str


def parse_header(header: str) -> Header | None:
    match = re.match(HEADER_RE, header)
    if match is None:
        return None
    return Header(match["type"], match["scope"], bool(match["bang"]), match["summary"] or "")


class Message(NamedTuple):
    lines: tuple[str, ...]

    @classmethod
    def from_text(cls, text: str, comment_char: str = "#") -> Message:
        return cls(tuple(clean(text, comment_char)))

    @property
    def header(self) -> str:
        return self.lines[0] if self.lines else ""

    @property
    def body_lines(self) -> tuple[str, ...]:
        return self.lines[1:]

    @property
    def empty(self) -> bool:
        return not self.lines

    @property
    def autosquash(self) -> bool:
        return self.header.startswith(AUTOSQUASH_PREFIXES)

    @property
    def git_merge(self) -> bool:
        return self.header.startswith(MERGE_PREFIXES) or re.match(MERGE_SHAS, self.header) is not None

    @property
    def wip(self) -> bool:
        return re.match(WIP_RE, self.header) is not None

    @property
    def reverted_header(self) -> str | None:
        """For git's `Revert "<header>"`, the innermost quoted header (reverts of reverts unwrap)."""
        header, inner = self.header, None
        while (match := re.match(REVERT_RE, header)) is not None:
            header = inner = match["inner"]
        return inner

    @property
    def reverts_merge(self) -> bool:
        """git's (and GitHub's Revert button's) message for reverting a merge: `Revert "Merge ..."`."""
        inner = self.reverted_header
        return inner is not None and Message((inner,)).git_merge

    @property
    def github_squash(self) -> bool:
        return re.match(SQUASH_RE, self.header) is not None

    @property
    def effective_header(self) -> str:
        """The header the conventional rules judge: the reverted one for git's revert messages."""
        return self.reverted_header or self.header

    def parsed(self) -> Header | None:
        return parse_header(self.effective_header)
