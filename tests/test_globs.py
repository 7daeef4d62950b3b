from __future__ import annotations

import pytest

from djgate.globs import GlobSet


@pytest.mark.parametrize(
    ("pattern", "path", "expected"),
    [
        ("*.md", "README.md", True),
        ("*.md", "orders/docs/notes.md", True),  # no slash: any depth
        ("*.md", "orders/models.py", False),
        ("docs/", "docs/index.rst", True),
        ("docs/", "orders/docs/index.rst", True),  # trailing slash only, no other slash: any depth
        ("/docs/", "orders/docs/index.rst", False),
        ("/.*", ".gitignore", True),
        ("/.*", ".github/workflows/ci.yml", True),
        ("/.*", "orders/.keep", False),
        ("templates/billing/**", "templates/billing/invoice.html", True),
        ("templates/billing/**", "templates/orders/list.html", False),
        ("**/tests/**", "orders/tests/test_models.py", True),
        ("**/tests/**", "tests/test_x.py", True),
        ("requirements*.txt", "requirements-dev.txt", True),
        ("requirements*.txt", "requirements/dev.txt", False),
        ("orders/*.py", "orders/models.py", True),
        ("orders/*.py", "orders/sub/models.py", False),
        ("a?c.py", "abc.py", True),
        ("[ab].py", "b.py", True),
        ("[!ab].py", "b.py", False),
        ("dir with space/*.txt", "dir with space/a b.txt", True),
        ("é/*.py", "é/ü.py", True),
    ],
)
def test_match(pattern: str, path: str, expected: bool) -> None:
    assert GlobSet([pattern]).match(path) is expected


def test_empty_set_matches_nothing() -> None:
    globs = GlobSet([])
    assert not globs
    assert not globs.match("anything.py")


def test_regex_metacharacters_are_literal() -> None:
    assert GlobSet(["a+b(c).py"]).match("a+b(c).py")
    assert not GlobSet(["a+b(c).py"]).match("aab(c).py")
