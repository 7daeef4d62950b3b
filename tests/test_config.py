from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from djgate.config import DEFAULT_TYPES, Config, load_config
from djgate.errors import DjgateError


def write(tmp_path: Path, body: str) -> Path:
    (tmp_path / "pyproject.toml").write_text(body, encoding="utf-8")
    return tmp_path


def test_defaults_without_pyproject(tmp_path: Path) -> None:
    config = load_config(tmp_path)
    assert config.types == DEFAULT_TYPES
    assert config.max_header_length == 72
    assert config.enabled("DJG107")


def test_pyproject_without_table_gives_defaults(tmp_path: Path) -> None:
    assert load_config(write(tmp_path, "[project]\nname = 'x'\n")).types == DEFAULT_TYPES


def test_reads_every_key(tmp_path: Path) -> None:
    config = load_config(
        write(
            tmp_path,
            """
[tool.djgate]
types = ["feat", "fix"]
extra_scopes = ["deps"]
shared_paths = ["*.lock"]
extend_shared_paths = ["tools/"]
apps = {billing = ["templates/billing/**"]}
exclude = ["vendor/**"]
max_header_length = 50
ignore = ["DJG107"]
select = ["DJG1", "DJG2"]
severity = {DJG201 = "warning"}
per_path_ignores = {"scripts/**" = ["DJG104"]}
python = ".venv/bin/python"
settings = "shop.settings"
probe_timeout = 30
require_scope = "always"
github_squash = true
ignore_authors = ["renovate[bot]"]
ignore_messages = ["^Bump "]
""",
        )
    )
    assert config.types == ("feat", "fix")
    assert (config.require_scope, config.github_squash) == ("always", True)
    assert (config.ignore_authors, config.ignore_messages) == (("renovate[bot]",), ("^Bump ",))
    assert config.apps == {"billing": ("templates/billing/**",)}
    assert config.severity_for("DJG201", "error") == "warning"
    assert not config.enabled("DJG107")
    assert config.enabled("DJG101")
    assert config.shared_globs().match("tools/x.py")
    assert config.shared_globs().match("poetry.lock")
    assert not config.shared_globs().match("README.md")  # shared_paths replaced the defaults


def test_select_limits_to_prefix() -> None:
    config = Config(select=("DJG2",))
    assert config.enabled("DJG201")
    assert not config.enabled("DJG101")


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("tpyes = ['feat']", "unknown key 'tpyes' (did you mean 'types'?)"),
        ("types = 'feat'", "types: must be a list of non-empty strings"),
        ("types = ['']", "types: must be a list of non-empty strings"),
        ("max_header_length = 0", "max_header_length: must be a positive integer"),
        ("max_header_length = true", "max_header_length: must be a positive integer"),
        ("ignore = ['DJG999']", "ignore: 'DJG999' is not a rule code or prefix"),
        ("severity = {DJG201 = 'fatal'}", 'severity.DJG201: must be "error" or "warning"'),
        ("severity = {XYZ = 'error'}", "severity: 'XYZ' is not a rule code"),
        ("apps = ['billing']", "apps: must be a table"),
        ("apps = {billing = 'templates'}", "apps.billing: must be a list"),
        ("python = ''", "python: must be a non-empty string"),
        ("require_scope = 'never'", 'require_scope: must be "apps" or "always"'),
        ("github_squash = 'yes'", "github_squash: must be true or false"),
        ("ignore_authors = 'dependabot[bot]'", "ignore_authors: must be a list of non-empty strings"),
        ("ignore_messages = ['^Bump (']", "ignore_messages: '^Bump (' is not a regular expression"),
    ],
)
def test_bad_values_name_key_and_file(tmp_path: Path, body: str, expected: str) -> None:
    root = write(tmp_path, f"[tool.djgate]\n{body}\n")
    with pytest.raises(DjgateError) as info:
        load_config(root)
    assert expected in str(info.value)
    assert str(root / "pyproject.toml") in str(info.value)


def test_invalid_toml(tmp_path: Path) -> None:
    with pytest.raises(DjgateError, match="not valid TOML"):
        load_config(write(tmp_path, "[tool.djgate\n"))


def test_explicit_config_file_top_level_keys(tmp_path: Path) -> None:
    path = tmp_path / "djgate.toml"
    path.write_text("extra_scopes = ['deps']\n")
    assert load_config(tmp_path, path).extra_scopes == ("deps",)


def test_explicit_config_file_with_tool_table(tmp_path: Path) -> None:
    path = tmp_path / "other.toml"
    path.write_text("[tool.djgate]\nmax_header_length = 60\n")
    assert load_config(tmp_path, path).max_header_length == 60


def test_explicit_config_missing(tmp_path: Path) -> None:
    with pytest.raises(DjgateError, match="no such file"):
        load_config(tmp_path, tmp_path / "nope.toml")


def test_cli_overrides_replace_lists() -> None:
    config = Config(ignore=("DJG107",)).with_cli(select=("djg1",), ignore=())
    assert config.select == ("DJG1",)
    assert config.ignore == ()
    with pytest.raises(DjgateError, match="--select"):
        Config().with_cli(select=("nope",), ignore=None)


def test_the_code_table_is_the_registry() -> None:
    from djgate.config import RULE_CODES
    from djgate.rules import all_rules

    assert tuple(all_rules()) == RULE_CODES


def test_reading_a_configuration_loads_no_rule_family(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.djgate]\nignore = ["DJG107"]\nseverity = {DJG601 = "error"}\nselect = ["DJG1", "DJG6"]\n'
    )
    code = (
        "import sys; from pathlib import Path; from djgate.config import load_config; "
        f"load_config(Path({str(tmp_path)!r})); "
        "print(sorted(m for m in sys.modules if m.startswith('djgate.rules.')))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_a_pyproject_without_djgate_is_not_parsed_even_when_broken(tmp_path: Path) -> None:
    # Another tool's broken table is that tool's business; any spelling of djgate's table is read.
    config = load_config(write(tmp_path, "[tool.black\nline-length = 1\n"))
    assert config == Config(source=config.source)
    for spelled in ('[tool."djgate"]\nignore = ["DJG501"]\n', 'tool.djgate.ignore = ["DJG501"]\n'):
        assert load_config(write(tmp_path, spelled)).ignore == ("DJG501",)
