"""A long YAML or INI file is read around its added lines only: the same secrets, at the same lines, as
detect-secrets' reading of the whole file, which the equivalence tests below compare against."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from djgate.rules import secretscan

from .conftest import Repo, family_findings
from .shapes import manifest

STRIPE = "sk_live_Ab3dEf6hIj9kLm2nOp5qRs8t"
# Values of the shapes a manifest or a settings file holds, secret or not.
VALUES = [
    f'"{STRIPE}"',
    '"AKIAIOSFODNN7EXAMPLE"',
    "hunter2xyz",
    '"N2Zk8qP0vLm3xR7tY9wB1cE5hJ6kU4sAgDfZ"',
    "info",
    "8080",
    '"registry.example.com/shop:1.4.2"',
    "${DATABASE_PASSWORD}",
]
KEYS = ["password", "api_key", "image", "token", "log_level", "replicas", "stripe_secret_key", "note"]


def ini(sections: int) -> list[str]:
    lines = []
    for i in range(sections):
        lines += [f"[worker_{i}]", f"queue = jobs_{i}", "concurrency = 4", f"note = worker number {i}", ""]
    return lines


def found(path: str, lines: list[str], numbers: list[int], whole: bool, monkeypatch: Any) -> list[Any]:
    if whole:
        monkeypatch.setattr(secretscan, "LOCAL_FROM", 10**9)
    content = "\n".join(lines).encode()
    file = secretscan.FileToScan(path, {n: lines[n - 1] for n in numbers}, content)
    try:
        return sorted(
            (s.line, s.kind, s.hashed) for s in secretscan.scan([file], {path: numbers}, None, prefilter=True)
        )
    finally:
        monkeypatch.undo()


edits = st.lists(
    st.tuples(st.integers(0, 10**6), st.sampled_from(KEYS), st.sampled_from(VALUES), st.integers(1, 2)),
    min_size=1,
    max_size=4,
)


def insert(lines: list[str], edits: list[tuple[int, str, str, int]], place: Any) -> list[int]:
    """Insert a line for each edit where `place(lines, *edit)` says (0-based index, text); the numbers of
    the added lines in the result."""
    numbers: list[int] = []
    for edit in edits:
        index, text = place(lines, *edit)
        lines.insert(index, text)
        numbers = [n + 1 if n > index else n for n in numbers] + [index + 1]
    return sorted(set(numbers))


def same_either_way(path: str, lines: list[str], numbers: list[int]) -> None:
    monkeypatch = pytest.MonkeyPatch()
    assert found(path, lines, numbers, False, monkeypatch) == found(path, lines, numbers, True, monkeypatch)


def yaml_line(lines: list[str], where: int, key: str, value: str, depth: int) -> tuple[int, str]:
    index = where % len(lines)
    nested = lines[index].startswith(" ") or index
    return index, ("  " * depth if nested else "") + f"{key}: {value}"


def ini_line(lines: list[str], where: int, key: str, value: str, _: int) -> tuple[int, str]:
    return 1 + where % (len(lines) - 1), f"{key} = {value}"  # after the first section's header


@settings(max_examples=40, deadline=None)
@given(edits=edits)
def test_yaml_read_around_the_added_lines_finds_what_the_whole_reading_finds(
    edits: list[tuple[int, str, str, int]],
) -> None:
    lines = manifest(150)
    same_either_way("deploy/app.yaml", lines, insert(lines, edits, yaml_line))


@settings(max_examples=30, deadline=None)
@given(edits=edits)
def test_ini_read_around_the_added_lines_finds_what_the_whole_reading_finds(
    edits: list[tuple[int, str, str, int]],
) -> None:
    lines = ini(250)
    same_either_way("deploy/workers.ini", lines, insert(lines, edits, ini_line))


def test_a_long_manifest_is_read_around_its_change(monkeypatch: pytest.MonkeyPatch) -> None:
    lines = manifest(300)
    lines.insert(1501, f"  stripe_secret_key: {STRIPE}")
    read: list[int] = []
    original = secretscan._local_versions

    def spy(path: str, raw: list[str], numbers: list[int]) -> Any:
        result = original(path, raw, numbers)
        read.append(sum(1 for line in (result or [[]])[0] if line))
        return result

    monkeypatch.setattr(secretscan, "_local_versions", spy)
    secrets = found("deploy/app.yaml", lines, [1502], False, monkeypatch)
    assert (1502, "Stripe Access Key") in [(line, kind) for line, kind, _ in secrets]
    assert 0 < read[0] <= 10  # the entry holding the line, not the file's 3,000 lines


@pytest.mark.parametrize(
    "case",
    [
        "alias-of-an-anchor-elsewhere",
        "root-block-scalar",
        "before-the-first-entry",
        "default-section",
        "quoted-scalar-continued-at-column-0",
    ],
)
def test_blocks_that_do_not_read_alone_fall_back_to_the_whole_file(case: str) -> None:
    path, lines = "deploy/app.yaml", manifest(150)
    if case == "alias-of-an-anchor-elsewhere":
        lines[1] = "  image: &image registry.example.com/app:1"
        lines.insert(701, f"  secret: *image\n  stripe_secret_key: {STRIPE}")
        lines = "\n".join(lines).split("\n")
        number = 703
    elif case == "root-block-scalar":
        lines = ["--- |", *(f"line {i}" for i in range(1200)), f"stripe_secret_key: {STRIPE}"]
        number = len(lines)
    elif case == "before-the-first-entry":
        lines = ["# deploy", f"  stripe_secret_key: {STRIPE}", *manifest(150)]
        number = 2
    elif case == "quoted-scalar-continued-at-column-0":
        # A double-quoted value may go on at column 0: that line starts no entry of its own.
        lines = manifest(150)
        lines[700:700] = ['password: "first part of it', f'{STRIPE}"']
        number = 702
    else:
        path, lines = "deploy/workers.ini", ["[DEFAULT]", "x = 1", *ini(250)]
        lines.insert(500, f"stripe_secret_key = {STRIPE}")
        number = 501
    assert secretscan._local_versions(path, lines, [number]) is None
    same_either_way(path, lines, [number])


def test_the_staged_hook_finds_a_secret_in_a_long_manifest(shop: Repo, djgate: Any) -> None:
    lines = manifest(300)
    shop.write("orders/deploy.yaml", "\n".join(lines) + "\n")
    shop.stage()
    shop.commit()
    lines.insert(2001, f"  stripe_secret_key: {STRIPE}")
    shop.put("orders/deploy.yaml", "\n".join(lines) + "\n")
    findings = family_findings("secrets", djgate)
    assert {(f["code"], f["path"], f["line"]) for f in findings} == {("DJG401", "orders/deploy.yaml", 2002)}
    assert not any(STRIPE in str(f) for f in findings)
