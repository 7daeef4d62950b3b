"""`djgate demo` end to end: a real repository, the native hooks, real commits."""

from __future__ import annotations

import re
from pathlib import Path

from djgate.demo import STEPS, django_available

from .conftest import djgate_process


def test_demo_refuses_what_it_should(tmp_path: Path) -> None:
    result = djgate_process("demo", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    rows = {}
    for line in result.stdout.splitlines():
        match = re.match(r"(\d+)\s{2,}.*?\s{2,}.*?\s{2,}(accepted|warned|refused|skipped)\s*(.*)$", line)
        if match:
            rows[int(match[1])] = (match[2], match[3].split())
    with_django = django_available()
    assert rows == {
        1: ("accepted", []),
        2: ("refused", ["DJG101"]),
        3: ("refused", ["DJG104"]),
        4: ("refused", ["DJG201"]),
        5: ("refused", ["DJG202"]),
        6: ("accepted", []),
        7: ("refused", ["DJG301"]) if with_django else ("skipped", ["needs", "Django"]),
        8: ("refused", ["DJG303"]),
        9: ("refused", ["DJG304"]),
        10: ("refused", ["DJG402"]),
        11: ("refused", ["DJG501"]),
        12: ("refused", ["DJG109"]),
        13: ("warned", ["DJG606"]),
        14: ("warned", ["DJG607"]),
        15: ("warned", ["DJG307"]),
    }
    assert len(rows) == len(STEPS)
    where = re.search(r"The repository stays at (\S+):", result.stdout)
    assert where is not None
    repo = Path(where[1])
    assert (repo / ".git").is_dir()
    log = (repo / ".git" / "logs" / "HEAD").read_text()
    assert "feat(orders): add a note to orders" in log
    assert "fix(billing): round invoice totals" in log
    assert "refactor(orders): drop the creation date" in log  # a warning does not refuse
    assert "round invoice totals again" not in log
    assert "django-insecure-5x" not in result.stdout  # the refused secret is never printed
