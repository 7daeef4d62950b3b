"""Reporters: findings out as text for a terminal, or JSON for tools. Commit text is sanitized first."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from typing import IO, TYPE_CHECKING, Any

from djgate.findings import Finding

if TYPE_CHECKING:
    from djgate.engine import RangeReport

FORMATS = ("text", "json", "github", "sarif")
JSON_VERSION = 1

# Escape sequences (CSI, OSC, other ESC forms), C0/C1 controls but tab and newline, DEL, and the
# bidirectional overrides that make text read differently from what it is.
# (Strings, compiled by re on first use: a run that reports nothing does not compile them.)
_ESCAPES = r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])"
_CONTROLS = "[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]"


def sanitize(text: str) -> str:
    """Text from commits, made safe for a terminal: no escape sequences or control characters."""
    return re.sub(_CONTROLS, "", re.sub(_ESCAPES, "", text))


def _text_field(text: str) -> str:
    """One field of a text line (path, commit, message): a line break in it is shown as `\\n`, never
    printed, so no field starts a line of its own (a fake finding, summary or workflow command)."""
    return sanitize(text.replace("\r", "\\r").replace("\n", "\\n"))


def _text_path(path: str) -> str:
    """A path for a text line, quoted the way git quotes one (`"a\\nb"`) when it holds a control
    character or starts with `:` (a line that starts with `::` is a GitHub workflow command)."""
    if not path.startswith(":") and not re.search(_CONTROLS + "|[\n\t]", path):
        return path
    escaped = path.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    return '"' + re.sub(_CONTROLS, _escaped_char, escaped) + '"'


def _escaped_char(match: re.Match[str]) -> str:
    code = ord(match[0])
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


_SURROGATES = "[\ud800-\udfff]"


def encodable(text: str) -> str:
    """A file name's bytes that are not UTF-8 (kept by os.fsdecode as lone surrogates, which no UTF-8
    stream or JSON file can hold) shown as `\\xNN`, the byte they stand for."""
    return re.sub(_SURROGATES, _byte_escape, text) if not text.isascii() else text


def _byte_escape(match: re.Match[str]) -> str:
    code = ord(match[0])
    return f"\\x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF else f"\\u{code:04x}"


def _encodable(finding: Finding, escape_path: bool = True) -> Finding:
    """A finding whose texts (from commits: a message echoed, a file name) show no known token in full
    and no byte a UTF-8 stream cannot hold (`escape_path`: the path too; SARIF percent-encodes it)."""
    from djgate.tokens import redacted

    texts = (finding.path, finding.message, finding.hint)
    if all(t is None or (t.isascii() and redacted(t) is t) for t in texts):
        return finding
    path = redacted(finding.path) if finding.path else finding.path
    return finding._replace(
        path=encodable(path) if path and escape_path else path,
        message=encodable(redacted(finding.message)),
        hint=encodable(redacted(finding.hint)) if finding.hint else finding.hint,
    )


def summary(findings: Sequence[Finding]) -> dict[str, Any]:
    counts = {s: sum(1 for f in findings if f.severity == s) for s in ("error", "warning", "notice")}
    return {
        "errors": counts["error"],
        "warnings": counts["warning"],
        "notices": counts["notice"],
        "blocking": counts["error"] > 0,
    }


def render_json(findings: Sequence[Finding], extra: dict[str, Any] | None = None) -> str:
    import json

    return json.dumps(
        {
            "version": JSON_VERSION,
            "findings": [
                {
                    "code": f.code,
                    "severity": f.severity,
                    "message": f.message,
                    "path": f.path,
                    "line": f.line,
                    "commit": f.commit,
                    "hint": f.hint,
                }
                for f in findings
            ],
            "summary": {**summary(findings), **(extra or {})},
        },
        indent=2,
    )


def use_color(stream: IO[str]) -> bool:
    return "NO_COLOR" not in os.environ and stream.isatty()


def render_text(findings: Sequence[Finding], color: bool = False) -> str:
    if not findings:
        return ""
    paint = _painter(color)
    lines: list[str] = []
    for f in findings:
        where = ":".join(str(p) for p in (f.path and _text_path(f.path), f.line) if p is not None)
        commit = f"{_text_field(f.commit[:12])} " if f.commit else ""
        label = paint(f.code, "31" if f.severity == "error" else "33")
        tag = "" if f.severity == "error" else f" ({f.severity})"
        prefix = f"{commit}{where}: " if where else commit
        lines.append(f"{prefix}{label}{tag} " + _text_field(f.message))
        if f.hint:  # several lines by design; each indented, so none can pass for a finding or a command
            lines.extend("    " + sanitize(h) for h in f.hint.splitlines())
    counts = summary(findings)
    verdict = "refused" if counts["blocking"] else "allowed"
    lines.append(
        paint(f"djgate: {counts['errors']} error(s), {counts['warnings']} warning(s): {verdict}", "1")
    )
    return "\n".join(lines)


def _painter(color: bool) -> Any:
    def paint(text: str, code: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if color else text

    return paint


def _with_hint(f: Finding) -> str:
    return f"{f.message}\n{f.hint}" if f.hint else f.message


def _escape_data(text: str) -> str:
    # GitHub's workflow-command escaping: with CR and LF escaped, nothing can start a command line.
    return sanitize(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


GITHUB_LEVELS = {"error": "error", "warning": "warning", "notice": "notice"}


def render_github(findings: Sequence[Finding]) -> str:
    """GitHub Actions workflow annotations, one line each."""
    lines = []
    for f in findings:
        props = []
        if f.path:
            props.append(f"file={_escape_property(f.path)}")
            if f.line:
                props.append(f"line={f.line}")
        title = f"{f.code} ({f.commit[:12]})" if f.commit else f.code
        props.append(f"title={_escape_property(title)}")
        lines.append(f"::{GITHUB_LEVELS[f.severity]} {','.join(props)}::{_escape_data(_with_hint(f))}")
    counts = summary(findings)
    lines.append(f"djgate: {counts['errors']} error(s), {counts['warnings']} warning(s)")
    return "\n".join(lines)


SARIF_LEVELS = {"error": "error", "warning": "warning", "notice": "note"}
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_COMMIT_LOCATION = "pyproject.toml"  # where djgate's configuration lives: the place of commit findings


def render_sarif(findings: Sequence[Finding]) -> str:
    """SARIF 2.1.0 for code-scanning upload, with every rule's metadata from `djgate explain`."""
    import json

    from djgate import __version__
    from djgate.docs import explain_rule
    from djgate.rules import all_rules

    rules_by_code = all_rules()
    index = {code: i for i, code in enumerate(rules_by_code)}
    rules = [
        {
            "id": r.code,
            "name": r.name,
            "shortDescription": {"text": r.summary},
            "fullDescription": {"text": r.what},
            "help": {"text": explain_rule(r.code), "markdown": explain_rule(r.code)},
            "defaultConfiguration": {"level": SARIF_LEVELS[r.severity]},
            "properties": {"tags": [r.family]},
        }
        for r in rules_by_code.values()
    ]
    results = []
    for f in findings:
        result: dict[str, Any] = {
            "ruleId": f.code,
            "ruleIndex": index[f.code],
            "level": SARIF_LEVELS[f.severity],
            "message": {"text": sanitize(_with_hint(_encodable(f)))},
        }
        # GitHub code scanning rejects a result without a location: a finding about a commit rather than
        # a file (DJG101, DJG201, ...) is placed on SARIF_COMMIT_LOCATION, line 1, fingerprinted by its
        # commit so that two commits' findings stay two alerts.
        uri = _uri(f.path) if f.path else SARIF_COMMIT_LOCATION
        result["locations"] = [
            {"physicalLocation": {"artifactLocation": {"uri": uri}, "region": {"startLine": f.line or 1}}}
        ]
        if not f.path:
            result["partialFingerprints"] = {"djgateCommitFinding/v1": _fingerprint(f)}
        if f.commit:
            result["properties"] = {"commit": f.commit}
        results.append(result)
    run = {
        "tool": {
            "driver": {
                "name": "djgate",
                "version": __version__,
                "informationUri": "https://pypi.org/project/djgate/",
                "rules": rules,
            }
        },
        "results": results,
        "columnKind": "unicodeCodePoints",
    }
    return json.dumps({"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}, indent=2)


def _fingerprint(f: Finding) -> str:
    import hashlib

    return hashlib.sha256(f"{f.code}\0{f.commit or ''}\0{f.message}".encode()).hexdigest()


def _uri(path: str) -> str:
    """A repository path as a relative URI: its bytes percent-encoded, so that a name that is not UTF-8
    keeps the bytes it has (`caf%E9.py`)."""
    from urllib.parse import quote

    return quote(os.fsencode(path))


def _cell(text: str) -> str:
    return sanitize(text).replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;").replace("`", "'")


def range_markdown(report: RangeReport) -> str:
    """A Markdown table of a range's verdicts, for $GITHUB_STEP_SUMMARY or a merge request note."""
    from djgate.tokens import redacted

    verdicts = report.verdicts
    refused = sum(v.blocking for v in verdicts)
    lines = [
        f"### djgate: {len(verdicts)} commit(s) checked, {refused} refused",
        "",
        f"Django was booted {report.django_boots} time(s) to decide DJG301.",
        "",
        "| commit | header | verdict | codes | overrides |",
        "| --- | --- | --- | --- | --- |",
    ]
    for v in verdicts:
        header = redacted((v.changeset.message or "").split("\n", 1)[0])
        codes = sorted({f.code for f in v.findings if f.severity != "notice"})
        verdict = "refused" if v.blocking else "accepted"
        overridden = ", ".join(o.code for o in v.overrides)
        lines.append(
            f"| `{v.changeset.short}` | {_cell(header)} | {verdict} | {' '.join(codes)} | {overridden} |"
        )
    if report.skipped:
        lines += ["", f"**Skipped** ({len(report.skipped)}, by the configuration)", ""]
        lines += [f"- `{s.commit[:12]}` {_cell(s.reason)}" for s in report.skipped]
    if report.overrides:
        lines += ["", "**Overrides**", ""]
        for o in report.overrides:
            commit = (o.commit or "")[:12]
            lines.append(
                f"- `{commit}` {o.code} by {_cell(o.author or 'unknown')}: {_cell(redacted(o.reason))}"
            )
    return "\n".join(lines) + "\n"


def range_extra(report: RangeReport) -> dict[str, Any]:
    from djgate.tokens import redacted

    return {
        "commits": len(report.verdicts),
        "refused": sum(v.blocking for v in report.verdicts),
        "range": {"base": report.rev_range.base, "tip": report.rev_range.tip},
        "django_boots": report.django_boots,
        "skipped": [{"commit": s.commit, "reason": s.reason} for s in report.skipped],
        "overrides": [
            {"commit": o.commit, "code": o.code, "reason": redacted(o.reason), "author": o.author}
            for o in report.overrides
        ],
    }


def render(
    findings: Sequence[Finding], fmt: str, stream: IO[str], extra: dict[str, Any] | None = None
) -> str:
    # A SARIF uri keeps the path's own bytes, percent-encoded; everything else shows `\xNN`.
    findings = [_encodable(f, escape_path=fmt != "sarif") for f in findings]
    if fmt == "sarif":
        return render_sarif(findings)
    if fmt == "json":
        return render_json(findings, extra)
    if fmt == "github":
        return render_github(findings)
    return render_text(findings, color=use_color(stream))
