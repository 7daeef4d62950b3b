"""DJG500-502: added Python code parses, prints nothing and stops in no debugger; and the ignores that every
rule honours (`djgate: ignore[...]` comments, `per_path_ignores`), shown on these rules."""

from __future__ import annotations

import functools
import time

import pytest

from djgate.rules.prints import is_test_file, noqa_allows
from djgate.rules.pysource import parse_source

from .conftest import Repo, family_codes, family_findings

VIEW = "import logging\n\nlogger = logging.getLogger(__name__)\n\n\ndef index(request):\n    return None\n"


findings = functools.partial(family_findings, "print")
codes = functools.partial(family_codes, "print")


# -- DJG501 ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "what"),
    [
        ('print("refunding", order.pk)', "print()"),
        ("print(order, file=sys.stderr)", "print()"),
        ("pprint.pprint(order.__dict__)", "pprint.pprint()"),
        ("pp(order)", "pp()"),
        ("pretty(order)", "pretty()"),
        ("pprint(order)", "pprint()"),
    ],
)
def test_an_added_print_is_refused_with_a_logging_hint(shop: Repo, djgate, code: str, what: str) -> None:  # type: ignore[no-untyped-def]
    header = "import pprint\nimport sys\nfrom pprint import pp\nfrom pprint import pprint as pretty\n\n\n"
    shop.put("orders/services.py", f"{header}def refund(order):\n    {code}\n")
    (finding,) = findings(djgate)
    assert (finding["code"], finding["path"], finding["line"]) == ("DJG501", "orders/services.py", 8)
    assert finding["message"] == f"{what} call added"
    assert "logger = logging.getLogger(__name__)" in str(finding["hint"])


def test_a_management_command_gets_the_stdout_hint(shop: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    command = (
        "from django.core.management.base import BaseCommand\n\n\n"
        "class Command(BaseCommand):\n    def handle(self, *args, **options):\n        print('done')\n"
    )
    shop.put("orders/management/commands/close_orders.py", command)
    (finding,) = findings(djgate)
    assert finding["line"] == 6
    assert finding["hint"] == "in a management command, write to self.stdout: self.stdout.write(...)"


@pytest.mark.parametrize(
    "code",
    [
        'if __name__ == "__main__":\n    print("usage: ...")',
        'if "__main__" == __name__:\n    main()\n    print(1)',
        "self.print(order)",  # a method called print is not the builtin
        'log = "print(x)"  # print in a string',
        "# print(order)",
        'print("kept")  # noqa: T201',
        'print("kept")  # noqa: E501, T201',
        'print("kept")  # noqa',
        'print("kept")  # djgate: ignore[DJG501]',
        'print("kept")  # djgate: ignore[DJG5]',
        'print("kept")  # djgate: ignore[DJG401, DJG501]',
    ],
)
def test_exempt_prints_pass(shop: Repo, djgate, code: str) -> None:  # type: ignore[no-untyped-def]
    shop.put("orders/tools.py", f"def main():\n    return 1\n\n\n{code}\n")
    assert codes(djgate) == []


def test_the_main_guard_covers_its_body_only(shop: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    shop.put("orders/tools.py", 'if __name__ == "__main__":\n    print(1)\nelse:\n    print(2)\n')
    assert codes(djgate) == [("DJG501", "orders/tools.py", 4)]


def test_noqa_names_the_ruff_code() -> None:
    assert noqa_allows("print(x)  # noqa: T201", "T201")
    assert noqa_allows("print(x)  # NOQA:T201,T203", "T203")
    assert noqa_allows("print(x)  # noqa", "T100")
    assert not noqa_allows("print(x)  # noqa: E501", "T201")
    assert not noqa_allows("print(x)", "T201")


@pytest.mark.parametrize(
    "path",
    [
        "orders/tests/test_models.py",
        "tests/helpers.py",
        "orders/tests.py",
        "orders/test_api.py",
        "orders/api_tests.py",
        "conftest.py",
        "orders/conftest.py",
    ],
)
def test_test_files_may_print(shop: Repo, djgate, path: str) -> None:  # type: ignore[no-untyped-def]
    assert is_test_file(path)
    shop.put(path, "def test_x():\n    print('debugging a test')\n")
    assert codes(djgate) == []


def test_not_test_files() -> None:
    assert not any(
        is_test_file(p) for p in ("orders/testing.py", "orders/views.py", "contest.py", "latest.py")
    )


def test_an_old_print_elsewhere_in_the_file_does_not_block(shop: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    old = "def legacy():\n    print(\n        'old',\n    )\n\n\ndef index(request):\n    return 1\n"
    shop.write("orders/views.py", old)
    shop.stage("orders/views.py")
    shop.commit()
    shop.put("orders/views.py", old.replace("return 1", "return 2"))
    assert codes(djgate) == []
    # Changing an argument line of an old print is not adding one: the call starts on an old line.
    shop.put("orders/views.py", old.replace("'old'", "'older'"))
    assert codes(djgate) == []
    # A new print in the same function is.
    shop.put("orders/views.py", old.replace("    print(\n", "    print('new')\n    print(\n"))
    assert codes(djgate) == [("DJG501", "orders/views.py", 2)]


def test_per_path_ignores_silence_a_path(shop: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    # (an app's module: scripts/ outside the Django code is not judged by DJG501 at all, see below)
    shop.put("orders/seed.py", "print('seeding')\nbreakpoint()\n")
    assert codes(djgate) == [("DJG501", "orders/seed.py", 1), ("DJG502", "orders/seed.py", 2)]
    shop.write("pyproject.toml", '[tool.djgate]\nper_path_ignores = {"orders/seed.py" = ["DJG501"]}\n')
    assert codes(djgate) == [("DJG502", "orders/seed.py", 2)]


def test_all_files_judges_old_prints_and_named_files_whole(shop: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    shop.write("orders/views.py", "def index(request):\n    print('old')\n")
    shop.write("billing/views.py", "def index(request):\n    return 1\n")
    shop.stage()
    shop.commit()
    assert codes(djgate) == []
    assert codes(djgate, "--all-files") == [("DJG501", "orders/views.py", 2)]
    # pre-commit run --all-files passes the names of files that are not staged: judged whole.
    assert codes(djgate, "orders/views.py", "billing/views.py") == [("DJG501", "orders/views.py", 2)]
    # A named file with staged changes is judged on the lines it adds.
    shop.put("orders/views.py", "def index(request):\n    print('old')\n    return 1\n")
    assert codes(djgate, "orders/views.py") == []


def test_a_merge_is_judged_for_syntax_only(shop: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    shop.git("checkout", "-q", "-b", "feature")
    shop.write("orders/views.py", "def index(request):\n    print('on the branch')\n")
    shop.stage()
    shop.commit("feat(orders): add the index view")
    shop.git("checkout", "-q", "main")
    shop.write("billing/views.py", "def index(request):\n    return 1\n")
    shop.stage()
    shop.commit("feat(billing): add the index view")
    shop.git("merge", "-q", "--no-ff", "--no-commit", "feature")
    assert codes(djgate) == []  # the branch's print was judged on the branch
    shop.put("orders/views.py", "def index(request)\n<<<<<<< HEAD\n")  # a bad conflict resolution
    assert [c for c, _, _ in codes(djgate)] == ["DJG500"]


# -- DJG502 ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("breakpoint()", "breakpoint() added"),
        ("import pdb", "import pdb added"),
        ("import pdb; pdb.set_trace()", "import pdb added"),
        ("import ipdb as debugger", "import ipdb added"),
        ("from pudb import set_trace", "from pudb import set_trace added"),
        ("from IPython import embed", "from IPython import embed added"),
    ],
)
def test_debuggers_are_refused(shop: Repo, djgate, code: str, message: str) -> None:  # type: ignore[no-untyped-def]
    shop.put("orders/services.py", f"def refund(order):\n    {code}\n    return order\n")
    (finding,) = findings(djgate)
    assert (finding["code"], finding["line"], finding["message"]) == ("DJG502", 2, message)


def test_a_debugger_call_through_an_old_import_and_in_tests(shop: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    shop.write("orders/services.py", "import pdb\n\n\ndef refund(order):\n    return order\n")
    shop.stage()
    shop.commit()
    shop.put(
        "orders/services.py",
        "import pdb\n\n\ndef refund(order):\n    pdb.set_trace()\n    return order\n",
    )
    shop.put("orders/tests/test_refund.py", "def test_refund():\n    breakpoint()\n")
    shop.put("orders/ok.py", "def f():\n    breakpoint()  # noqa: T100\n")
    assert codes(djgate) == [
        ("DJG502", "orders/services.py", 5),
        ("DJG502", "orders/tests/test_refund.py", 2),
    ]
    result = djgate("check-staged", "--family", "print")
    assert "orders/services.py:5: DJG502 pdb.set_trace() added" in result.out


# -- DJG500 and the files Python reads ------------------------------------------------------------------


def test_a_file_that_does_not_parse_is_refused_with_its_line(shop: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    shop.put("orders/views.py", "def index(request)\n    return 1\n")
    (finding,) = findings(djgate)
    assert (finding["code"], finding["path"], finding["line"]) == ("DJG500", "orders/views.py", 1)
    assert str(finding["message"]).startswith("orders/views.py does not parse: ")
    result = djgate("check-staged", "--family", "print")
    assert result.code == 1 and "Traceback" not in result.out + result.err


def test_pep263_latin1_file_parses_and_is_judged_on_the_right_line(shop: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    source = "# -*- coding: latin-1 -*-\nNAME = 'caf\xe9'\n\n\ndef f():\n    print(NAME)\n"
    shop.put("orders/legacy.py", source.encode("latin-1"))
    assert codes(djgate) == [("DJG501", "orders/legacy.py", 6)]


def test_non_utf8_without_a_coding_cookie_does_not_parse(shop: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    shop.put("orders/legacy.py", "x = 1\nNAME = 'caf\xe9'\n".encode("latin-1"))
    (finding,) = findings(djgate)
    assert (finding["code"], finding["line"]) == ("DJG500", 2)
    assert "not valid utf-8" in str(finding["message"])


def test_bom_and_crlf_files(shop: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    shop.put("orders/bom.py", b"\xef\xbb\xbfx = 1\r\nprint(x)\r\n")
    assert codes(djgate) == [("DJG501", "orders/bom.py", 2)]


def test_python_files_with_nul_bytes_do_not_parse(shop: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    # Git calls it binary; a Python file is source all the same, and Python will not import it (issue 12).
    shop.put("orders/blob.py", b"print('x')\n\0\0\x01\x02")
    assert codes(djgate) == [("DJG500", "orders/blob.py", 2)]


def test_parse_errors_never_raise() -> None:
    assert parse_source("a.py", b"x = (\n", (1,)).error is not None
    assert parse_source("a.py", b"# coding: no-such-codec\nx = 1\n", (1,)).error is not None
    nested = parse_source("a.py", b"x = " + b"(" * 200_000 + b")" * 200_000 + b"\n", (1,))
    assert nested.tree is None and nested.error is not None


def test_a_50000_line_module(shop: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    body = "".join(f"def f{i}(x):\n    return x + {i}\n\n\n" for i in range(12_500))  # 50,000 lines
    shop.write("orders/big.py", body + "def last():\n    print('old')\n")
    shop.stage()
    shop.commit()
    lines = (body + "def last():\n    print('old')\n").splitlines()
    lines[20_001] = "    print(x)"  # in f5000
    lines.append("breakpoint()")
    shop.put("orders/big.py", "\n".join(lines) + "\n")
    start = time.perf_counter()
    assert codes(djgate) == [("DJG501", "orders/big.py", 20_002), ("DJG502", "orders/big.py", 50_003)]
    elapsed = time.perf_counter() - start
    assert elapsed < 10, f"{elapsed:.1f}s"
    # The same file added whole: every line judged.
    assert ("DJG501", "orders/big.py", 50_002) in codes(djgate, "--all-files")


# -- pysource: what the families share -------------------------------------------------------------------


def test_touched_functions_are_the_innermost_that_hold_an_added_line() -> None:
    source = "class A:\n    def m(self):\n        def inner():\n            return 1\n        return 2\n\n\ndef g():\n    return 3\n"
    parsed = parse_source("a.py", source.encode(), (4, 9))
    assert [f.name for f in parsed.touched_functions()] == ["inner", "g"]
    parsed = parse_source("a.py", source.encode(), (5,))
    assert [f.name for f in parsed.touched_functions()] == ["m"]
    decorated = parse_source("a.py", b"@cache\ndef h():\n    return 1\n", (1,))
    assert [f.name for f in decorated.touched_functions()] == ["h"]


def test_the_touched_walk_skips_untouched_subtrees() -> None:
    import ast

    source = "".join(f"def f{i}():\n    return {i}\n" for i in range(100))
    parsed = parse_source("a.py", source.encode(), (51,))
    names = [n.name for n, _ in parsed.walk_touched() if isinstance(n, ast.FunctionDef)]
    assert names == ["f25"]
