"""detect-secrets as a library, on the lines a change adds.

detect-secrets scans whole files, and importing it costs more than a whole djgate hook. So each added line
first meets a pre-filter: linear regular expressions for what every detect-secrets plugin needs to see
before it can match (a keyword of the keyword plugin, a vendor prefix, a long run of base64 or hex characters
with enough distinct characters to pass the entropy limit, ...). Only the lines that pass are handed to
detect-secrets, which is imported only then: a commit without such a line never imports it. When the
installed detect-secrets has plugins this module does not know, or the baseline adds plugins of its own,
every added line is handed over.

detect-secrets has regular expressions that take seconds (quadratic or worse) on long lines; lines reach it
with whitespace runs shortened, and lines longer than `LONG_LINE` are cut into overlapping windows, so the
cost stays linear in the length of the change.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, ClassVar, NamedTuple

from djgate.changeset import LinesByNumber
from djgate.errors import DjgateError

BASELINE = ".secrets.baseline"
LONG_LINE = 1000  # characters; longer lines are scanned in windows of this size, overlapping by half
WHITESPACE_RUN = 16  # longer runs of spaces and tabs are cut to this length before scanning

# The plugin modules of detect-secrets the pre-filter knows (a test keeps this equal to the installed ones).
KNOWN_PLUGIN_MODULES = frozenset(
    {
        "artifactory",
        "aws",
        "azure_storage_key",
        "basic_auth",
        "cloudant",
        "discord",
        "github_token",
        "gitlab_token",
        "high_entropy_strings",
        "ibm_cloud_iam",
        "ibm_cos_hmac",
        "ip_public",
        "jwt",
        "keyword",
        "mailchimp",
        "npm",
        "openai",
        "private_key",
        "pypi_token",
        "sendgrid",
        "slack",
        "softlayer",
        "square_oauth",
        "stripe",
        "telegram_token",
        "twilio",
    }
)

# File types whose values detect-secrets reads through a parser (YAML, INI) that joins continuation lines:
# the raw added lines do not show what it scans, so their added lines always go to detect-secrets.
YAML_SUFFIXES = (".yaml", ".yml", ".eyaml")
INI_SUFFIXES = (".ini", ".cfg", ".conf", ".cnf", ".cf")
PARSED_SUFFIXES = YAML_SUFFIXES + INI_SUFFIXES

_KEYWORDS = (
    r"api_?key|auth_?key|service_?key|account_?key|db_?key|database_?key|priv_?key|private_?key|client_?key"
    r"|db_?pass|database_?pass|key_?pass|password|passwd|pwd|secret|contrase(?:ñ|n)a"
)
# Source files of the languages detect-secrets knows: never read as YAML or INI (an INI reading needs a
# [section] line, and the eager one is for files of no known type).
CODE_SUFFIXES = (
    ".py",
    ".pyi",
    ".js",
    ".go",
    ".java",
    ".m",
    ".php",
    ".swift",
    ".cs",
    ".c",
    ".cpp",
    ".cls",
    ".tf",
)
# Where the keyword plugin takes unquoted values (config files and Go; detect-secrets' types by extension).
QUOTES_OPTIONAL_SUFFIXES = (*PARSED_SUFFIXES, ".properties", ".toml", ".go")
# Cheap screens first (substring tests run in C): most lines of code contain none of these.
KEYWORD_PARTS = ("key", "pass", "pwd", "secret", "contrase")  # in every keyword, lower-cased
# Each marker, and each vendor shape below, with the plugin it is the route of (see `plugins_for`).
LITERAL_MARKERS = {
    "eyJ": "JwtTokenDetector",
    "AccountKey=": "AzureStorageKeyDetector",
    "_authToken": "NpmDetector",
    "PRIVATE KEY": "PrivateKeyDetector",
    "PuTTY-User-Key-File": "PrivateKeyDetector",
    "T3BlbkFJ": "OpenAIDetector",
    "pypi-Ag": "PypiTokenDetector",
    "SG.": "SendGridDetector",
    "sq0csp-": "SquareOAuthDetector",
    "k_live_": "StripeDetector",
    "GR1348941": "GitLabTokenDetector",
}
LOWER_MARKERS = {"xox": "SlackDetector", "hooks.slack.com": "SlackDetector", "softlayer": "SoftlayerDetector"}
# The vendor shapes: those that start with a literal (with the literals they may start with), an IP
# address, ...
LITERAL_SHAPES = (
    (("AKC",), r"AKC[a-zA-Z0-9]{10}", "ArtifactoryDetector"),
    (("AP",), r"AP[\dA-F][a-zA-Z0-9]{8}", "ArtifactoryDetector"),
    (
        ("A3T", "ABIA", "ACCA", "AKIA", "ASIA"),
        r"(?:A3T[A-Z0-9]|ABIA|ACCA|AKIA|ASIA)[0-9A-Z]{16}",
        "AWSKeyDetector",
    ),
    (("gh",), r"gh[pousr]_", "GitHubTokenDetector"),
    (("gl",), r"gl(?:pat|dt|ft|soat|rt|cbt|imt|ptt|agent|oas)-", "GitLabTokenDetector"),
    (("-us",), r"-us\d", "MailchimpDetector"),
    (("AC", "SK"), r"(?:AC|SK)[a-z0-9]{32}", "TwilioKeyDetector"),
)
IP_SHAPE = r"[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}"  # IPPublicDetector (its octets: ASCII digits)
# ... and those that hold a run of 23 or more characters of the base64 set.
RUN_SHAPES = {
    r"\d{8,10}:[0-9A-Za-z_-]{35}": "TelegramBotTokenDetector",
    r"[MNO][a-zA-Z\d_-]{23,25}\.[a-zA-Z\d_-]{6}\.": "DiscordBotTokenDetector",
}
# The entropy plugins' default limits: a string passes Base64HighEntropyString only with more than 2**4.5
# (22.6) distinct characters, HexHighEntropyString with more than 2**3 (8): the runs looked for below.
ENTROPY_LIMITS = {"Base64HighEntropyString": 4.5, "HexHighEntropyString": 3.0}
BASE64_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/\\=_-")
HEX_CHARS = frozenset("0123456789ABCDEFabcdef")


class _Patterns:
    """The pre-filter's regular expressions, compiled on first use (the hook pays for them only then): those
    of every line at once, the others when first asked for."""

    def __init__(self) -> None:
        self.keyword = {quoted: re.compile("|".join(_keyword_pattern(quoted))) for quoted in (True, False)}
        self.keyword_part = re.compile("|".join(KEYWORD_PARTS))  # searched in the lower-cased text
        # One expression each: most start with a literal, which the engine finds without trying every
        # position (an alternation of them costs ten times more).
        self.shapes = tuple(
            re.compile(pattern)
            for pattern in (*(shape for _, shape, _ in LITERAL_SHAPES), IP_SHAPE, *RUN_SHAPES)
        )
        self.base64_run = re.compile(r"[A-Za-z0-9+/\\=_-]{23,}")  # Base64HighEntropyString's charset
        self.hex_run = re.compile(r"[0-9A-Fa-f]{9,}")
        # ibm_cloud_iam, ibm_cos_hmac, softlayer and the AWS secret key: 40 characters after a keyword.
        self.run_keyword = re.compile(r"(?i:key|pw|pass|token|aws)")
        # cloudant's API key: 24 letters after cl(oudant)_key, _password, ...
        self.cloudant = re.compile(r"(?i:cl(?:ou(?:dant)?)?[-_]?(?:api)?(?:key|pw|pass|token))")
        self.letters_24 = re.compile(r"[A-Za-z]{24}")

    @functools.cached_property
    def whitespace(self) -> re.Pattern[str]:
        return re.compile(rf"[ \t]{{{WHITESPACE_RUN + 1},}}")

    @functools.cached_property
    def env_read(self) -> re.Pattern[str]:
        return re.compile(
            r"""(?:\bos\.environ(?:\.get|\.setdefault)?|\bos\.getenv|\bgetenv|\benviron(?:\.get)?|\benv(?:\.\w+)?"""
            r"""|\bconfig)\s*[\[(]\s*(['"])[^'"\n]*\1"""
        )

    @functools.cached_property
    def long_lines(self) -> _LongLinePatterns:
        return _LongLinePatterns()


class _LongLinePatterns:
    """What `_window_marks` looks for in a long line, over its bytes: each a single pass at C speed."""

    def __init__(self) -> None:
        self.keyword_forms = {
            quoted: tuple(map(re.compile, _keyword_pattern(quoted))) for quoted in (True, False)
        }
        # The keyword parts and the lower-case markers, in the lower-cased bytes; the literal markers and the
        # literals the vendor shapes start with (each shape is then tried where one is found).
        self.lower_literals = re.compile(
            b"|".join(re.escape(m.encode()) for m in (*KEYWORD_PARTS, *LOWER_MARKERS))
        )
        self.markers = frozenset(m.encode() for m in (*LITERAL_MARKERS, *LOWER_MARKERS, "://"))
        prefixes = sorted({prefix for prefixes, _, _ in LITERAL_SHAPES for prefix in prefixes})
        self.literals = re.compile(
            b"|".join(re.escape(m.encode()) for m in (*LITERAL_MARKERS, "://", *prefixes))
        )
        self.literal_shapes = tuple(re.compile(shape) for _, shape, _ in LITERAL_SHAPES)
        self.run_shapes = tuple(map(re.compile, RUN_SHAPES))
        self.ip = re.compile(IP_SHAPE)
        # A byte of the base64 set (Base64HighEntropyString's), or a hex digit, to "x"; any other to " ";
        # the third: a byte of the base64 set or not ASCII (see discord's token).
        self.run_tables = tuple(
            bytes(ord("x") if chr(byte) in chars or byte > high else ord(" ") for byte in range(256))
            for chars, high in ((BASE64_CHARS, 255), (HEX_CHARS, 255), (BASE64_CHARS, 127))
        )
        self.newline_table = bytes(ord("\n") if byte == ord("\n") else ord("x") for byte in range(256))
        self.digit_table = bytes(  # digits to "0", a dot stays, any other byte to " "
            ord("0") if b"0"[0] <= byte <= b"9"[0] else byte if byte == b"."[0] else ord(" ")
            for byte in range(256)
        )


def _keyword_pattern(quoted: bool) -> tuple[str, str]:
    """What the keyword plugin's regular expressions all need: a keyword (its word read atomically with
    (?=(...))(?P=...)), an assignment, comparison or a quote within 50 characters, then the secret, which
    starts with a word character and, in most file types, a quote before it. Or a quoted value compared
    with a keyword on its right. The two forms apart: the first starts with its keyword."""
    quote = "['\"`]" if quoted else "['\"`]?"
    ws = r"[^\S\n]*"  # whitespace within the line: the pre-filter searches many lines joined by newlines
    return (
        rf"(?i:(?:{_KEYWORDS})(?=(?P<rest>\w*))(?P=rest)"
        rf"(?:(?:\[\d*\])?[\]'\"]{{0,2}}{ws}[:=!][:=!>]{{0,2}}{ws}@?{quote}\w|\S{{0,50}}{ws}['\"`]\w))",
        rf"(?i:['\"`]{ws}[!=]{{2,3}}{ws}\w*(?:{_KEYWORDS}))",
    )


@functools.cache
def _patterns() -> _Patterns:
    return _Patterns()


def quotes_required(path: str) -> bool:
    """Does the keyword plugin want the value quoted in this file? Not in config files and Go, where
    `password = hunter2` counts."""
    return not path.endswith(QUOTES_OPTIONAL_SUFFIXES)


def is_candidate(line: str, quoted: bool = True) -> bool:
    """Could any detect-secrets plugin report something on this line (as `pieces` hands it over)? False
    means: surely not. `quoted`: see `quotes_required`."""
    return bool(candidate_lines({1: line}, quoted))


def candidate_lines(lines: Mapping[int, str], quoted: bool = True) -> list[int]:
    """The numbers of the lines that pass the pre-filter (see `is_candidate`)."""
    if isinstance(lines, LinesByNumber) and len(lines.added.text) >= LARGE_TEXT:
        return _text_candidates(lines.added.text, lines.added.first, quoted)
    long = [n for n, text in lines.items() if len(text) > LONG_LINE]
    short = [n for n, text in lines.items() if len(text) <= LONG_LINE]
    found = {short[i] for i in _passing([lines[n] for n in short], quoted)} if short else set()
    found.update(n for n in long if _long_line(lines[n], quoted)[1])
    return sorted(found)


LARGE_TEXT = 1 << 20  # characters: a file added whole this large is searched as one text, not line by line


def _text_candidates(text: str, first: int, quoted: bool) -> list[int]:
    """`candidate_lines` of a large file added whole, from its text (its lines joined by newlines, the first
    numbered `first`): the spans `_trigger_spans` finds mark the lines that may pass, which alone are
    filtered; the lines longer than LONG_LINE as `_long_line` does. Neither the lines nor a number per line
    is made: a 50 MB file costs a few passes over its bytes."""
    long: dict[int, int] = {}  # line index -> where it starts
    if "\n" not in text:  # one line (a minified file): no newline to search for
        if len(text) > LONG_LINE:
            long[0] = 0
    else:
        data = text.encode("utf-8", "surrogatepass")
        mapped = data.translate(_patterns().long_lines.newline_table)
        to_char, newlines = _CharPositions(data), _Newlines(text)
        # Lines of more than LONG_LINE bytes: a superset of those of so many characters.
        for position, end in _runs(mapped, LONG_LINE + 1, gap=b"\n"):
            at = to_char(position)
            start = text.rfind("\n", 0, at) + 1
            if to_char(end) - start > LONG_LINE:
                long[newlines.line_of(at)] = start
    marked: dict[int, int] = {}  # line index -> a position in it
    long_spans: dict[int, list[tuple[int, int]]] = {i: [] for i in long}  # in the line's characters
    newlines = _Newlines(text)
    for start, end in sorted(_trigger_spans(text, quoted)):
        index = newlines.line_of(start)
        marked.setdefault(index, start)
        if index in long:
            long_spans[index].append((start - long[index], end - long[index]))
        newline = text.find("\n", start, end)
        while newline >= 0:  # a span over the end of a line (a shape searched around a run) meets the next
            index += 1
            marked.setdefault(index, newline + 1)
            if index in long:
                long_spans[index].append((0, end - long[index]))
            newline = text.find("\n", newline + 1, end)
    short = sorted(marked.keys() - long.keys())
    found = (
        {short[i] for i in _passing([_line_at(text, marked[i]) for i in short], quoted)} if short else set()
    )
    # A long line's spans are those the text's search found over it: what the line's own would find, or more.
    found.update(
        i for i, start in long.items() if _long_line(_line_at(text, start), quoted, long_spans[i])[1]
    )
    return sorted(first + i for i in found)


def _line_at(text: str, position: int) -> str:
    """The line of the text that holds this position (a newline ends the line before it)."""
    end = text.find("\n", position)
    return text[text.rfind("\n", 0, position) + 1 : None if end < 0 else end]


class _Newlines:
    """The line index of a position in a text, asked for in order (or a little back): the newlines between
    it and the last position asked for are counted."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.position = self.index = 0

    def line_of(self, position: int) -> int:
        if position >= self.position:
            self.index += self.text.count("\n", self.position, position)
        else:
            self.index -= self.text.count("\n", position, self.position)
        self.position = position
        return self.index


def _long_line(
    line: str, quoted: bool, spans: list[tuple[int, int]] | None = None
) -> tuple[str | None, list[str]]:
    """A long line's last window (None when the line is one piece) and its pieces that pass, asked for by
    the pre-filter, then by the scan of the same line: only the windows `_window_marks` marks are made.
    `spans`: what `_trigger_spans` would find in the line, or more, when the caller found them already
    (a file searched as one text); used when the line has no whitespace to cut. The last two lines asked
    for are kept."""
    key = (line, quoted)
    if spans is None and key in _LONG_LINES:
        return _LONG_LINES[key]
    text = _cut(line)
    count = _window_count(text)
    if count == 1:
        found: tuple[str | None, list[str]] = (None, [text] if _passing([text], quoted) else [])
    else:
        step = LONG_LINE // 2
        if spans is None or text is not line:
            spans = _trigger_spans(text, quoted)
        marks = _window_marks(spans, count)
        windows = [text[k * step : k * step + LONG_LINE] for k in sorted(marks)]
        last = text[(count - 1) * step : (count - 1) * step + LONG_LINE]
        found = (last, [windows[i] for i in sorted(_passing(windows, quoted))])
    _LONG_LINES.pop(key, None)
    if len(_LONG_LINES) >= 2:
        del _LONG_LINES[next(iter(_LONG_LINES))]
    _LONG_LINES[key] = found
    return found


_LONG_LINES: dict[tuple[str, bool], tuple[str | None, list[str]]] = {}


def _window_marks(spans: list[tuple[int, int]], count: int) -> set[int]:
    """Which of the `count` windows of a long line (its text after `pieces`' whitespace cut) may pass: those
    that meet one of the spans `_trigger_spans` found in it."""
    step = LONG_LINE // 2
    marks: set[int] = set()
    for start, end in spans:
        marks.update(range(max(0, (start - LONG_LINE) // step + 1), min(count - 1, (end - 1) // step) + 1))
    return marks


def _trigger_spans(text: str, quoted: bool) -> list[tuple[int, int]]:
    """Spans of the text that a window or line must meet to pass: each route of `_passing` needs a keyword
    part or marker, a literal marker, a vendor shape, or a run of 23 base64 or 9 hex characters; each is
    looked for once over the text and checked where found. A superset: a match inside a window or line is a
    match in the text (no pattern looks around or crosses a newline), and whatever the text's search finds
    at or over its start meets it. Literals run as one search; the runs and the digits over the text's
    bytes mapped to two values, at C speed."""
    spans: list[tuple[int, int]] = []
    mark = spans.append
    patterns = _patterns().long_lines
    starting, ending = patterns.keyword_forms[quoted]
    data = text.encode("utf-8", "surrogatepass")
    lower = _folded(text).encode("utf-8", "surrogatepass").lower()
    near = _Near(lower, text)
    for start, end, literal in _literals(patterns.lower_literals, lower):
        if literal in patterns.markers:
            mark((start, end))
            continue
        # A keyword starts at most 13 characters before the part found (database_key), or inside it (a part
        # the search stepped over); the compared form ends with one, at most a window before.
        for at in range(max(0, start - 13), end):
            found = starting.match(text, at)
            if found:
                mark(found.span())
        for found in ending.finditer(text, max(0, start - LONG_LINE), end + 16):
            mark(found.span())
    for start, end, literal in _literals(patterns.literals, data):
        if literal in patterns.markers:
            mark((start, end))
            continue
        for at in range(start, end):  # a shape may start inside the literal found
            for shape in patterns.literal_shapes:
                found = shape.match(text, at)
                if found:
                    mark(found.span())
    for table, least in zip(patterns.run_tables[:2], (23, 9), strict=True):
        to_char = _CharPositions(data)
        for position, end in _runs(data.translate(table), least):
            start = to_char(position)
            run = data[position:end]
            stop = start + len(run)
            # A window holds part of the run: no more distinct characters (9 hex digits), no longer.
            if len(set(run)) >= 9 if least == 9 else near.base64_run_may_pass(run, start, stop):
                mark((start, stop))
            elif least == 23:  # a telegram or discord token around it
                around = (max(0, start - 11), start + len(run) + 8)
                if any(shape.search(text, *around) for shape in patterns.run_shapes):
                    mark(around)
    if not data.isascii():
        # Discord's token may hold digits of any script (\d), which break a run of ASCII bytes: runs of
        # 24 bytes that are base64 or not ASCII, holding some of the latter, are tried too.
        to_char = _CharPositions(data)
        for position, end in _runs(data.translate(patterns.run_tables[2]), 24):
            if not data[position:end].isascii():
                around = (to_char(position), to_char(end) + 8)
                if patterns.run_shapes[1].search(text, *around):
                    mark(around)
    mapped = data.translate(patterns.digit_table)
    position = mapped.find(b"0.0")
    to_char = _CharPositions(data)
    while position >= 0:  # an IP address: a digit, a dot and a digit, up to 2 digits before, 13 after
        start = to_char(position)
        around = (max(0, start - 2), start + 16)
        if patterns.ip.search(text, *around):
            mark(around)
        position = mapped.find(b"0.0", position + 1)
    return spans


def _folded(text: str) -> str:
    """The text with the four characters that match an ASCII letter of a keyword case-insensitively (the
    Kelvin sign, a long s, a dotted and a dotless i) made that letter: its bytes lower-cased by
    `bytes.lower` then hold whatever `str.lower` and a case-insensitive search of the keywords would find,
    at the same character positions."""
    if not text.isascii():
        for character, letter in (("\u212a", "k"), ("\u017f", "s"), ("\u0130", "i"), ("\u0131", "i")):
            if character in text:  # str.translate with a mapping: a second per 5 MB
                text = text.replace(character, letter)
    return text


def _literals(pattern: re.Pattern[bytes], data: bytes) -> Iterator[tuple[int, int, bytes]]:
    """Where the pattern (literals) is found in a text's bytes: (start, end) in characters, and what."""
    to_char = _CharPositions(data)
    for match in pattern.finditer(data):
        start = to_char(match.start())
        yield start, start + len(match[0]), match[0]


def _runs(mapped: bytes, least: int, gap: bytes = b" ") -> Iterator[tuple[int, int]]:
    """The runs of `least` or more bytes other than `gap` in bytes mapped to two values: (start, end)."""
    needle = b"x" * least
    position = mapped.find(needle)
    while position >= 0:
        end = mapped.find(gap, position)
        end = len(mapped) if end < 0 else end
        yield position, end
        position = mapped.find(needle, end)


class _Near:
    """What the entropy plugins need around a run of base64 characters of a long line: where the keywords
    they want near are (in the folded lower-cased bytes) is looked for once, when a run first asks."""

    KEYWORDS: ClassVar[dict[str, bytes]] = {
        "run": rb"key|pw|pass|token|aws",
        "cloudant": rb"cl(?:ou(?:dant)?)?[-_]?(?:api)?(?:key|pw|pass|token)",
    }

    def __init__(self, lower: bytes, text: str) -> None:
        self.lower = lower
        self.text = text
        self.found: dict[str, list[int]] = {}

    def base64_run_may_pass(self, run: bytes, start: int, stop: int) -> bool:
        """Can a window holding part of the run [start, stop) pass by it? A part has no more distinct
        characters and is no longer: 23 distinct, or 40 long with key, pass, ... in the window, or 24
        letters with cloudant's name in the window."""
        if len(set(run)) >= 23:
            return True
        if len(run) >= 40 and self._any("run", start - LONG_LINE, stop + LONG_LINE):
            return True
        return (
            len(run) >= 24
            and self._any("cloudant", start - LONG_LINE, stop + LONG_LINE)
            and _patterns().letters_24.search(self.text, start, stop) is not None
        )

    def _any(self, kind: str, start: int, stop: int) -> bool:
        if kind not in self.found:
            to_char = _CharPositions(self.lower)
            self.found[kind] = [to_char(m.start()) for m in re.finditer(self.KEYWORDS[kind], self.lower)]
        starts = self.found[kind]
        i = bisect.bisect_left(starts, start)
        return i < len(starts) and starts[i] < stop


class _CharPositions:
    """Byte positions of a text's UTF-8 bytes to character positions, asked in increasing order, each at
    an ASCII byte or the start of a character."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.ascii = data.isascii()
        self.byte = self.char = 0

    def __call__(self, position: int) -> int:
        if self.ascii:
            return position
        self.char += len(self.data[self.byte : position].decode("utf-8", "surrogatepass"))
        self.byte = position
        return self.char


def _passing(texts: list[str], quoted: bool) -> set[int]:
    """Indexes of the texts (lines without newlines) that pass: each regular expression runs once over
    all of them joined, which costs a fraction of running them line by line; none crosses a newline."""
    patterns = _patterns()
    text = "\n".join(texts)
    lower = _lowered(text)
    starts = list(itertools.accumulate((len(t) + 1 for t in texts[:-1]), initial=0))

    def at(position: int) -> int:
        return bisect.bisect_right(starts, position) - 1

    found: set[int] = set()
    keyword_lines = {at(m.start()) for m in patterns.keyword_part.finditer(lower)}
    keyword = patterns.keyword[quoted]
    found.update(i for i in keyword_lines if keyword.search(texts[i]))
    for haystack, markers in ((text, LITERAL_MARKERS), (lower, LOWER_MARKERS), (text, ("://",))):
        for marker in markers:
            position = haystack.find(marker)
            while position >= 0:
                i = at(position)
                if marker != "://" or "@" in texts[i]:  # basic_auth, and cloudant's URL form
                    found.add(i)
                position = haystack.find(marker, position + 1)
    for shape in patterns.shapes:
        found.update(at(m.start()) for m in shape.finditer(text))
    long_runs: set[int] = set()
    for run in patterns.base64_run.finditer(text):
        # Entropy above 4.5 bits needs at least 23 distinct characters (log2(23) > 4.5).
        if len(set(run[0])) >= 23:
            found.add(at(run.start()))
        elif len(run[0]) >= 40:
            long_runs.add(at(run.start()))
    found.update(i for i in long_runs - found if patterns.run_keyword.search(texts[i]))
    for run in patterns.letters_24.finditer(text):
        i = at(run.start())
        if i not in found and patterns.cloudant.search(texts[i]):
            found.add(i)
    # Entropy above 3.0 bits needs at least 9 distinct hex digits.
    found.update(at(run.start()) for run in patterns.hex_run.finditer(text) if len(set(run[0])) >= 9)
    return found


# The plugins of the shapes, in the order of `_Patterns.shapes`.
SHAPE_PLUGINS = (
    *(plugin for _, _, plugin in LITERAL_SHAPES),
    "IPPublicDetector",
    *RUN_SHAPES.values(),
)
# A keyword and 40 or more characters of a base64 run: the secret forms of these plugins (an AWS secret
# access key, IBM's keys, softlayer's and cloudant's 64-character ones).
RUN_KEYWORD_PLUGINS = (
    "AWSKeyDetector",
    "IbmCloudIamDetector",
    "IbmCosHmacDetector",
    "SoftlayerDetector",
    "CloudantDetector",
)
ROUTED_PLUGINS = frozenset(
    {
        *LITERAL_MARKERS.values(),
        *LOWER_MARKERS.values(),
        *SHAPE_PLUGINS,
        *RUN_KEYWORD_PLUGINS,
        "KeywordDetector",
        "BasicAuthDetector",
        "Base64HighEntropyString",
        "HexHighEntropyString",
    }
)


def plugins_for(text: str, quoted: bool) -> set[str]:
    """The plugins (class names) that may report on a piece (a line, or a window of a long one): each route
    of `_passing` checked alone, for the plugins it is the route of; a plugin of ROUTED_PLUGINS not named
    surely reports nothing on the piece, so it need not run (the pieces of a minified file pass by their
    hex runs: the hex plugin alone, not all 27, reads them). `_passing` is true of the piece iff this is
    not empty."""
    patterns = _patterns()
    lower = _lowered(text)
    found: set[str] = set()
    if patterns.keyword_part.search(lower) and patterns.keyword[quoted].search(text):
        found.add("KeywordDetector")
    found.update(plugin for marker, plugin in LITERAL_MARKERS.items() if marker in text)
    found.update(plugin for marker, plugin in LOWER_MARKERS.items() if marker in lower)
    if "://" in text and "@" in text:
        found.update(("BasicAuthDetector", "CloudantDetector"))
    for shape, plugin in zip(patterns.shapes, SHAPE_PLUGINS, strict=True):
        if plugin not in found and shape.search(text):
            found.add(plugin)
    runs = patterns.base64_run.findall(text)
    if any(len(set(run)) >= 23 for run in runs):
        found.add("Base64HighEntropyString")
    if any(len(run) >= 40 for run in runs) and patterns.run_keyword.search(text):
        found.update(RUN_KEYWORD_PLUGINS)
    if (
        "CloudantDetector" not in found
        and patterns.letters_24.search(text)
        and patterns.cloudant.search(text)
    ):
        found.add("CloudantDetector")
    if any(len(set(run)) >= 9 for run in patterns.hex_run.findall(text)):
        found.add("HexHighEntropyString")
    return found


def _lowered(text: str) -> str:
    """The text lower-cased, a character for a character, so positions in it are the text's: U+0130 (I with
    a dot) is the one character whose lower case is two, an "i" and a combining dot, neither of which is
    in a keyword part or a marker; it becomes the "i" alone."""
    return (text.replace("\u0130", "i") if "\u0130" in text else text).lower()


def pieces(line: str) -> list[str]:
    """What detect-secrets sees of a line: whitespace runs shortened; a long line in overlapping windows."""
    text = _cut(line)
    step = LONG_LINE // 2
    return [text[k * step : k * step + LONG_LINE] for k in range(_window_count(text))]


def _cut(line: str) -> str:
    """The line with its runs of spaces and tabs shortened to WHITESPACE_RUN."""
    if len(line) > WHITESPACE_RUN and ("\t" in line or " " * (WHITESPACE_RUN + 1) in line):
        line = _patterns().whitespace.sub(" " * WHITESPACE_RUN, line)
    return line


def _window_count(text: str) -> int:
    """How many windows of LONG_LINE, overlapping by half, cover the text (one when it is not longer)."""
    return 1 if len(text) <= LONG_LINE else len(range(0, len(text) - LONG_LINE // 2, LONG_LINE // 2))


@functools.cache
def plugins_known() -> bool:
    """Does the pre-filter know every plugin of the installed detect-secrets? (Read without importing it.)"""
    import importlib.util

    spec = importlib.util.find_spec("detect_secrets")
    if spec is None or not spec.submodule_search_locations:
        return False
    directory = os.path.join(next(iter(spec.submodule_search_locations)), "plugins")
    try:
        names = {
            n[:-3] for n in os.listdir(directory) if n.endswith(".py") and n not in ("__init__.py", "base.py")
        }
    except OSError:
        return False
    return names <= KNOWN_PLUGIN_MODULES


# -- the baseline --------------------------------------------------------------------------------------


class Baseline(NamedTuple):
    """What an existing `.secrets.baseline` says: detect-secrets' settings, and the secrets it accepts."""

    settings: Mapping[str, Any]  # plugins_used and filters_used
    accepted: frozenset[tuple[str, str, str]]  # (path, secret type, sha1 of the secret)

    @property
    def unknown_plugins(self) -> bool:
        """Does it use plugins the pre-filter cannot speak for: one loaded from a path, or an entropy plugin
        whose limit is below the default the pre-filter's counts of distinct characters are made for
        (`detect-secrets scan --base64-limit 3`: strings of 9 distinct characters may be secrets)?"""
        for plugin in self.settings.get("plugins_used", ()):
            if not isinstance(plugin, dict) or "path" in plugin:
                return True
            default = ENTROPY_LIMITS.get(str(plugin.get("name")))
            limit = plugin.get("limit", default)
            if default is not None and not (isinstance(limit, (int, float)) and limit >= default):
                return True
        return False


def read_baseline(data: bytes | None) -> Baseline | None:
    if data is None:
        return None
    import json

    fix = f"regenerate it with `detect-secrets scan > {BASELINE}`"
    try:
        raw = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise DjgateError(f"{BASELINE} is not valid JSON ({exc}); {fix}") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("results", {}), dict):
        raise DjgateError(f"{BASELINE} is not a detect-secrets baseline; {fix}")
    if "plugins_used" not in raw or any(not isinstance(p, dict) for p in raw.get("plugins_used", ())):
        raw = _upgraded(raw, fix)
    accepted = set()
    try:
        for path, entries in raw.get("results", {}).items():
            for entry in entries:
                accepted.add((path, entry["type"], entry["hashed_secret"]))
    except (TypeError, KeyError, AttributeError):
        raise DjgateError(f"{BASELINE}: unreadable results; {fix}") from None
    settings = {k: raw[k] for k in ("plugins_used", "filters_used") if k in raw}
    return Baseline(settings, frozenset(accepted))


def _upgraded(raw: dict[str, Any], fix: str) -> dict[str, Any]:
    """A baseline written by an older detect-secrets, in today's format (detect-secrets' own upgrades)."""
    from detect_secrets.core import baseline

    try:
        return dict(baseline.upgrade(raw))
    except Exception as exc:  # any shape detect-secrets cannot read is the user's file to fix
        raise DjgateError(f"{BASELINE} cannot be read by detect-secrets ({exc!r}); {fix}") from None


# -- scanning ------------------------------------------------------------------------------------------


class FileToScan(NamedTuple):
    path: str
    added: Mapping[int, str]  # line number -> text, the lines the change adds
    content: bytes | None  # the new content, when asked for (None: not read)


class FoundSecret(NamedTuple):
    path: str
    line: int
    kind: str  # detect-secrets' secret type, e.g. "AWS Access Key"
    value: str  # never printed in full: see tokens.masked
    hashed: str  # sha1 of the value, as in .secrets.baseline


def prefilter_applies(baseline: Baseline | None) -> bool:
    """Can the pre-filter tell which lines the plugins may report? Not for plugins it does not know."""
    return plugins_known() and not (baseline is not None and baseline.unknown_plugins)


def wanted_lines(path: str, added: Mapping[int, str], prefilter: bool) -> list[int]:
    """The added lines of a file detect-secrets must see: those that pass the pre-filter, or all of them
    when it does not apply (and for YAML and INI files, read through a parser that joins lines)."""
    if not prefilter or path.endswith(PARSED_SUFFIXES):
        return sorted(added)
    return candidate_lines(added, quotes_required(path))


def scan(
    files: Sequence[FileToScan], wanted: Mapping[str, list[int]], baseline: Baseline | None, prefilter: bool
) -> list[FoundSecret]:
    """Run detect-secrets' plugins and filters (as configured by the baseline, else its defaults) on the
    wanted lines of each file, with the file's content as context; drop what the baseline accepts."""
    import logging

    from detect_secrets.settings import default_settings, transient_settings

    # detect-secrets logs the secrets it skips (at INFO) and its own errors, which djgate reports itself in
    # one line: its log stays out of djgate's output, -v or not.
    logging.getLogger("detect-secrets").disabled = True
    settings = default_settings() if baseline is None else transient_settings(dict(baseline.settings))
    found: list[FoundSecret] = []
    try:
        with settings:
            _configure()
            for file in files:
                numbers = wanted.get(file.path)
                if numbers:
                    found.extend(_scan_file(file, numbers, prefilter))
    except DjgateError:
        raise
    except Exception as exc:  # a baseline naming a plugin or filter that cannot be loaded
        if baseline is None:
            raise  # detect-secrets' own defaults failed: a bug to report, with its traceback
        raise DjgateError(
            f"detect-secrets cannot run with the settings of {BASELINE} ({exc or type(exc).__name__}): a "
            "plugin or filter it names does not load here; fix its plugins_used and filters_used, or "
            "regenerate it with this detect-secrets"
        ) from None
    if baseline is not None:
        found = [s for s in found if (s.path, s.kind, s.hashed) not in baseline.accepted]
    return found


def _configure() -> None:
    from detect_secrets.settings import get_filters, get_settings

    settings = get_settings()
    # Never verify secrets over the network from a hook; the files are not on disk as detect-secrets expects.
    settings.disable_filters(
        "detect_secrets.filters.common.is_ignored_due_to_verification_policies",
        "detect_secrets.filters.common.is_invalid_file",
        "detect_secrets.filters.common.is_baseline_file",
    )
    settings.filters.setdefault("detect_secrets.filters.allowlist.is_line_allowlisted", {})
    get_filters.cache_clear()


class _Filters:
    """detect-secrets' filters, grouped by the arguments they need (as its own scan loop does)."""

    def __init__(self) -> None:
        from detect_secrets.settings import get_filters

        every = list(get_filters())
        self.by_need: dict[tuple[str, ...], list[Any]] = {
            need: [f for f in every if set(need) <= f.injectable_variables]
            for need in (("filename",), ("line",), ("secret",), ("context",))
        }

    def out(self, need: tuple[str, ...], **kwargs: Any) -> bool:
        from detect_secrets.util.inject import call_function_with_arguments

        for filter_fn in self.by_need[need]:
            try:
                if call_function_with_arguments(filter_fn, **kwargs):
                    return True
            except TypeError:  # a filter that needs arguments this call does not have
                continue
        return False


def _scan_file(file: FileToScan, numbers: list[int], prefilter: bool) -> Iterator[FoundSecret]:
    filters = _Filters()
    if filters.out(("filename",), filename=file.path):
        return
    raw = _text(file).split("\n")
    seen: set[tuple[int, str, str]] = set()
    any_found = False
    for lines in _local_versions(file.path, raw, numbers) or _line_versions(file.path, raw):
        for secret in _scan_lines(file.path, lines, numbers, filters, prefilter):
            key = (secret.line, secret.kind, secret.value)
            if key not in seen:
                seen.add(key)
                any_found = True
                yield secret
        if any_found:  # like detect-secrets: the eager reading only when the first found nothing
            return


def _text(file: FileToScan) -> str:
    if file.content is None:  # no content read: the added lines alone, at their numbers
        last = max(file.added, default=0)
        return "\n".join(file.added.get(n, "") for n in range(1, last + 1))
    return file.content.decode("utf-8", "replace")


LOCAL_FROM = 1000  # lines: a longer YAML or INI file is read around its added lines only
# A line that starts a top-level YAML entry: `key:`, `"quoted key":`, `- item`, a document marker.
YAML_ENTRY = re.compile(
    r"""(?:"[^"]*"|'[^']*'|[^\s#'"?&*!|>%@`{\[\]}][^:#]*?)[ \t]*:(?:[ \t]|$)"""  # a key
    r"|-(?:[ \t]|$)|---|\.\.\."  # a sequence item, a document marker
)


def _local_versions(path: str, raw: list[str], numbers: list[int]) -> list[list[str]] | None:
    """For a long YAML or INI file, what its reader makes of the top-level blocks (a YAML document's
    top-level entries, an INI section) that hold the wanted lines, every other line blanked so the numbers
    stay: a three-line change to a 30,000-line manifest costs a three-line read, not a 30,000-line one.
    None (read the whole file) for a short file, when a block boundary is not certain, or when the blocks
    do not read alone (an alias of an anchor elsewhere, a flow collection across a boundary)."""
    if len(raw) < LOCAL_FROM or not numbers:
        return None
    if path.endswith(YAML_SUFFIXES):
        if any(line.startswith(("---", "...")) and line.rstrip() not in ("---", "...") for line in raw):
            return None  # content on a document marker line (a root block scalar): boundaries unsure
        starts = [i for i, line in enumerate(raw) if line[:1] not in ("", " ", "\t", "#")]
        if not all(YAML_ENTRY.match(raw[i]) for i in starts):
            return None  # a line at column 0 that starts no entry (a quoted scalar's continuation, say)
    elif path.endswith(INI_SUFFIXES):
        starts = [i for i, line in enumerate(raw) if line.startswith("[")]
        if any(raw[i].strip().lower() == "[default]" for i in starts):
            return None  # its keys are every section's
    else:
        return None
    keep = [False] * len(raw)
    for number in numbers:
        index = number - 1
        i = bisect.bisect_right(starts, index) - 1
        if i < 0:
            return None  # before the first boundary: no block to read alone
        end = starts[i + 1] if i + 1 < len(starts) else len(raw)
        for n in range(starts[i], end):
            keep[n] = True
    local = [line if kept else "" for line, kept in zip(raw, keep, strict=True)]
    read = _transformed(path, "\n".join(local))
    return [read] if read is not None else None


def _transformed(path: str, text: str, eager: bool = False) -> list[str] | None:
    """detect-secrets' reading of a file's text through its transformers (eager: the INI reading it tries on
    files of no known type); None when none applies or the text does not parse."""
    from detect_secrets.transformers import get_transformed_file

    named = _named_text()(text)
    named.name = path
    return get_transformed_file(named, use_eager_transformers=eager)


@functools.cache
def _named_text() -> type[Any]:
    """A text file in memory with a name (what detect-secrets' transformers read): one class for the run,
    not one per file (a class is a reference cycle the collector must find)."""
    import io

    class Named(io.StringIO):
        name = ""

    return Named


def _line_versions(path: str, raw: list[str]) -> Iterator[list[str]]:
    """The lines detect-secrets would scan: its non-eager transformers' reading (YAML, INI), else the raw
    lines; then its eager reading (files of no known type read as INI), if any. Line numbers are kept.
    Source code is not configuration: its raw lines, without importing the YAML and INI readers."""
    if path.endswith(CODE_SUFFIXES):
        yield raw
        return
    text = "\n".join(raw)
    yield _transformed(path, text) or raw
    eager = _transformed(path, text, eager=True)
    if eager:
        yield eager


def _scan_lines(
    path: str, lines: list[str], numbers: list[int], filters: _Filters, prefilter: bool
) -> Iterator[FoundSecret]:
    from detect_secrets.settings import get_plugins
    from detect_secrets.util.code_snippet import get_code_snippet
    from detect_secrets.util.inject import call_function_with_arguments

    plugins = [(type(plugin).__name__, plugin) for plugin in get_plugins()]  # named once, not per piece
    quoted = quotes_required(path)
    for number in numbers:
        if number > len(lines):
            continue
        full = lines[number - 1].rstrip()
        context = get_code_snippet(lines=lines, line_number=number)
        if prefilter and len(full) > LONG_LINE:
            last, passing = _long_line(full, quoted)
        else:
            parts = pieces(full)
            last = parts[-1] if len(parts) > 1 else None
            passing = [part for part in parts if not prefilter or _passing([part], quoted)]
        # The line filters (a pragma, is_indirect_reference: a millisecond on a window) are asked only when a
        # plugin reports something: pure functions of the piece, their verdict is the same asked first.
        line_out: bool | None = None  # a pragma at the end of a long line covers all of it
        for part in passing:
            part_out: bool | None = None
            may = plugins_for(part, quoted) if prefilter else ROUTED_PLUGINS
            for name, plugin in plugins:
                if name in ROUTED_PLUGINS and name not in may:
                    continue
                secrets = call_function_with_arguments(
                    plugin.analyze_line, filename=path, line=part, line_number=number, context=context
                )
                if not secrets:
                    continue
                if line_out is None:
                    line_out = last is not None and filters.out(
                        ("line",), filename=path, line=last, context=context
                    )
                if part_out is None:
                    part_out = filters.out(("line",), filename=path, line=part, context=context)
                if line_out or part_out:
                    break
                for secret in secrets:
                    value = secret.secret_value or ""
                    common = {"filename": path, "secret": value, "plugin": plugin, "line": part}
                    if filters.out(("secret",), **common) or filters.out(
                        ("context",), **common, context=context
                    ):
                        continue
                    yield FoundSecret(path, number, secret.type, value, secret.secret_hash)
            if line_out:
                break


# -- values read from the environment ------------------------------------------------------------------


def read_from_environment(line: str, value: str) -> bool:
    """Is this value the name an environment read on the line asks for (`os.environ["API_TOKEN"]`,
    `os.getenv(...)`, `env(...)`, `config(...)`), or that read itself? A literal default is not."""
    return any(value in line[m.start() : m.end()] for m in _patterns().env_read.finditer(line))
