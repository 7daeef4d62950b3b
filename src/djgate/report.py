"""Reporters: findings out as text for a terminal, or JSON for tools. Commit text is sanitized first."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from typing import IO, Any

from djgate.findings import Finding

FORMATS = ("text", "json")
JSON_VERSION = 1

# Escape sequences (CSI, OSC, other ESC forms), C0/C1 controls but tab and newline, DEL, and the
# bidirectional overrides that make text read differently from what it is.
_ESCAPES = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])")
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def sanitize(text: str) -> str:
    """Text from commits, made safe for a terminal: no escape sequences or control characters."""
    return _CONTROLS.sub("", _ESCAPES.sub("", text))


def summary(findings: Sequence[Finding]) -> dict[str, Any]:
    counts = {s: sum(1 for f in findings if f.severity == s) for s in ("error", "warning", "notice")}
    return {
        "errors": counts["error"],
        "warnings": counts["warning"],
        "notices": counts["notice"],
        "blocking": counts["error"] > 0,
    }


def render_json(findings: Sequence[Finding]) -> str:
    return json.dumps(
        {
            "version": JSON_VERSION,
            "findings": [
                {
                    "code": f.code,
                    "severity": f.severity,
                    "message": f.message,
                    "path": f.path,
                    "line": f.line,
                    "commit": f.commit,
                    "hint": f.hint,
                }
                for f in findings
            ],
            "summary": summary(findings),
        },
        indent=2,
    )


def use_color(stream: IO[str]) -> bool:
    return "NO_COLOR" not in os.environ and stream.isatty()


def render_text(findings: Sequence[Finding], color: bool = False) -> str:
    if not findings:
        return ""
    paint = _painter(color)
    lines: list[str] = []
    for f in findings:
        where = ":".join(str(p) for p in (f.path, f.line) if p is not None)
        commit = f"{f.commit[:12]} " if f.commit else ""
        label = paint(f.code, "31" if f.severity == "error" else "33")
        tag = "" if f.severity == "error" else f" ({f.severity})"
        prefix = f"{commit}{where}: " if where else commit
        lines.append(sanitize(f"{prefix}") + f"{label}{tag} " + sanitize(f.message))
        if f.hint:
            lines.extend("    " + sanitize(h) for h in f.hint.splitlines())
    counts = summary(findings)
    verdict = "refused" if counts["blocking"] else "allowed"
    lines.append(
        paint(f"djgate: {counts['errors']} error(s), {counts['warnings']} warning(s): {verdict}", "1")
    )
    return "\n".join(lines)


def _painter(color: bool) -> Any:
    def paint(text: str, code: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if color else text

    return paint


def render(findings: Sequence[Finding], fmt: str, stream: IO[str]) -> str:
    if fmt == "json":
        return render_json(findings)
    return render_text(findings, color=use_color(stream))
