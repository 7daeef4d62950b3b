"""What djgate makes of what detect-secrets reports: is the value a credential, and how sure is the detection.

detect-secrets' own heuristic filters (`is_likely_id_string`, `is_templated_secret`, `is_sequential_string`,
`is_indirect_reference`, `is_lock_file`, `is_not_alphanumeric_string`, `is_swagger_file`, ...) have already
run. What they let through and real projects show is not a credential: the *name* of a secret
(`REQUIRE_PASSWORD = "require_password"`, `secret_name = "..."`), a placeholder made of the key's own words
(`"private_key": "private_value"`), a hash or digest (Django password hashes, SRI `integrity=`, a pinned
`rev:` or `@sha`, `--hash=sha256:`), an encrypted blob (`secure:`, sops `ENC[...]`, Ansible vault), a Relay
global ID, prose. Like gitleaks' allowlists, these are judged by the value and the words around it.

A detection is high-confidence when a known prefix or structure names the secret (private keys, AWS, GitHub,
Slack, Stripe, a signed JWT, ...): it blocks wherever it is. The others (a keyword assignment, a
high-entropy string, basic-auth credentials in a URL, an IP address) are notices in test code and fixtures,
example and template files, documentation, and CI service definitions, where such values are fixtures.
"""

from __future__ import annotations

import functools
import re

# detect-secrets' secret types that say only "a keyword assignment" or "a random-looking string".
LOW_CONFIDENCE_KINDS = frozenset(
    {
        "Secret Keyword",
        "Base64 High Entropy String",
        "Hex High Entropy String",
        "Basic Auth Credentials",
        "Public IP (ipv4)",
    }
)
JWT_KIND = "JSON Web Token"
KEYWORD_KIND = "Secret Keyword"
BASIC_AUTH_KIND = "Basic Auth Credentials"
ENTROPY_KINDS = frozenset({"Base64 High Entropy String", "Hex High Entropy String"})

# Words of a key that name the secret (the key of a value detect-secrets' keyword plugin reports).
SECRET_WORDS = frozenset(
    {"password", "passwd", "pass", "pwd", "secret", "secrets", "key", "token", "apikey", "api", "auth"}
    | {"private", "priv", "credential", "credentials", "client", "access", "service", "account", "db"}
)
# The last word of a key that holds something *about* a secret: its name, a message, a rule, a hash.
META_WORDS = frozenset(
    {"name", "names", "template", "subject", "message", "text", "label", "title", "help", "error", "errors"}
    | {"output", "charset", "chars", "alphabet", "length", "len", "size", "min", "max", "restriction"}
    | {"policy", "rule", "rules", "validator", "validators", "field", "fields", "param", "header", "prefix"}
    | {"suffix", "path", "file", "dir", "url", "env", "var", "setting", "id", "type", "kind", "mode"}
    | {"format"}
    | {"pattern", "regex", "timeout", "expiry", "ttl", "hash", "hasher", "hashers", "algorithm", "view"}
    | {"form", "required", "enabled", "reset", "change", "changed", "placeholder", "description"}
)
# Words a placeholder is made of (with the key's own words): `new-password`, `test-api-key-123`.
PLACEHOLDER_WORDS = frozenset(
    {"test", "tests", "testing", "example", "examples", "sample", "dummy", "fake", "mock", "mocked"}
    | {"placeholder", "changeme", "change", "me", "my", "your", "our", "the", "a", "an", "some", "not", "new"}
    | {"old", "wrong", "bad", "invalid", "incorrect", "other", "another", "super", "value", "values", "here"}
    | {"foo", "bar", "baz", "qux", "env", "dev", "local", "default", "todo", "fixme", "redacted", "xxx"}
    | {"admin", "root", "postgres", "mysql", "guest"}
)
# Words that make a value a placeholder even alone (`"dummy"`, `"changeme"`), and the well-known defaults
# of databases and admin pages, which are no secret to anyone; the others need company.
MARKER_WORDS = frozenset(
    {"test", "example", "sample", "dummy", "fake", "mock", "placeholder", "changeme", "redacted", "xxx"}
    | {"admin", "root", "postgres", "mysql", "guest"}
)
HASH_WORDS = frozenset(
    {"rev", "revision", "sha", "sha1", "sha256", "sha512", "hash", "digest", "checksum", "commit", "etag"}
    | {"fingerprint", "integrity", "md5", "hexdigest", "crc", "crc32", "oid", "ref"}
)


class _Patterns:
    """Compiled on first use: only a commit with a detection pays for them."""

    def __init__(self) -> None:
        # The key a value is assigned to, compared with or passed as: what precedes the value on the line.
        self.key_before = re.compile(
            r"""([A-Za-z_$][\w.$-]*)['"`\]]*\s*(?::=|=>|===?|!==?|[:=])\s*[@'"`]?\s*$"""
        )
        self.words = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")
        self.django_hash = re.compile(
            r"(?:pbkdf2_sha256|pbkdf2_sha1|argon2|bcrypt_sha256|bcrypt|scrypt|unsalted_sha1|unsalted_md5"
            r"|sha1|md5|crypt)\$[^\s'\"`,]+"
        )
        self.sri = re.compile(r"\bsha(?:256|384|512)-[A-Za-z0-9+/]+={0,2}")
        self.tagged_digest = re.compile(r"\b(?:sha\d*|md5|blake2[bs]?)[:=][0-9A-Fa-f]{16,}")
        self.hex = re.compile(r"[0-9A-Fa-f]{7,}")
        self.encrypted = re.compile(r"ENC\[[A-Z0-9_]+,|\$ANSIBLE_VAULT;|!vault\b")
        self.templated = re.compile(
            r"^(?:\$?\{\{.*\}\}|\$\{.*\}|%\w+%|@\w+@|\$\w+|\*+|<[^>]*>|\[[^\]]*\]|\{[^}]*\})$", re.DOTALL
        )
        self.snake_name = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+){3,}")
        self.relay_id = re.compile(r"^[A-Z][A-Za-z0-9_]*:[\w-]+$")


@functools.cache
def _patterns() -> _Patterns:
    return _Patterns()


def high_confidence(kind: str, value: str, line: str = "") -> bool:
    """Does the detection name the secret by its prefix or structure? A JWT needs a signature to count
    (detect-secrets reports a JWT without it: it is read from the line)."""
    if kind == JWT_KIND:
        index = line.find(value)
        token = line[index:] if index >= 0 else value
        parts = re.match(r"[\w=-]*\.[\w=-]*\.?([\w=+/-]*)", token)
        return bool(parts and len(parts[1]) >= 16)
    return kind not in LOW_CONFIDENCE_KINDS


def is_templated(value: str) -> bool:
    """`{{ db_password }}`, `${DB_PASSWORD}`, `%DB_PASSWORD%`, `<your key>`, `***`: a placeholder."""
    return bool(_patterns().templated.match(value))


def words(text: str) -> list[str]:
    """The lower-cased words of an identifier or value: `staffPassword_TEMPLATE` -> staff, password, ..."""
    return [w.lower() for w in _patterns().words.findall(text) if not w.isdigit()]


def key_of(line: str, value: str) -> str | None:
    """The key the value is assigned to on the line (`api_key="..."`, `"PASSWORD": "..."`, `rev: ...`)."""
    index = line.find(value)
    while index >= 0:  # the value may be spelled in the key too: `password="password"`
        match = _patterns().key_before.search(line, 0, index)
        if match:
            return match[1]
        index = line.find(value, index + 1)
    return None


def not_a_credential(kind: str, value: str, line: str, path: str = "") -> str | None:
    """Why the value a low-confidence detection reports is not a credential, or None when it may be one."""
    if high_confidence(kind, value, line):
        return None
    if len(value.strip()) < 4:
        return "too short to be a credential"  # `if db_key == "id":`
    hashed = _hash_or_blob(value, line)
    if hashed:
        return hashed
    if "migrations" in path.split("/")[:-1] and _patterns().hex.fullmatch(value):
        return "a digest in a migration"  # generated: django-pgtrigger's `COMMENT ON TRIGGER ... IS '<sha1>'`
    if is_templated(value.strip()):
        return "a template placeholder"
    if len(value.split()) >= 3:
        return "prose"
    if kind.startswith("Base64") and _relay_id(value):
        return "a GraphQL global ID"
    if kind in ENTROPY_KINDS and _patterns().snake_name.fullmatch(value):
        return "an identifier"  # a generated index name: orders_orderevent_pgh_obj_id_73c1db25
    if kind == BASIC_AUTH_KIND and _local_default(value, line):
        return "a local default"  # postgres://shop:shop@db/shop, ...@localhost
    key = key_of(line, value)
    if key is not None and kind == KEYWORD_KIND:
        named = name_not_value(key, value)
        if named:
            return named
    if placeholder(value, words(key) if key else []):
        return "a placeholder"
    return None


def name_not_value(key: str, value: str) -> str | None:
    """Is the keyword assignment about a secret rather than of one: `REQUIRE_PASSWORD = "require_password"`,
    `secret_name = "..."`, `STAFF_PASSWORD_RESET_SUBJECT = "..."`, GitHub Actions' `secrets: inherit`?"""
    key_words = words(key)
    if _squashed(value) == _squashed(key) or (key_words and _squashed(value) == key_words[-1]):
        return "the name of its own key"
    if key_words and key_words[-1] in META_WORDS:
        return f"a {key_words[-1]}, not a secret"
    if key_words == ["secrets"] and value == "inherit":
        return "GitHub Actions' `secrets: inherit`"
    return None


def placeholder(value: str, key_words: list[str]) -> bool:
    """Is the value made of the key's words and placeholder words only (`new-password`, `test-api-key-123`,
    `private_value`): a single word must be a marker (`dummy`, `changeme`), or all one repeated character."""
    if len(set(value.lower())) <= 2:  # `xxxxxxxx`, a documented all-zero test key `0x0000...`
        return True
    found = words(value)
    known = PLACEHOLDER_WORDS | SECRET_WORDS | set(key_words)
    if not found or any(w not in known for w in found):
        return False
    return len(found) >= 2 or found[0] in MARKER_WORDS


def _squashed(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _hash_or_blob(value: str, line: str) -> str | None:
    patterns = _patterns()
    for pattern, what in (
        (patterns.django_hash, "a Django password hash"),
        (patterns.sri, "a subresource integrity hash"),
        (patterns.tagged_digest, "a digest"),
    ):
        if any(value in m[0] or m[0] in value for m in pattern.finditer(line)):
            return what
    key = key_of(line, value)
    if patterns.encrypted.search(line) or (key is not None and words(key)[-1:] == ["secure"]):
        return "an encrypted value"  # sops, Ansible vault, Travis' `secure:`
    hash_key = key is not None and bool(set(words(key)) & HASH_WORDS)
    if patterns.hex.fullmatch(value) and (f"@{value}" in line or hash_key):
        return "a digest"
    return None


def _local_default(password: str, line: str) -> bool:
    """Basic-auth credentials of a URL whose password repeats its user, or whose host is this machine."""
    for match in re.finditer(rf"://([^:/@\s]*):{re.escape(password)}@([^:/\s]*)", line):
        user, host = match[1], match[2]
        if password in user or host.lower() in ("localhost", "127.0.0.1", "0.0.0.0", "[::1]"):
            return True
    return False


def _relay_id(value: str) -> bool:
    """A base64 Relay global ID (`V2FyZWhvdXNlOjJj...` is `Warehouse:2c...`), as GraphQL APIs print them."""
    import base64
    import binascii

    try:
        decoded = base64.b64decode(value + "=" * (-len(value) % 4), validate=True).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return False
    return bool(_patterns().relay_id.match(decoded))


# -- where a low-confidence detection is a notice -----------------------------------------------------------

TEST_DIRS = frozenset(
    {"test", "tests", "testing", "fixtures", "fixture", "__tests__", "__mocks__", "spec", "specs", "testdata"}
    | {"test_data", "test-data", "test_assets", "cassettes", "e2e", "mocks"}
)
TEST_FILE_WORDS = frozenset({"test", "tests", "testing", "conftest", "spec"})
EXAMPLE_EXTENSIONS = frozenset({"example", "sample", "template", "dist", "tmpl", "tpl"})
EXAMPLE_WORDS = frozenset({"example", "examples", "sample", "samples", "dummy", "fake", "mock"})
DOC_DIRS = frozenset({"docs", "doc", "documentation"})
DOC_SUFFIXES = (".md", ".rst", ".adoc")
CI_FILES = frozenset(
    {".gitlab-ci.yml", ".travis.yml", "bitbucket-pipelines.yml", ".drone.yml", "jenkinsfile"}
    | {"azure-pipelines.yml", "azure-pipelines.yaml", "cloudbuild.yaml", "cloudbuild.yml"}
)
# CI systems' directories, and a development container's services.
CI_DIRS = (
    ".github/workflows/",
    ".github/actions/",
    ".circleci/",
    ".gitlab/",
    ".woodpecker/",
    ".devcontainer/",
)


def relaxed_place(path: str) -> str | None:
    """Where a low-confidence detection is a notice: test code and fixtures, example and template files,
    documentation, CI service definitions. None elsewhere."""
    lower = path.lower()
    parts = lower.split("/")
    name, dirs = parts[-1], parts[:-1]
    stem_words = set(re.split(r"[^a-z0-9]+", name.rsplit(".", 1)[0]))
    if any(d in TEST_DIRS or d.startswith(("test_", "tests_")) for d in dirs) or stem_words & TEST_FILE_WORDS:
        return "test code"
    dotted = name.split(".")
    if set(dotted[1:]) & EXAMPLE_EXTENSIONS or stem_words & EXAMPLE_WORDS:
        return "an example file"
    if lower.startswith(CI_DIRS) or name in CI_FILES or re.match(r"(?:docker-)?compose\b.*\.ya?ml$", name):
        return "a CI or service definition"
    name_words = set(re.split(r"[^a-z0-9]+", name))
    if set(dirs) & DOC_DIRS or name.endswith(DOC_SUFFIXES) or name_words & {"docs", "openapi", "swagger"}:
        return "documentation"
    return None
