"""Reporters: colour only for a terminal, and the same findings in every format."""

from __future__ import annotations

import io
import json

import pytest

from djgate.findings import Finding
from djgate.report import render, render_text, sanitize, use_color

FINDINGS = [
    Finding("DJG201", "the change touches 2 apps", hint="orders: a.py\nbilling: b.py"),
    Finding("DJG501", "print() call", severity="warning", path="orders/views.py", line=12),
]


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_colour_only_on_a_terminal_without_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert use_color(Tty())
    assert not use_color(io.StringIO())
    assert "\x1b[31mDJG201\x1b[0m" in render(FINDINGS, "text", Tty())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not use_color(Tty())
    assert "\x1b" not in render(FINDINGS, "text", Tty())


def test_text_lines() -> None:
    assert render_text(FINDINGS).splitlines() == [
        "DJG201 the change touches 2 apps",
        "    orders: a.py",
        "    billing: b.py",
        "orders/views.py:12: DJG501 (warning) print() call",
        "djgate: 1 error(s), 1 warning(s): refused",
    ]
    assert render_text([]) == ""


def test_json_keeps_every_field() -> None:
    data = json.loads(render(FINDINGS, "json", io.StringIO()))
    assert data["findings"][1] == {
        "code": "DJG501",
        "severity": "warning",
        "message": "print() call",
        "path": "orders/views.py",
        "line": 12,
        "commit": None,
        "hint": None,
    }


def test_github_annotation_for_a_file_finding() -> None:
    out = render(FINDINGS, "github", io.StringIO()).splitlines()
    assert out[0] == "::error title=DJG201::the change touches 2 apps%0Aorders: a.py%0Abilling: b.py"
    assert out[1] == "::warning file=orders/views.py,line=12,title=DJG501::print() call"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("\x1b[1;31mbold red\x1b[0m", "bold red"),
        ("\x1b]0;title\x07after", "after"),
        ("a\x00b\x7fc\x9bd", "abcd"),
        ("rtl\u202eevil", "rtlevil"),
        ("tab\tand\nnewline", "tab\tand\nnewline"),
    ],
)
def test_sanitize(text: str, expected: str) -> None:
    assert sanitize(text) == expected


def test_text_fields_cannot_print_lines_of_their_own() -> None:
    fake = "\n::error::injected\ndjgate: 0 error(s), 0 warning(s): allowed\n"
    findings = [
        Finding("DJG501", f"print() call in x{fake}", path=f"orders/x{fake}.py", line=3, commit="a" * 40),
        Finding("DJG403", ".env is a file of secrets", path="::error file=a.py::pwned"),
        Finding("DJG101", "header 'x\r::warning::y'", commit="b" * 40),
    ]
    lines = render_text(findings).splitlines()
    assert lines == [
        'aaaaaaaaaaaa "orders/x\\n::error::injected\\ndjgate: 0 error(s), 0 warning(s): allowed\\n.py":3: DJG501 '
        "print() call in x\\n::error::injected\\ndjgate: 0 error(s), 0 warning(s): allowed\\n",
        '"::error file=a.py::pwned": DJG403 .env is a file of secrets',
        "bbbbbbbbbbbb DJG101 header 'x\\r::warning::y'",
        "djgate: 3 error(s), 0 warning(s): refused",
    ]
