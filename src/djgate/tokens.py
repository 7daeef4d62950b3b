"""Known tokens: secrets whose shape alone says what they are (a vendor prefix, a fixed form). No text from a
commit may show one in full, in any output, and a commit message must not hold one (DJG401). Kept apart
from the secret engine (`secretscan`, detect-secrets) so that every output and the commit-msg hook can ask
without loading it."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from djgate.findings import Finding

KNOWN_TOKENS = (
    r"\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b"
    r"|\b(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}\b"
    r"|\bxox[abposr]-[A-Za-z0-9-]{10,}\b"
    r"|\b[rs]k_live_[A-Za-z0-9]{20,}\b"
    r"|\bglpat-[A-Za-z0-9_-]{20,}\b"
    r"|\bnpm_[A-Za-z0-9]{36}\b"
    r"|\bpypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,}"
    r"|\bSG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}\b"
    r"|\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}"
    r"|https://hooks\.slack\.com/services/[A-Za-z0-9/]+"
)
_TOKEN_HINTS = (
    "gh",
    "github_pat_",
    "AKIA",
    "ASIA",
    "ABIA",
    "ACCA",
    "A3T",
    "xox",
    "_live_",
    "glpat-",
    "npm_",
    "pypi-",
    "SG.",
    "eyJ",
    "hooks.slack.com",
)


def known_tokens(text: str) -> list[re.Match[str]]:
    """The known tokens in a text (cheap when there is none: a substring test first)."""
    if not any(hint in text for hint in _TOKEN_HINTS):
        return []
    return list(re.finditer(KNOWN_TOKENS, text))


def redacted(text: str) -> str:
    """The text with each known token shown as djgate shows a secret: its first characters and length."""
    for match in reversed(known_tokens(text)):
        value = match[0]
        shown = f"{value[: min(4, len(value) // 4)]}...({len(value)} characters)"
        text = f"{text[: match.start()]}{shown}{text[match.end() :]}"
    return text


def masked(value: str) -> str:
    """A secret as djgate shows it: at most its first 4 characters (fewer when short), and its length."""
    return f"'{value[: min(4, len(value) // 4)]}...' ({len(value)} characters)"


def message_tokens(lines: Iterable[str]) -> Iterator[Finding]:
    """DJG401 for each known token in a commit message's lines (as git records them)."""
    for number, line in enumerate(lines, 1):
        for match in known_tokens(line):
            yield Finding(
                "DJG401",
                f"a token in the commit message, line {number}: {masked(match[0])}",
                hint="write the message without it (for a recorded commit: git rebase -i, reword) and "
                "rotate the token: a pushed message is in every clone",
            )
