"""DJG401-405: secrets, judged on the lines a change adds, in real repositories.

The secrets below are made up for the tests (the shapes detect-secrets' plugins look for).
"""

from __future__ import annotations

import functools
import json
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from djgate.rules import secretscan
from djgate.rules.secrets import env_is_ignored, is_dev_settings, is_secret_file, is_settings_module
from djgate.tokens import masked as mask

from .conftest import Repo, djgate_process, family_codes, family_findings

GITHUB = "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"
OTHER_GITHUB = "ghp_Zq8Lm3Nb7Vc2Xr5Ts9Wk4Jh6Gd1Fp0Ye2UaQ"
STRIPE = "sk_live_Ab3dEf6hIj9kLm2nOp5qRs8t"
INSECURE = "django-insecure-9x#f2k!q7m$z@w3e^r8t*y(u)i_o+p-a=s1d4f6g0h"

# One line per detect-secrets plugin, in the shape that plugin reports.
PLUGIN_SAMPLES = {
    "ArtifactoryDetector": 'artifactory = "AKCp8jQ8nXMCmnRa9vHSzP3VQqvPy4wz5Lbh9sbWPkXhHAzZCoRSiuG6aaAvLnFHdbMVwbTy"',
    "AWSKeyDetector": 'aws_access_key_id = "AKIAIOSFODNN7EXAMPLE"',
    "AzureStorageKeyDetector": 'conn = "AccountName=x;AccountKey='
    + "lJzRc1YdHaAA2KCNJJ1tkYwF/+mKK6Ygw0NGe170Xu592euJv2wYUtBlV8z+qnlcNQSnIYVTkLWntUO1F8j8rQ=="
    + '"',
    "BasicAuthDetector": 'url = "https://admin:s3cr3tpassw0rd@db.example.com:5432/shop"',
    "CloudantDetector": 'cloudant_password = "' + "a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4" * 2 + '"',
    "DiscordBotTokenDetector": 'token: "MTk4NjIyNDgzNDcxOTI1MjQ4.Cl2FMQ.ZnCjm1XVW7vRze4b7Cq4se7kKWs"',
    "GitHubTokenDetector": f'gh = "{GITHUB}"',
    "GitLabTokenDetector": 'gl = "glpat-Xy3kPq9RtV2mWn8sLb4d"',
    "Base64HighEntropyString": 'blob = "N2Zk8qP0vLm3xR7tY9wB1cE5hJ6kU4sAgDfZ"',
    "HexHighEntropyString": 'digest = "3d4f9a1b8c7e6d5f0a2b"',
    "IbmCloudIamDetector": 'ibm_cloud_iam_key = "abcdefghijABCDEFGHIJ0123456789_-abcdefghijKL"',
    "IbmCosHmacDetector": 'ibm_cos_hmac_secret_access_key = "'
    + "0f1e2d3c4b5a69788796a5b4c3d2e1f0" * 1
    + '0f1e2d3c4b5a6978"',
    "IPPublicDetector": 'host = "203.0.113.77"',
    "JwtTokenDetector": 'jwt = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaW'
    'F0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"',
    "KeywordDetector": 'password = "hunter2xyz"',
    "MailchimpDetector": 'mc = "0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d-us12"',
    "NpmDetector": "//registry.npmjs.org/:_authToken=npm_Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zAbCd",
    "OpenAIDetector": 'openai = "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"',
    "PrivateKeyDetector": "-----BEGIN RSA PRIVATE KEY-----",
    "PypiTokenDetector": 'pypi = "pypi-AgEIcHlwaS5vcmc' + "Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z" * 3 + '"',
    "SendGridDetector": 'sg = "SG.Ab3dEf6hIj9kLm2nOp5qRs.8tUv1wXy4zAb3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zAb3"',
    "SlackDetector": 'slack = "xoxb-123456789012-abcdefghij0k"',
    "SoftlayerDetector": 'softlayer_api_key = "' + "a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4" * 2 + '"',
    "SquareOAuthDetector": 'sq = "sq0csp-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zAb3dEf6hIj9"',
    "StripeDetector": f'stripe = "{STRIPE}"',
    "TelegramBotTokenDetector": 'tg = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1"',
    "TwilioKeyDetector": 'twilio = "AC0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d"',
}


findings = functools.partial(family_findings, "secrets")
codes = functools.partial(family_codes, "secrets")


# -- the pre-filter is sound: whatever a plugin reports, the pre-filter lets through -----------------------


def test_the_prefilter_knows_every_installed_plugin() -> None:
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class

    installed = {
        cls.__module__.rsplit(".", 1)[-1] for cls in get_mapping_from_secret_type_to_class().values()
    }
    assert installed == secretscan.KNOWN_PLUGIN_MODULES
    assert secretscan.plugins_known()
    names = {cls.__name__ for cls in get_mapping_from_secret_type_to_class().values()}
    assert names == set(PLUGIN_SAMPLES)


@pytest.mark.parametrize("plugin_name", sorted(PLUGIN_SAMPLES))
def test_each_plugin_match_passes_the_prefilter(plugin_name: str) -> None:
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
    from detect_secrets.settings import default_settings

    line = PLUGIN_SAMPLES[plugin_name]
    (plugin_class,) = [
        c for c in get_mapping_from_secret_type_to_class().values() if c.__name__ == plugin_name
    ]
    with default_settings():
        assert plugin_class().analyze_line(filename="orders/conf.py", line=line, line_number=1), line
    assert secretscan.is_candidate(line)
    assert plugin_name in secretscan.plugins_for(line, True)


def test_the_prefilter_passes_whatever_a_plugin_reports_on_random_lines() -> None:
    """Random lines built from keywords, operators, quotes and values, in files of every keyword flavour
    (quotes required, optional, Go, C): whatever any plugin reports, the pre-filter lets through; and the
    pre-filter gives the same answer on lines one by one as on a whole file of them."""
    import random

    from detect_secrets.settings import default_settings, get_plugins

    parts = ["password", "PASSWORD", "db_pass", "api_key", "secret", "my_secret_value", "private_key", "pwd"]
    parts += [
        " ",
        "=",
        "==",
        "!=",
        ":",
        ":=",
        "=>",
        "(",
        ".assign(",
        "[0]",
        "]",
        "'",
        '"',
        "`",
        "@",
        ";",
        ",",
    ]
    parts += ["hunter2", "x1", "$VAR", "{{x}}", "os.environ", "AKIAIOSFODNN7EXAMPLE", "ghp_", "9", "\t", "-"]
    files = ["x.py", "x.yaml", "x.go", "x.c", "x.cpp", "x.js", "x.ini", "x.txt", "x.toml", "x"]
    rng = random.Random(4)
    reported = 0
    with default_settings():
        plugins = list(get_plugins())
        for _ in range(1500):
            line = "".join(rng.choice(parts) for _ in range(rng.randint(2, 9)))
            path = rng.choice(files)
            reporting = {
                type(p).__name__ for p in plugins if p.analyze_line(filename=path, line=line, line_number=1)
            }
            if reporting:
                reported += 1
                quoted = secretscan.quotes_required(path)
                assert secretscan.is_candidate(line, quoted), (path, line)
                assert reporting <= secretscan.plugins_for(line, quoted), (path, line)
    assert reported > 100
    lines = {n: "".join(rng.choice(parts) for _ in range(rng.randint(0, 9))) for n in range(1, 400)}
    for quoted in (True, False):
        one_by_one = [n for n, text in lines.items() if secretscan.is_candidate(text, quoted)]
        assert secretscan.candidate_lines(lines, quoted) == one_by_one


def test_ordinary_django_code_does_not_reach_detect_secrets() -> None:
    lines = [
        "from django.shortcuts import get_object_or_404, render",
        "class PasswordResetConfirmView(UserAttributeSimilarityValidator):",
        "    def get_queryset(self):",
        "        return Order.objects.filter(customer=self.request.user).select_related('invoice')",
        "    if not user.check_password(form.cleaned_data):",  # a keyword, but no assignment
        "    password = form.cleaned_data['password']",  # a keyword assignment, but not of a literal
        "    pass",
        "created = models.DateTimeField(auto_now_add=True, db_index=True)",
    ]
    assert [line for line in lines if secretscan.is_candidate(line)] == []


def test_mask_shows_at_most_four_characters_and_the_length() -> None:
    assert mask(GITHUB) == "'ghp_...' (40 characters)"
    assert mask("hunter2") == "'h...' (7 characters)"
    assert mask("abc") == "'...' (3 characters)"


# -- DJG401 ---------------------------------------------------------------------------------------------


def test_an_added_token_is_refused_and_masked_in_text_and_json(shop: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    shop.put("orders/github.py", f'import os\n\nTOKEN = "{GITHUB}"\n')

    (finding,) = findings(djgate)
    assert (finding["code"], finding["path"], finding["line"]) == ("DJG401", "orders/github.py", 3)
    assert (
        finding["message"]
        == "hardcoded secret (GitHub Token, Base64 High Entropy String): 'ghp_...' (40 characters)"
    )
    assert "os.environ" in str(finding["hint"]) and "pragma: allowlist secret" in str(finding["hint"])

    text = djgate("check-staged", "--family", "secrets")
    assert text.code == 1
    assert "orders/github.py:3: DJG401 hardcoded secret (GitHub Token, " in text.out
    json_out = djgate("check-staged", "--family", "secrets", "--format", "json")
    for out in (text.out + text.err, json_out.out + json_out.err):
        assert GITHUB not in out and GITHUB[4:12] not in out


def test_secrets_never_reach_the_verbose_log(shop: Repo) -> None:
    shop.write(
        "orders/keys.py", f'stripe = "{STRIPE}"\npassword = "hunter2xyz"  # pragma: allowlist secret\n'
    )
    shop.stage("orders/keys.py")
    result = djgate_process("-v", "check-staged", "--family", "secrets", cwd=shop.path)
    assert result.returncode == 1, result.stderr
    assert STRIPE not in result.stdout + result.stderr
    assert "hunter2xyz" not in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("path", "content"),
    [
        ("deploy/app.yaml", "stripe:\n  key: " + STRIPE + "\n"),
        ("frontend/config.js", f'export const stripeKey = "{STRIPE}";\n'),
        ("docs/setup.md", f"Use `{STRIPE}` for the demo\n"),
        ("setup.cfg", f"[stripe]\nkey = {STRIPE}\n"),
    ],
)
def test_secrets_in_any_text_file(shop: Repo, djgate, path: str, content: str) -> None:  # type: ignore[no-untyped-def]
    shop.put(path, content)
    line = next(n for n, text in enumerate(content.splitlines(), 1) if STRIPE in text)
    assert ("DJG401", path, line) in codes(djgate)


@pytest.mark.parametrize(
    "line",
    [
        'GITHUB_TOKEN = os.environ["GITHUB_TOKEN"]',
        'API_TOKEN = os.environ.get("API_TOKEN")',
        'password = os.getenv("DB_PASSWORD")',
        'STRIPE_KEY = env("STRIPE_KEY_' + STRIPE[8:] + '")',
        'token = config("SLACK_TOKEN")',
        'aws_secret = env.str("AWS_SECRET_ACCESS_KEY")',
    ],
)
def test_values_read_from_the_environment_pass(shop: Repo, djgate, line: str) -> None:  # type: ignore[no-untyped-def]
    shop.put("orders/conf.py", f"import os\n{line}\n")
    assert codes(djgate) == []


def test_pragma_allowlist_secret_is_honoured_on_the_line_and_the_line_before(shop: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    shop.write("orders/fixtures.py", "# pragma: allowlist nextline secret\nSAMPLE = 1\n")
    shop.stage("orders/fixtures.py")
    shop.commit()
    # The nextline pragma sits on a committed line the change does not touch: the file gives the context.
    shop.put(
        "orders/fixtures.py",
        f'# pragma: allowlist nextline secret\nSAMPLE = "{GITHUB}"\nOTHER = "{STRIPE}"  # pragma: allowlist secret\n',
    )
    assert codes(djgate) == []


def test_only_added_lines_are_judged(shop: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    shop.write("orders/legacy.py", f'OLD = "{GITHUB}"\n\n\ndef f():\n    return 1\n')
    shop.stage("orders/legacy.py")
    shop.commit()
    shop.put("orders/legacy.py", f'OLD = "{GITHUB}"\n\n\ndef f():\n    return 2\n')
    assert codes(djgate) == []
    # A commit that removes the secret does not block either.
    shop.put("orders/legacy.py", "OLD = None\n\n\ndef f():\n    return 1\n")
    assert codes(djgate) == []
    shop.git("rm", "-q", "--cached", "orders/legacy.py")
    assert codes(djgate) == []


def test_all_files_judges_what_is_already_there(shop: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    shop.write("orders/legacy.py", f'OLD = "{GITHUB}"\n')
    shop.write(".env", "DEBUG=1\n")
    shop.stage()
    shop.commit()
    assert codes(djgate) == []
    found = codes(djgate, "--all-files")
    assert ("DJG401", "orders/legacy.py", 1) in found
    assert ("DJG403", ".env", None) in found


def test_named_files_are_judged_whole_unless_staged(shop: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    shop.write("orders/a.py", f'A = "{GITHUB}"\n')
    shop.write("orders/b.py", f'B = "{OTHER_GITHUB}"\n')
    shop.stage()
    shop.commit()
    shop.put("orders/b.py", f'B = "{OTHER_GITHUB}"\nC = 1\n')
    # a.py is not staged: judged whole (pre-commit run --all-files); b.py is: its added line only.
    assert codes(djgate, "orders/a.py", "orders/b.py") == [("DJG401", "orders/a.py", 1)]
    assert codes(djgate, "orders/b.py") == []


def test_whole_file_families_only_with_files(shop: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    result = djgate("check-staged", "--family", "scope", "--all-files")
    assert result.code == 2
    assert "scope judges the staged change as a whole" in result.err
    result = djgate("check-staged", "--family", "secrets", "../elsewhere.py")
    assert result.code == 2 and "outside the repository" in result.err


def detect_secrets_baseline(repo: Repo) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "detect_secrets", "scan"],
        cwd=repo.path,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


def test_baseline_entries_pass_and_the_baseline_is_never_written(shop: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    shop.write("orders/known.py", f'KNOWN = "{GITHUB}"\n')
    shop.stage()
    shop.commit()
    baseline = detect_secrets_baseline(shop)
    assert GITHUB not in baseline and "GitHub Token" in baseline
    shop.write(".secrets.baseline", baseline)
    shop.stage(".secrets.baseline")
    shop.commit()

    # The accepted secret moves down and appears again in the same file: accepted (by hash, not line).
    shop.put("orders/known.py", f'"""Known."""\n\nKNOWN = "{GITHUB}"\nAGAIN = "{GITHUB}"\n')
    assert codes(djgate) == []
    # Another secret is not.
    shop.put("orders/known.py", f'KNOWN = "{GITHUB}"\nNEW = "{OTHER_GITHUB}"\n')
    assert codes(djgate) == [("DJG401", "orders/known.py", 2)]
    # The same secret in another file is not accepted either: the baseline names the file.
    shop.put("orders/copy.py", f'KNOWN = "{GITHUB}"\n')
    assert ("DJG401", "orders/copy.py", 1) in codes(djgate)
    assert (shop.path / ".secrets.baseline").read_text() == baseline


def test_baseline_settings_choose_the_plugins(shop: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    baseline = json.loads(detect_secrets_baseline(shop))
    baseline["plugins_used"] = [p for p in baseline["plugins_used"] if p["name"] != "StripeDetector"]
    baseline["plugins_used"] = [
        p for p in baseline["plugins_used"] if p["name"] not in ("Base64HighEntropyString", "KeywordDetector")
    ]
    shop.write(".secrets.baseline", json.dumps(baseline))
    shop.stage(".secrets.baseline")
    shop.commit()
    shop.put("orders/pay.py", f'stripe = "{STRIPE}"\ngh = "{GITHUB}"\n')
    assert codes(djgate) == [("DJG401", "orders/pay.py", 2)]


@pytest.mark.parametrize(
    ("baseline", "error"),
    [
        ("{not json", "djgate: error: .secrets.baseline is not valid JSON"),
        (
            '{"plugins_used": [{"name": "NoSuchDetector"}], "filters_used": [], "results": {}}',
            "djgate: error: detect-secrets cannot run with the settings of .secrets.baseline",
        ),
    ],
)
def test_a_broken_baseline_is_a_one_line_error(shop: Repo, baseline: str, error: str) -> None:
    shop.write(".secrets.baseline", baseline)
    shop.stage(".secrets.baseline")
    shop.commit()
    shop.put("orders/pay.py", f'stripe = "{STRIPE}"\n')
    result = djgate_process("-v", "check-staged", "--family", "secrets", cwd=shop.path)
    assert result.returncode == 2
    errors = [
        line for line in result.stderr.splitlines() if not line.startswith(("djgate: git ", "djgate: read "))
    ]
    assert len(errors) == 1 and errors[0].startswith(error), result.stderr


def test_binary_and_non_utf8_files(shop: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    shop.put("orders/static/logo.png", b"\x89PNG\r\n\x1a\n\0\0" + GITHUB.encode() + b"\0")
    shop.put("orders/legacy.txt", f"caf\xe9 token={STRIPE}\n".encode("latin-1"))
    shop.put(
        "orders/latin.py",
        f'# -*- coding: latin-1 -*-\nNAME = "caf\xe9"\nKEY = "{STRIPE}"\n'.encode("latin-1"),
    )
    found = codes(djgate)
    assert ("DJG401", "orders/legacy.txt", 1) in found
    assert ("DJG401", "orders/latin.py", 3) in found
    assert not [f for f in found if f[1] == "orders/static/logo.png"]


# -- long lines stay cheap ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        " " * 10_000,
        "a" * 10_000,
        "password = " + " " * 10_000 + "x",
        'password = "' + " " * 10_000 + 'x"',
        "key" + " " * 10_000 + "x",
    ],
    ids=["spaces", "a", "keyword-spaces", "keyword-quoted-spaces", "key-spaces"],
)
def test_a_long_line_reaches_detect_secrets_cut(line: str) -> None:
    """detect-secrets' keyword expressions take seconds on long whitespace runs: what its plugins see of a
    line is cut (runs shortened, windows of LONG_LINE), and such a line yields nothing. (Speed is measured
    in bench/bench_big_files.py, not here.)"""
    file = secretscan.FileToScan("orders/data.py", {1: line}, line.encode())
    assert secretscan.scan([file], {"orders/data.py": [1]}, None, prefilter=True) == []
    for piece in secretscan.pieces(line):
        assert len(piece) <= secretscan.LONG_LINE
        assert " " * (secretscan.WHITESPACE_RUN + 1) not in piece


def test_a_secret_in_a_long_line_is_found(shop: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    minified = "var a=1;" * 1500 + f'var k="{STRIPE}";' + "var b=2;" * 1500
    shop.put("orders/static/app.min.js", minified + "\n")
    assert codes(djgate) == [("DJG401", "orders/static/app.min.js", 1)]


def test_a_secret_in_a_large_file_added_whole_is_found_at_its_line(shop: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    """A file added whole over LARGE_TEXT is searched as one text: its secrets are found at their lines,
    from the staged diff and from the file names a hook is given; a long line in it too."""
    rows = ["id,total,note"] + [f"{i},{i * 3},paid" for i in range(1, 120_000)]
    rows[60_000] = f"60000,1,{STRIPE}"
    rows[90_000] = "x," + "var a=1;" * 500 + f'var k="{STRIPE}";'
    shop.put("orders/data/export.csv", "\n".join(rows) + "\n")
    assert len("\n".join(rows)) > secretscan.LARGE_TEXT
    expected = [("DJG401", "orders/data/export.csv", 60_001), ("DJG401", "orders/data/export.csv", 90_001)]
    assert codes(djgate) == expected
    assert codes(djgate, "orders/data/export.csv") == expected


# What the pre-filter looks for, and what could hide it: a whole line of each route (keywords of every form
# and case, markers, vendor shapes, runs of base64 and hex near the limits), a shape behind another one's
# literal, characters whose case or digits are not ASCII; and pieces that make up more of them.
SECRET_FRAGMENTS = [
    'api_key = "abc123"',
    "database_key: 'x1'",
    "DB_PASS='y1'",
    'password="hunter2"',
    "'abc' == my_secret",
    "'a' != db_pass",
    'contraseña = "x1"',
    "API_\u212aEY = 'x1'",
    "pr\u0130vate_key = 'x1'",
    "passwd: hunter2",
    "xox",
    "hooks.slack.com",
    "SoftLayer",
    "eyJ",
    "AccountKey=",
    "_authToken",
    "PRIVATE KEY",
    "https://u:p@host",
    "https://acct:abcdefghijklmnopqrstuvwx@acct.cloudant.com",
    "://",
    "sq0csp-",
    "k_live_",
    "AKCabcdefghij",
    "AP1abcdefgh",
    "AKIAIOSFODNN7EXAMPLE",
    "AKIAC" + "a1" * 16,
    "ghp_x",
    "glpat-x",
    "-us1",
    "8.8.8.8",
    "\u0661.\u0662.\u0663.\u0664",
    "123456789:" + "Ab" * 17 + "A",
    "M" + "ab" * 12 + ".abcdef.",
    "M" + "\u0663" * 24 + ".abcdef.",
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabc",
    "token " + "a1" * 23,
    "a1" * 23,
    "0123456789abcdef",
    "token " + "a1" * 20,
    "'a' == the_very_long_name_of_the_secret",
    "123.45.67.89",
    "1111111111:" + "Ab" * 17 + "A",
    "deadbeef0",
    "cloudant_key " + "ab" * 12,
    "ab" * 12,
]
PIECES = [
    "api_",
    "key",
    "pass",
    "'",
    '"',
    " = ",
    "==",
    "\t",
    " " * 20,
    "\u017f",
    "é",
    "中文",
    "\ud800",
    "\u0130",
    "@",
]


def placed(gap: int) -> st.SearchStrategy[tuple[str, int]]:
    """A fragment (or any text) and how much filler goes before it, up to `gap` characters."""
    fragment = st.one_of(st.sampled_from(SECRET_FRAGMENTS), st.sampled_from(PIECES), st.text(max_size=20))
    return st.tuples(fragment, st.integers(min_value=0, max_value=gap))


def filled(parts: list[tuple[str, int]], filler: str) -> str:
    return "".join(filler * (gap // len(filler)) + fragment for fragment, gap in parts)


@settings(max_examples=400, deadline=None)
@given(st.lists(placed(1200), min_size=1, max_size=8), st.sampled_from(["(", " ", ";", "é", "a.b "]))
def test_the_windows_of_a_long_line_pass_as_when_each_is_filtered_alone(
    parts: list[tuple[str, int]], filler: str
) -> None:
    """A long line's windows are first marked by what a passing window must hold, searched once over the
    line: the windows that pass are exactly those that pass filtered one by one (hypothesis: a few
    fragments of every route, far apart or together, at every distance from a window's edge)."""
    line = filled(parts, filler)
    line += "(" * max(0, secretscan.LONG_LINE + 1 - len(line))
    windows = secretscan.pieces(line)
    for quoted in (True, False):
        alone = [window for window in windows if secretscan._passing([window], quoted)]
        last, passing = secretscan._long_line(line, quoted)
        assert passing == alone
        assert last == (windows[-1] if len(windows) > 1 else None)


@settings(max_examples=500, deadline=None)
@given(st.lists(placed(40), min_size=1, max_size=6), st.sampled_from([" ", "x", "=", "'"]))
def test_a_plugin_reports_on_a_piece_only_when_the_prefilter_routes_it_there(
    parts: list[tuple[str, int]], filler: str
) -> None:
    """The scan runs on a piece only the plugins `plugins_for` names: whatever a plugin reports on a piece
    (random pieces of secret fragments, keywords, quotes and operators), it is named; and the piece passes
    the pre-filter iff some plugin is named."""
    from detect_secrets.settings import default_settings, get_plugins

    # As decoded from git (invalid UTF-8 replaced): detect-secrets cannot hash a lone surrogate.
    line = filled(parts, filler).encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    with default_settings():
        for path in ("x.py", "x.go", "x.txt"):
            quoted = secretscan.quotes_required(path)
            may = secretscan.plugins_for(line, quoted)
            assert bool(may) == bool(secretscan._passing([line], quoted))
            for plugin in get_plugins():
                if plugin.analyze_line(filename=path, line=line, line_number=1):
                    assert type(plugin).__name__ in may, (path, line)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.lists(placed(700), max_size=4), min_size=1, max_size=30),
    st.sampled_from(["(", " ", "é"]),
    st.integers(min_value=1, max_value=5000),
)
def test_a_file_added_whole_passes_as_its_lines_one_by_one(
    lines: list[list[tuple[str, int]]], filler: str, first: int
) -> None:
    """A large file added whole is searched as one text: the lines it finds are those the pre-filter
    passes line by line (short and long lines, spans that cross a line's end)."""
    texts = [filled(line, filler).replace("\n", " ") for line in lines]
    by_number = {first + i: line for i, line in enumerate(texts)}
    for quoted in (True, False):
        expected = secretscan.candidate_lines(by_number, quoted)
        assert secretscan._text_candidates("\n".join(texts), first, quoted) == expected


def test_the_prefilter_reads_a_dotted_capital_i_as_one_character() -> None:
    """U+0130 lower-cases to two characters: a keyword on a later line of the same batch is still found
    on its own line."""
    lines = {1: "\u0130" * 50, 2: 'password = "hunter2hunter2"', 3: "x"}
    assert secretscan.candidate_lines(lines) == [2]


def test_pieces_cover_a_long_line_in_overlapping_windows() -> None:
    line = "".join(f"{i:05d}," for i in range(5000))
    parts = secretscan.pieces(line)
    assert all(len(p) <= secretscan.LONG_LINE for p in parts)
    assert parts[0] == line[: secretscan.LONG_LINE] and line.endswith(parts[-1][-100:])
    # Every stretch of half a window lies whole inside one piece.
    half = secretscan.LONG_LINE // 2
    for start in range(0, len(line) - half, 97):
        assert any(line[start : start + half] in p for p in parts)
    assert secretscan.pieces("x =" + " " * 100 + "1") == ["x =" + " " * secretscan.WHITESPACE_RUN + "1"]


# -- DJG402 ---------------------------------------------------------------------------------------------

SETTINGS = """import os

SECRET_KEY = "{key}"
DATABASES = {{
    "default": {{
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "shop",
        "PASSWORD": "hunter2",
    }}
}}
CACHES = {{"default": {{"BACKEND": "x", "OPTIONS": {{"PASSWORD": "redispass"}}, "KEY_PREFIX": "shop"}}}}
EMAIL_HOST_PASSWORD = "mailpass"
AWS_SECRET_ACCESS_KEY: str = "abc/def"
AWS_ACCESS_KEY_ID = "shop-uploads"
DATABASES["replica"]["PASSWORD"] = "replicapass"
"""


def test_settings_secrets_are_refused_with_the_environment_line(shop: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    shop.put("shop/settings.py", SETTINGS.format(key=INSECURE))
    result = findings(djgate)
    assert [(f["code"], f["line"]) for f in result] == [
        ("DJG402", 3),
        ("DJG402", 8),
        ("DJG402", 11),
        ("DJG402", 12),
        ("DJG402", 13),
        ("DJG402", 15),
    ]
    messages = [f["message"] for f in result]
    assert messages[0] == "SECRET_KEY is a literal: 'djan...' (58 characters)"
    assert messages[1] == "DATABASES / default / PASSWORD is a literal: 'h...' (7 characters)"
    assert messages[2] == "CACHES / default / OPTIONS / PASSWORD is a literal: 're...' (9 characters)"
    assert messages[5] == "DATABASES / replica / PASSWORD is a literal: 're...' (11 characters)"
    hints = [str(f["hint"]).splitlines()[0] for f in result]
    assert hints[0] == 'read it from the environment: SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]'
    assert hints[1] == 'read it from the environment: "PASSWORD": os.environ["DATABASE_PASSWORD"],'
    assert hints[2] == 'read it from the environment: "PASSWORD": os.environ["CACHE_PASSWORD"],'
    assert hints[3] == 'read it from the environment: EMAIL_HOST_PASSWORD = os.environ["EMAIL_HOST_PASSWORD"]'
    out = json.dumps(result)
    for value in (INSECURE, "hunter2", "redispass", "mailpass", "replicapass"):
        assert value not in out


@pytest.mark.parametrize(
    "content",
    [
        'SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]\n',
        'SECRET_KEY = env("DJANGO_SECRET_KEY")\nDATABASES = {"default": env.db()}\n',
        'SECRET_KEY = config("SECRET_KEY", default="")\n',
        'SECRET_KEY = ""\nEMAIL_HOST_PASSWORD = ""\nDATABASES = {"default": {"PASSWORD": ""}}\n',
        'PASSWORD_RESET_TIMEOUT = 3600\nAUTH_PASSWORD_VALIDATORS = [{"NAME": "x"}]\nCACHES = {"default": {"KEY_PREFIX": "s"}}\n',
    ],
)
def test_settings_without_literal_secrets_pass(shop: Repo, djgate, content: str) -> None:  # type: ignore[no-untyped-def]
    shop.put("shop/settings.py", "import os\n" + content)
    assert codes(djgate) == []


def test_a_django_insecure_fallback_is_refused(shop: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    shop.put("shop/settings.py", f'import os\nSECRET_KEY = os.environ.get("SECRET_KEY", "{INSECURE}")\n')
    (finding,) = findings(djgate)
    assert (finding["code"], finding["line"]) == ("DJG402", 2)
    assert (
        finding["message"]
        == "SECRET_KEY has a django-insecure key as its fallback: 'djan...' (58 characters)"
    )


def test_only_added_settings_lines_count(shop: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    shop.write("shop/settings.py", 'SECRET_KEY = "old-committed-key"\n')
    shop.stage()
    shop.commit()
    shop.put("shop/settings.py", 'SECRET_KEY = "old-committed-key"\nUSE_TZ = True\n')
    assert codes(djgate) == []


def test_settings_modules_by_path_and_configuration(shop: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    assert is_settings_module("shop/settings.py")
    assert is_settings_module("config/settings/production.py")
    assert is_settings_module("shop/settings_prod.py") and is_settings_module("local_settings.py")
    assert not is_settings_module("orders/views.py") and not is_settings_module("shop/settings.txt")
    assert is_settings_module("src/conf/base.py", "conf.base")
    assert is_settings_module("conf/base/__init__.py", "conf.base")

    shop.put("conf/base.py", 'EMAIL_HOST_PASSWORD = "mailpass"\n')
    assert codes(djgate) == [("DJG401", "conf/base.py", 1)]  # a keyword to detect-secrets; no DJG402
    shop.write("pyproject.toml", '[tool.djgate]\nsettings = "conf.base"\n')
    assert codes(djgate) == [("DJG402", "conf/base.py", 1)]  # DJG402 now, and DJG401 leaves it


def test_djg401_reports_settings_lines_when_djg402_is_off(shop: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    shop.put("shop/settings.py", 'EMAIL_HOST_PASSWORD = "mailpass"\n')
    assert codes(djgate) == [("DJG402", "shop/settings.py", 1)]
    assert codes(djgate, "--ignore", "DJG402") == [("DJG401", "shop/settings.py", 1)]


# -- DJG404 ---------------------------------------------------------------------------------------------


def test_debug_true_warns_in_production_like_settings(shop: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    shop.put("shop/settings.py", "INSTALLED_APPS = ['orders', 'billing']\nDEBUG = True\n")
    shop.put("config/settings/production.py", "DEBUG = True\n")
    shop.put("config/settings/dev.py", "DEBUG = True\n")
    shop.put("local_settings.py", "DEBUG = True\n")
    shop.put("tests/settings.py", "DEBUG = True\n")
    shop.put("config/settings/staging.py", 'DEBUG = os.environ.get("DJANGO_DEBUG") == "1"\n')
    result = djgate("check-staged", "--family", "secrets")
    assert result.code == 0  # a warning
    assert "shop/settings.py:2: DJG404 (warning) DEBUG = True" in result.out
    assert codes(djgate) == [
        ("DJG404", "config/settings/production.py", 1),
        ("DJG404", "shop/settings.py", 2),
    ]


def test_dev_settings_names() -> None:
    dev = ["settings/dev.py", "settings/local.py", "test_settings.py", "settings_ci.py", "tests/settings.py"]
    prod = ["shop/settings.py", "settings/production.py", "settings/__init__.py", "settings/base.py"]
    assert all(is_dev_settings(p) for p in dev)
    assert not any(is_dev_settings(p) for p in prod)


# -- DJG403, DJG405 -------------------------------------------------------------------------------------


def test_secret_files_by_name() -> None:
    secret = [
        ".env",
        "deploy/.env.production",
        ".env.local",
        "certs/server.key",
        "tls/cert.pem",
        "a/b.p12",
        "id_rsa",
        "home/.ssh/id_ed25519",
    ]
    fine = [
        ".env.example",
        ".env.sample",
        ".env.template",
        ".env.dist",
        ".env.local.example",
        "id_rsa.pub",
        "envs.py",
        "keys.py",
    ]
    assert all(is_secret_file(p) for p in secret)
    assert not any(is_secret_file(p) for p in fine)


def test_added_secret_files_are_refused_binary_ones_too(shop: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    shop.write(".gitignore", "__pycache__/\n")
    shop.stage(".gitignore")
    shop.commit()
    shop.put("certs/client.p12", b"0\x82\x0b\x00\x02\x01\x03\0\0\xff")
    shop.put("deploy/id_rsa", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n")
    shop.put(".env.example", "STRIPE_KEY=\n")
    found = codes(djgate)
    assert ("DJG403", "certs/client.p12", None) in found
    assert ("DJG403", "deploy/id_rsa", None) in found
    assert ("DJG401", "deploy/id_rsa", 1) in found  # its content too
    assert ("DJG405", ".gitignore", None) in found  # .env.example invites a .env that is not ignored
    assert not [f for f in found if f[1] == ".env.example" and f[0] == "DJG403"]
    text = djgate("check-staged", "--family", "secrets")
    assert "certs/client.p12: DJG403 client.p12 is a file of secrets" in text.out
    assert "git rm --cached -- certs/client.p12" in text.out


def test_a_rename_into_env_is_an_addition(shop: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    shop.write(".env.example", "STRIPE_KEY=\n")
    shop.write(".gitignore", ".env\n")
    shop.stage()
    shop.commit()
    shop.git("mv", ".env.example", ".env")
    assert codes(djgate) == [("DJG403", ".env", None)]


def test_env_is_ignored_reads_the_gitignore_files_down_to_it(shop: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    assert env_is_ignored(".env", {".gitignore": b"*.pyc\n.env\n"})
    assert env_is_ignored(".env", {".gitignore": b".env*\n!.env.example\n"})
    assert not env_is_ignored(".env", {".gitignore": b".env\n!.env\n"})
    assert not env_is_ignored(".env", {".gitignore": b".env/\n"})
    assert env_is_ignored("backend/.env", {".gitignore": b".env\n"})
    assert not env_is_ignored("backend/.env", {".gitignore": b"/.env\n"})
    assert env_is_ignored("backend/.env", {".gitignore": b"/.env\n", "backend/.gitignore": b".env\n"})

    shop.put(".gitignore", ".env\n")
    shop.put(".env.example", "STRIPE_KEY=\n")
    assert codes(djgate) == []


def test_a_baseline_that_lowers_an_entropy_limit_widens_what_is_scanned(shop: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    """`detect-secrets scan --base64-limit 3 --hex-limit 1.5` writes lower limits to the baseline: strings of
    fewer distinct characters than the default limits need are then secrets, and the pre-filter, made for
    the defaults, must not skip the lines that hold them."""
    token, digits = "Zx8Qw3Rt5Yu7Ip9Zx8Qw3R", "ab12ab12ab"  # 14 distinct (4.5 needs 23); 4 hex (3.0 needs 9)
    text = f'TOKEN = "{token}"\nCODE = "{digits}"\n'
    shop.put("orders/cfg.py", text)
    assert codes(djgate) == []  # the default limits: neither is a secret
    baseline = json.loads(detect_secrets_baseline(shop))
    for plugin in baseline["plugins_used"]:
        if plugin["name"] == "Base64HighEntropyString":
            plugin["limit"] = 3.0
        elif plugin["name"] == "HexHighEntropyString":
            plugin["limit"] = 1.5
    shop.write(".secrets.baseline", json.dumps(baseline))
    shop.stage(".secrets.baseline")
    shop.git("reset", "-q", "--", "orders/cfg.py")
    shop.commit()
    shop.stage("orders/cfg.py")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "detect_secrets",
            "scan",
            "orders/cfg.py",
            "--base64-limit",
            "3",
            "--hex-limit",
            "1.5",
        ],
        cwd=shop.path,
        capture_output=True,
        text=True,
        check=True,
    )
    reported = {(s["type"], s["line_number"]) for s in json.loads(result.stdout)["results"]["orders/cfg.py"]}
    assert reported == {("Base64 High Entropy String", 1), ("Hex High Entropy String", 2)}
    assert codes(djgate) == [("DJG401", "orders/cfg.py", 1), ("DJG401", "orders/cfg.py", 2)]


def test_the_line_filters_of_detect_secrets_still_drop_what_a_plugin_reports(shop: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    """detect-secrets' line filters drop a line before its plugins read it; djgate asks them only once a
    plugin reports something, with the same verdict: an indirect reference (a value looked up by a name
    that looks like a token), a pragma at the end of a long line (whose windows do not hold it)."""
    lookup = f'token = settings.get("{OTHER_GITHUB}")'
    long_line = f'TOKENS = ["{GITHUB}", ' + '"x", ' * 400 + "]  # pragma: allowlist secret"
    shop.put("orders/keys.py", f'{lookup}\n{long_line}\nSTRIPE = "{STRIPE}"\n')
    result = subprocess.run(
        [sys.executable, "-m", "detect_secrets", "scan", "orders/keys.py"],
        cwd=shop.path,
        capture_output=True,
        text=True,
        check=True,
    )
    reported = {s["line_number"] for s in json.loads(result.stdout)["results"]["orders/keys.py"]}
    assert reported == {3}
    assert codes(djgate) == [("DJG401", "orders/keys.py", 3)]
