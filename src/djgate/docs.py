"""`djgate rules` and `djgate explain`: the rule docs, from the registry (one source for both)."""

from __future__ import annotations

import json
import textwrap

from djgate.config import Config
from djgate.errors import DjgateError
from djgate.rules import Rule, all_rules


def find_rule(code: str) -> Rule:
    key = code.strip().upper()
    if key in all_rules():
        return all_rules()[key]
    by_name = {r.name: r for r in all_rules().values()}
    if code in by_name:
        return by_name[code]
    raise DjgateError(f"no rule '{code}'; `djgate rules` lists them")


def configured_severity(r: Rule, config: Config) -> str:
    """The severity a rule has in this configuration: "off" when `ignore`/`select` leave it out."""
    return config.severity_for(r.code, r.severity) if config.enabled(r.code) else "off"


def rules_table(config: Config | None = None) -> str:
    """Every rule with its severity in `config` (the repository's; None: the defaults)."""
    config = config or Config()
    rows = [("CODE", "NAME", "SEVERITY", "SUMMARY")]
    rows += [(r.code, r.name, configured_severity(r, config), r.summary) for r in all_rules().values()]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row[:3], widths, strict=False)) + "  " + row[3]
        for row in rows
    ]
    source = "defaults: no [tool.djgate] found" if config.source == "defaults" else config.source
    return "\n".join([*lines, f"(severities from {source})"])


def rules_json(config: Config | None = None) -> str:
    config = config or Config()
    return json.dumps(
        [
            {
                "code": r.code,
                "name": r.name,
                "family": r.family,
                "severity": configured_severity(r, config),
                "default_severity": r.severity,
                "summary": r.summary,
            }
            for r in all_rules().values()
        ],
        indent=2,
    )


def other_severity(r: Rule) -> str:
    return "a warning" if r.severity == "error" else "an error (blocking)"


def explain_rule(code: str) -> str:
    r = find_rule(code)

    def section(title: str, text: str) -> str:
        return f"## {title}\n" + "\n".join(textwrap.fill(p, 100) for p in text.split("\n\n")) + "\n"

    def example(title: str, text: str) -> str:
        return f"{title}:\n" + textwrap.indent(text, "    ") + "\n"

    return "\n".join(
        [
            f"# {r.code} {r.name}",
            f"Default severity: {r.severity}. Family: {r.family}.\n",
            section("What it checks", r.what),
            section("Why it matters", r.why),
            section("How to fix it", r.fix),
            "## Example",
            example("Bad", r.bad),
            example("Good", r.good),
            f'Turn it off with `ignore = ["{r.code}"]` in [tool.djgate], or make it {other_severity(r)} with '
            f'`severity = {{{r.code} = "{"warning" if r.severity == "error" else "error"}"}}`.',
        ]
    )
