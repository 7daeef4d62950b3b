"""The README and `.pre-commit-hooks.yaml` say the same as the code: every rule code and every hook id."""

from __future__ import annotations

import inspect
import re

import pytest

from djgate.rules import all_rules, cleandoc

from .conftest import ROOT

RULES = all_rules()


def hook_ids() -> list[str]:
    text = (ROOT / ".pre-commit-hooks.yaml").read_text()
    return re.findall(r"^- id: (\S+)$", text, re.M)


def test_readme_documents_every_rule() -> None:
    readme = (ROOT / "README.md").read_text()
    for code, rule in RULES.items():
        assert re.search(rf"\| {code} \| {rule.name} \| {rule.severity} \|", readme), code


def test_readme_documents_every_hook_id() -> None:
    readme = (ROOT / "README.md").read_text()
    ids = hook_ids()
    assert ids
    for hook in ids:
        assert f"- id: {hook}" in readme, hook


def test_readme_starts_with_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"```sh\n(.*?)```", readme, re.S)
    assert block is not None
    first, second = block[1].strip().splitlines()
    assert first.endswith("djgate demo")
    assert second == "python -m pytest"
    ci = (ROOT / ".ci" / "run").read_text()
    assert "pip install -q -e '.[test]'" in ci and "python -m pytest" in ci


@pytest.mark.parametrize(
    "doc",
    [
        "",
        "one line",
        "  first\n    second\n      third\n",
        "\n    indented\n\tafter a tab\n\n    last\n\n",
        "first\n\n  a\n    b\n",
        "trailing  \n    spaces kept  \n      \n    and blank lines of spaces\n   \n",
    ],
)
def test_cleandoc_is_inspects(doc: str) -> None:
    assert cleandoc(doc) == inspect.cleandoc(doc)


def test_every_rule_doc_is_cleaned_as_inspect_would() -> None:
    for rule in all_rules().values():
        assert rule.what == inspect.cleandoc(rule.check.__doc__ or rule.summary)
