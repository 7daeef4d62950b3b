"""Files are parsed for the project's Python, not djgate's: code for a newer Python than djgate runs on is
asked of the project's interpreter (DJG500 on its errors), or reported as a notice (DJG503) when none is
found; never a block, never a crash. A real syntax error stays DJG500."""

from __future__ import annotations

import functools
import glob
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from djgate.config import Config
from djgate.pyversion import OWN, ProjectPython, requires_python

from .conftest import Repo, family_codes, family_findings

findings = functools.partial(family_findings, "print")
codes = functools.partial(family_codes, "print")

NEWER = f"{OWN[0]}.{OWN[1] + 1}"  # a Python newer than the one running djgate
PY312 = """\
from dataclasses import dataclass

type OrderId = int


@dataclass
class Page[T]:
    items: list[T]


def first[T: object](page: Page[T]) -> T | None:
    print(f"{"first"} of {len(page.items)}")  # PEP 701: the same quotes nested
    return page.items[0] if page.items else None
"""
PY313 = "class Result[T = int]:\n    value: T\n"
BROKEN = "def total(order)\n    return order.amount\n"  # a real syntax error, in every Python
BROKEN_GENERIC = "def first[T](page: list[T]) -> T\n    return page[0]\n"  # the colon is missing
needs_older_djgate = pytest.mark.skipif(OWN >= (3, 12), reason="djgate's Python parses 3.12 syntax itself")


def _interpreter(minimum: tuple[int, int]) -> str | None:
    """A working interpreter of at least that version on this machine (pyenv, deadsnakes, uv), or None."""
    names = [shutil.which(f"python3.{minor}") for minor in range(14, minimum[1] - 1, -1)]
    names += sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.1[2-9]*/bin/python3")), reverse=True)
    for name in filter(None, names):
        check = f"import sys; sys.exit(sys.version_info[:2] < {minimum})"
        if subprocess.run([name, "-c", check], capture_output=True, check=False).returncode == 0:
            return name
    return None


@pytest.fixture
def bare_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A PATH with git and no Python on it, and no virtualenv: djgate finds no project interpreter."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "git").symlink_to(shutil.which("git") or "/usr/bin/git")
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.delenv("VIRTUAL_ENV", raising=False)
    return bin_dir


def _project(shop: Repo, requires: str, djgate_python: str | None = None) -> None:
    table = f'\n[tool.djgate]\npython = "{djgate_python}"\n' if djgate_python else ""
    shop.write("pyproject.toml", f'[project]\nname = "shop"\nrequires-python = "{requires}"\n{table}')
    shop.stage("pyproject.toml")


@pytest.mark.parametrize(
    ("text", "version"),
    [
        ('[project]\nrequires-python = ">=3.12,<3.13"\n', (3, 12)),
        ('[project]\nrequires-python = "~=3.11"\n', (3, 11)),
        ('[project]\nrequires-python = ">3.8, !=3.9.*, >=3.10"\n', (3, 10)),
        ('[tool.poetry.dependencies]\npython = "^3.13"\n', (3, 13)),
        ('[project]\nrequires-python = "<4"\n', None),
        ('[project]\nname = "shop"\n', None),
        ("not toml [", None),
    ],
)
def test_requires_python_gives_the_oldest_python_allowed(text: str, version: tuple[int, int] | None) -> None:
    assert requires_python(text.encode()) == version


@needs_older_djgate
def test_newer_syntax_without_the_projects_interpreter_is_a_notice(
    shop: Repo, djgate, bare_path: Path
) -> None:  # type: ignore[no-untyped-def]
    _project(shop, f">={NEWER}")
    shop.put("orders/pages.py", PY312)
    shop.put("orders/services.py", "def refund(order):\n    print(order)\n")
    leftover, notice = findings(djgate)  # errors first
    assert (notice["code"], notice["severity"], notice["path"]) == ("DJG503", "notice", "orders/pages.py")
    assert f"no Python {NEWER} (the project's, from requires-python) was found" in str(notice["message"])
    assert (leftover["code"], leftover["path"]) == ("DJG501", "orders/services.py")
    assert djgate("check-staged", "--family", "print").code == 1  # the leftover print, not the notice
    shop.put("orders/services.py", "def refund(order):\n    return order\n")
    assert djgate("check-staged", "--family", "print").code == 0  # the notice never blocks
    # The same file in a project on djgate's own Python is a syntax error there.
    _project(shop, f">={OWN[0]}.{OWN[1]}")
    assert codes(djgate) == [("DJG500", "orders/pages.py", 3)]


def test_without_the_projects_python_a_syntax_error_is_told_by_its_line(
    shop: Repo, djgate, bare_path: Path
) -> None:  # type: ignore[no-untyped-def]
    _project(shop, f">={NEWER}")
    shop.put("orders/views.py", BROKEN)  # no newer syntax where the parser stops: an error in every Python
    shop.put("orders/pages.py", BROKEN_GENERIC)  # type parameters there: only Python 3.12+ can tell
    assert [(f["code"], f["severity"], f["path"]) for f in findings(djgate)] == [
        ("DJG500", "error", "orders/views.py"),
        ("DJG503", "notice", "orders/pages.py"),
    ]
    _project(shop, ">=3.8")  # a project that must run on djgate's Python or older: both errors stand
    assert codes(djgate) == [("DJG500", "orders/pages.py", 1), ("DJG500", "orders/views.py", 1)]


def test_an_interpreter_that_does_not_answer_is_no_interpreter(shop: Repo, djgate, bare_path: Path) -> None:  # type: ignore[no-untyped-def]
    broken = bare_path / "python"
    broken.write_text("#!/bin/sh\nexit 3\n")
    broken.chmod(0o755)
    _project(shop, f">={NEWER}", str(broken))
    shop.put("orders/pages.py", BROKEN_GENERIC)
    assert [f["code"] for f in findings(djgate)] == ["DJG503"]


@needs_older_djgate
def test_the_rules_that_read_code_skip_a_file_they_cannot_read(shop: Repo, djgate, bare_path: Path) -> None:  # type: ignore[no-untyped-def]
    _project(shop, f">={NEWER}")
    shop.put("shop/settings.py", f'{PY312}\nSECRET_KEY = "h7#kq2-z9vxw!t3m8p0cbn4r6ydj5lfe1sa"\n')
    shop.put(
        "orders/views.py",
        f"{PY312}\n\ndef index(request):\n    Order.objects.create()\n    Order.objects.create()\n",
    )
    for family in ("secrets", "workflow", "print"):
        result = djgate("check-staged", "--family", family, "--format", "json")
        assert result.code in (0, 1), result.err
        assert "DJG500" not in result.out and "DJG402" not in result.out and "DJG602" not in result.out


def test_nothing_is_started_while_djgates_own_parse_succeeds(  # type: ignore[no-untyped-def]
    shop: Repo, djgate, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(self: ProjectPython, path: str) -> None:
        raise AssertionError(f"{path} started for a file that parses")

    monkeypatch.setattr(ProjectPython, "_spawn", refuse)
    _project(shop, f">={NEWER}")
    shop.put("orders/services.py", "def refund(order):\n    print(order)\n")
    assert codes(djgate) == [("DJG501", "orders/services.py", 2)]


def test_the_checker_process_answers_like_the_parser_in_one_process(tmp_path: Path) -> None:
    import ast

    texts = {
        "ok.py": "x = 1\n",
        "broken.py": BROKEN,
        "nul.py": "x = 1\0\n",
        "deep.py": "x = " + "(" * 300 + ")" * 300,
    }
    python = ProjectPython(tmp_path, Config(python=sys.executable))
    assert python.version(None) == OWN
    answers = python.parse(None, texts)
    assert answers is not None and answers["ok.py"] is None
    with pytest.raises(SyntaxError) as expected:
        ast.parse(BROKEN)
    assert answers["broken.py"] == (expected.value.msg, 1)
    assert answers["nul.py"] is not None and answers["deep.py"] is not None
    (process, _, _) = python._started[None]  # type: ignore[misc]
    again = python.parse(None, {"more.py": "def f(:\n"})
    assert again is not None and again["more.py"] is not None
    assert python._started[None][0] is process  # type: ignore[index]  # one process for the run
    python.close()
    assert process.poll() is not None


@needs_older_djgate
@pytest.mark.parametrize("found_as", ["[tool.djgate] python", "python3.X on PATH"])
def test_the_projects_interpreter_decides(shop: Repo, djgate, bare_path: Path, found_as: str) -> None:  # type: ignore[no-untyped-def]
    interpreter = _interpreter((3, 12))
    if interpreter is None:
        pytest.skip("no Python 3.12+ interpreter on this machine")
    version = subprocess.run(
        [interpreter, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    if found_as == "python3.X on PATH":
        (bare_path / f"python{version}").symlink_to(interpreter)
        _project(shop, f">={version}")
    else:
        _project(shop, ">=3.12", interpreter)
    shop.put("orders/pages.py", PY312)
    shop.put("orders/views.py", BROKEN)
    if version >= "3.13":
        shop.put("orders/results.py", PY313)
    found = {f["path"]: f for f in findings(djgate)}
    assert found["orders/views.py"]["code"] == "DJG500" and found["orders/views.py"]["line"] == 1
    assert str(found["orders/views.py"]["message"]).endswith(f"(Python {version})")
    for path in ("orders/pages.py", "orders/results.py") if version >= "3.13" else ("orders/pages.py",):
        assert (found[path]["code"], found[path]["severity"]) == ("DJG503", "notice")
        assert f"is written for Python {version}: it parses there" in str(found[path]["message"])
