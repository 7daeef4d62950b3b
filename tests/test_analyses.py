"""The run's analyses of file contents: computed once per content while kept, bounded in size."""

from __future__ import annotations

import gc

import pytest

from djgate.analyses import Analyses, parse_tree


def test_a_content_is_analysed_once_per_kind() -> None:
    analyses = Analyses()
    calls: list[bytes] = []

    def make(data: bytes) -> int:
        calls.append(data)
        return len(data)

    first, same, other = b"class Migration: pass\n", b"class Migration: pass\n", b"x = 1\n"
    assert analyses.get("migration:orders:a.py", first, lambda: make(first)) == len(first)
    assert analyses.get("migration:orders:a.py", same, lambda: make(same)) == len(first)  # equal content
    assert analyses.get("migration:orders:b.py", same, lambda: make(same)) == len(first)  # another path
    assert analyses.get("models", other, lambda: make(other)) == len(other)
    assert calls == [first, same, other]
    assert (analyses.made, analyses.reused) == (3, 1)


def test_the_least_recently_used_go_first_when_full() -> None:
    analyses = Analyses(limit=3 * (100 + 64))
    blobs = [bytes([n]) * 100 for n in range(4)]
    for blob in blobs[:3]:
        analyses.get("k", blob, lambda: object())
    analyses.get("k", blobs[0], lambda: pytest.fail("still kept"))  # now the most recent
    analyses.get("k", blobs[3], lambda: object())  # evicts blobs[1], the least recent
    made = analyses.made
    analyses.get("k", blobs[0], lambda: pytest.fail("still kept"))
    analyses.get("k", blobs[1], lambda: object())
    assert analyses.made == made + 1


def test_a_content_larger_than_the_limit_is_not_kept() -> None:
    analyses = Analyses(limit=1000)
    big = b"#" * 5000
    analyses.get("k", big, lambda: 1)
    analyses.get("k", big, lambda: 2)
    assert analyses.made == 2
    small = b"x"
    analyses.get("k", small, lambda: 3)
    assert analyses.get("k", small, lambda: 4) == 3


def test_parse_tree_restores_the_collector_and_raises_what_ast_raises() -> None:
    assert gc.isenabled()
    assert parse_tree("x = 1\n").body
    with pytest.raises(SyntaxError):
        parse_tree("def (:\n")
    assert gc.isenabled()
    gc.disable()
    try:
        parse_tree(b"y = 2\n")
        assert not gc.isenabled()  # left as the caller had it
    finally:
        gc.enable()


def test_the_parsers_warnings_about_the_users_code_are_not_printed() -> None:
    # An invalid escape sequence: a DeprecationWarning up to Python 3.11, a SyntaxWarning (printed by
    # default) from 3.12. The whole parse, the incremental one and every rule's parse go through parse_tree.
    import warnings

    from djgate.rules.incremental import outline, spans_of

    old = "\n".join(["import re", "", *(f"def f{i}():\n    return {i}\n" for i in range(20))])
    new = old.replace("return 7", 'return re.compile("\\d+")')
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        parse_tree(new)
        assert outline(old, new, spans_of(parse_tree(old))) is not None
    assert [str(w.message) for w in caught] == []
