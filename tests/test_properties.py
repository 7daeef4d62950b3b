"""Property tests (hypothesis, bounded examples): the message parser, the diff parser and the output
escaping hold for any input, not only for the inputs the other tests thought of."""

from __future__ import annotations

import io
import json
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from djgate.findings import Finding
from djgate.gitrepo import parse_diff
from djgate.message import Message, clean, parse_header
from djgate.report import render

TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=200)  # what a commit may hold
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


@given(TEXT, st.sampled_from(["#", ";", "", "auto"]))
@settings(max_examples=300, deadline=None)
def test_any_message_parses_without_error(text: str, comment_char: str) -> None:
    message = Message.from_text(text, comment_char)
    header = message.header
    assert "\n" not in header
    parsed = parse_header(header)
    if parsed is not None:  # a header that parses is `type(scope)!: summary` (or `type:`), rebuilt exactly
        scope = f"({parsed.scope})" if parsed.scope is not None else ""
        summary = f" {parsed.summary}" if parsed.summary or header.endswith(": ") else ""
        assert header == f"{parsed.type}{scope}{'!' if parsed.breaking else ''}:{summary}"
    for line in clean(text, comment_char if comment_char != "auto" else "#"):
        assert "\n" not in line and line == line.rstrip()


@given(st.binary(max_size=400))
@settings(max_examples=300, deadline=None)
def test_any_diff_output_parses_or_is_refused_cleanly(out: bytes) -> None:
    try:
        changes = parse_diff(out)
    except (ValueError, IndexError):
        return  # not git's output: refused, never a wrong file list
    for change in changes:
        assert all(line.number >= 0 for line in change.added)


@given(
    st.lists(
        st.tuples(TEXT, TEXT, TEXT, st.one_of(st.none(), st.integers(1, 10**6))), min_size=1, max_size=4
    ),
    st.sampled_from(["text", "github", "json", "sarif"]),
)
@settings(max_examples=150, deadline=None)
def test_no_text_from_a_commit_starts_a_line_or_a_command(
    rows: list[tuple[str, str, str, int | None]], fmt: str
) -> None:
    findings = [
        Finding("DJG101", message, path=path or None, line=line, hint=hint or None, commit="a" * 40)
        for message, path, hint, line in rows
    ]
    out = render(findings, fmt, io.StringIO())
    if fmt in ("json", "sarif"):
        json.loads(out)  # valid JSON whatever the text holds
        return
    assert not CONTROL.search(out.replace("\n", "")), "a control character survived"
    for printed in out.splitlines():
        assert not printed.startswith("::") or printed.startswith(("::error ", "::warning ", "::notice "))
