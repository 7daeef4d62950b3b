from __future__ import annotations

import pytest

from djgate.message import Message, auto_comment_char, clean, parse_header


def test_clean_drops_comments_scissors_and_blank_edges() -> None:
    text = (
        "\n\nfeat(orders): add\n\nbody  \n# Please enter the commit message\n"
        "# ------------------------ >8 ------------------------\n"
        "diff --git a/x b/x\n+secret\n"
    )
    assert clean(text) == ["feat(orders): add", "", "body"]


def test_custom_comment_char() -> None:
    assert clean("feat(a): b\n; comment\n# kept\n", ";") == ["feat(a): b", "# kept"]


@pytest.mark.parametrize(
    ("text", "char"),
    [
        ("feat(a): b\n\nbody\n", "#"),  # no editor, no '#' line
        ("feat(a): b\n#123 fixed\n", ";"),  # git keeps '#123' and would comment with ';'
        ("feat(a): b\n#1\n;2\n", "@"),
        ("feat(a): b\n\n#123\n\n; Please enter the message\n; with ';' ignored\n;\n; On branch main\n", ";"),
        ("feat(a): b\n\n# Please enter the message\n#\n# On branch main\n", "#"),  # git's template
        (
            "feat(a): b\n#123\n; ------------------------ >8 ------------------------\ndiff --git a/x b/x\n",
            ";",
        ),
    ],
)
def test_auto_comment_char_is_git_s_choice(text: str, char: str) -> None:
    assert auto_comment_char(text) == char


def test_auto_comment_char_cleans_what_git_cleans() -> None:
    text = "feat(a): b\n#123 fixed\n\n; Please enter the message\n;\n; On branch main\n"
    assert clean(text, "auto") == ["feat(a): b", "#123 fixed"]


def test_crlf() -> None:
    assert clean("feat(a): b\r\n\r\nbody\r\n") == ["feat(a): b", "", "body"]


@pytest.mark.parametrize(
    ("header", "parts"),
    [
        ("feat(orders): add x", ("feat", "orders", False, "add x")),
        ("feat(orders)!: drop v1", ("feat", "orders", True, "drop v1")),
        ("fix: no scope", ("fix", None, False, "no scope")),
        ("fix(): empty scope", ("fix", "", False, "empty scope")),
        ("feat(orders):", ("feat", "orders", False, "")),
    ],
)
def test_parse_header(header: str, parts: tuple[object, ...]) -> None:
    parsed = parse_header(header)
    assert parsed is not None
    assert (parsed.type, parsed.scope, parsed.breaking, parsed.summary) == parts


@pytest.mark.parametrize(
    "header", ["Added stuff", "feat(orders):no space", "feat orders: x", "(orders): x", ""]
)
def test_not_a_header(header: str) -> None:
    assert parse_header(header) is None


def test_revert_unwraps_nested_quotes() -> None:
    message = Message.from_text('Revert "Revert "feat(orders): add x""\n\nThis reverts commit abc.\n')
    assert message.reverted_header == "feat(orders): add x"
    assert message.effective_header == "feat(orders): add x"


def test_autosquash_and_merge_headers() -> None:
    assert Message.from_text("fixup! feat(orders): x").autosquash
    assert Message.from_text("amend! feat(orders): x").autosquash
    assert Message.from_text("Merge branch 'main' into topic").git_merge
    assert not Message.from_text("feat(orders): merge carts").git_merge
