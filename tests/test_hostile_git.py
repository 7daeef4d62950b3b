"""A hostile or unlucky git setup must not hide anything from djgate: configuration and environment that
change git's diff output (a user's ~/.gitconfig, a repository's config), and attributes a branch brings."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from .conftest import Repo, family_codes

TOKEN = "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"
SECRET = "kdj3k2j4h5k6j7h8g9f0d1s2a3q4w5e6r7t8y9u0"
# Every setting that changes what `git diff`/`git log` print, set the unhelpful way.
HOSTILE_GLOBAL = """\
[diff]
\tinterHunkContext = 10
\tsuppressBlankEmpty = true
\tnoprefix = true
\tcontext = 7
\talgorithm = patience
\texternal = true
\tcolorMoved = zebra
[color]
\tui = always
\tdiff = always
[core]
\tquotePath = true
\tabbrev = 7
[log]
\tshowSignature = true
\tabbrevCommit = true
\tdecorate = full
[format]
\tpretty = oneline
"""
HOSTILE_REPO = {
    "diff.mnemonicPrefix": "true",
    "diff.relative": "true",
    "diff.renames": "copies",
    "diff.indentHeuristic": "false",
    "i18n.logOutputEncoding": "UTF-16",
}
VIEWS = "".join(f"def view_{i}(request):\n    return {i}\n\n\n" for i in range(8))
SETTINGS = 'INSTALLED_APPS = ["orders", "billing"]\nDEBUG = False\n\n\nTIME_ZONE = "UTC"\n'


@pytest.fixture
def hostile(shop: Repo, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Repo:
    """The shop, with views and settings committed, then the hostile user and repository config."""
    shop.write("orders/views.py", VIEWS)
    shop.write("shop/settings.py", SETTINGS)
    shop.write("pyproject.toml", '[tool.djgate]\nignore = ["DJG301"]\n')
    shop.stage()
    shop.commit("feat(orders): add the views")
    gitconfig = tmp_path / "hostile.gitconfig"
    gitconfig.write_text(Path(os.environ["GIT_CONFIG_GLOBAL"]).read_text() + HOSTILE_GLOBAL)
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(gitconfig))
    monkeypatch.setenv("GIT_DIFF_OPTS", "--unified=5")
    for key, value in HOSTILE_REPO.items():
        shop.git("config", key, value)
    return shop


def stage_three_leaks(repo: Repo) -> None:
    """Changes close enough to each other that a diff with context would merge their hunks."""
    lines = VIEWS.splitlines()
    lines[1:2] = ["    total = 0", "    return total"]  # line 2 changed, line 3 added
    lines[13:13] = ["    breakpoint()"]  # line 14, below unchanged lines
    lines[20:20] = [f'TOKEN = "{TOKEN}"']  # line 21
    repo.write("orders/views.py", "\n".join(lines) + "\n")
    settings = SETTINGS.splitlines()
    settings[1] = "DEBUG = True"
    settings.append(f'SECRET_KEY = "{SECRET}"')  # line 6, three unchanged lines below the change
    repo.write("shop/settings.py", "\n".join(settings) + "\n")
    repo.stage()


EXPECTED = [
    ("DJG401", "orders/views.py", 21),
    ("DJG402", "shop/settings.py", 6),
    ("DJG404", "shop/settings.py", 2),
    ("DJG502", "orders/views.py", 14),
]


def test_hostile_git_config_hides_nothing_from_check_staged(hostile: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    stage_three_leaks(hostile)
    found = family_codes("secrets", djgate) + family_codes("print", djgate)
    assert sorted(found) == EXPECTED


def test_hostile_git_config_hides_nothing_from_check_range(hostile: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    base = hostile.git("rev-parse", "HEAD").strip()
    stage_three_leaks(hostile)
    hostile.commit("feat(orders): count the totals")
    result = djgate(
        "check-range", "--format", "json", "--select", "DJG4", "--select", "DJG5", f"{base}..HEAD"
    )
    assert result.code == 1, result.err
    found = [(f["code"], f["path"], f["line"]) for f in json.loads(result.out)["findings"]]
    assert sorted(found) == EXPECTED


ATTRIBUTES = "*.py -diff\n*.json binary\n*.cfg diff=hidden\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + TOKEN.encode() + b"\x00\n"


@pytest.fixture
def attributed(shop: Repo) -> Repo:
    """The shop with views and a settings file committed, then a .gitattributes that calls them binary
    and a diff driver that hides them (textconv to nothing, binary)."""
    shop.write("orders/views.py", VIEWS)
    shop.write("orders/fixtures/keys.json", '{"name": "demo"}\n')
    shop.write("pyproject.toml", '[tool.djgate]\nignore = ["DJG301"]\n')
    shop.stage()
    shop.commit("feat(orders): add the views")
    shop.git("config", "diff.hidden.textconv", "true")
    shop.git("config", "diff.hidden.binary", "true")
    shop.put(".gitattributes", ATTRIBUTES)
    shop.commit("chore(deps): mark generated files")
    return shop


def stage_behind_attributes(repo: Repo) -> None:
    lines = VIEWS.splitlines()
    lines[13:13] = ["    breakpoint()"]  # line 14
    repo.write("orders/views.py", "\n".join(lines) + "\n")
    repo.write("orders/fixtures/keys.json", f'{{"name": "demo",\n "token": "{TOKEN}"}}\n')
    repo.write("orders/setup.cfg", f"[auth]\ntoken = {TOKEN}\n")
    repo.write("orders/broken.py", "x = 1\ny = 2\x00\n")
    repo.write("orders/static/logo.png", PNG)  # a real binary stays one: its bytes are not code
    repo.stage()


ATTRIBUTED = [
    ("DJG401", "orders/fixtures/keys.json", 2),
    ("DJG401", "orders/setup.cfg", 2),
    ("DJG500", "orders/broken.py", 2),
    ("DJG502", "orders/views.py", 14),
]


def test_attributes_and_nul_bytes_hide_nothing_from_check_staged(attributed: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    stage_behind_attributes(attributed)
    found = family_codes("secrets", djgate) + family_codes("print", djgate)
    assert sorted(found) == ATTRIBUTED


def test_attributes_and_nul_bytes_hide_nothing_from_check_range(attributed: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    base = attributed.git("rev-parse", "HEAD~1").strip()  # the .gitattributes comes with the branch
    stage_behind_attributes(attributed)
    attributed.commit("feat(orders): wire the keys")
    result = djgate(
        "check-range", "--format", "json", "--select", "DJG4", "--select", "DJG5", f"{base}..HEAD"
    )
    assert result.code == 1, result.err
    found = [(f["code"], f["path"], f["line"]) for f in json.loads(result.out)["findings"]]
    assert sorted(found) == ATTRIBUTED


def test_a_real_binary_stays_binary(attributed: Repo) -> None:
    from djgate.gitrepo import GitRepo

    stage_behind_attributes(attributed)
    changes = {c.path: c for c in GitRepo.discover().staged().files}
    assert changes["orders/static/logo.png"].binary and changes["orders/static/logo.png"].added == ()
    assert not changes["orders/broken.py"].binary
    assert [a.number for a in changes["orders/views.py"].added] == [14]


def test_a_nul_byte_in_python_source_fails_the_whole_file_run(attributed: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    stage_behind_attributes(attributed)
    attributed.commit("feat(orders): wire the keys")
    found = family_codes("print", djgate, "orders/broken.py", "orders/static/logo.png")  # --all-files in CI
    assert found == [("DJG500", "orders/broken.py", 2)]
