"""Redact secrets and tokens from text before it is stored as evidence or sent to a model.

Rules run in order: multi-line blocks over the whole text (private keys, also cut off or masked a
line at a time before), then, over pieces of a long text cut at line ends, this module's own
line-local patterns (shapes detect-secrets misses or pins too narrowly: connection-string
passwords, ``password=``/``--password X``/"password is X", bearer tokens of any length, bare AWS
secret keys, env-style keys, vendor keys of any length) and the regexes of every detect-secrets
regex detector (cloud, VCS, chat and payment tokens). Each rule runs only where its trigger
words are: detect-secrets' own line-by-line scanner is far too slow for every model call.

E-mail addresses are personal data rather than credentials: :func:`redact` masks them only when
asked (the model boundary does, per ``[agent] redact_emails``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any, cast

MASK = "[REDACTED]"

_KEYWORDS = (
    r"(?:pass(?:word|wd|phrase)?|pwd|secret(?!(?-i:Name|Ref|KeyRef))|token|credentials?|api[_-]?key|apikey|"
    r"access[_-]?key|(?:account|shared[_-]?access|private|secret|client|signing|encryption|master)[_-]?key|"
    r"auth[_-]?token|session[_-]?(?:id|key|token)|cookie)"
    r"(?!(?-i:[a-z]))"  # not "passed", "tokens"
)
_KEYWORD_TRIGGERS = ("pass", "pwd", "secret", "token", "credential", "key", "session", "cookie")
_KEYWORD_STARTS = (
    *("pass", "pwd", "secret", "token", "credential", "api", "access", "account", "shared", "private"),
    *("client", "signing", "encryption", "master", "auth", "session", "cookie"),
)
_VALUE = r"[^\s\"',;&\\<>]+"
_LINE_BREAK = r"[ \t]*(?:\r?\n|(?:\\r)?\\n|\"\s*,\s*\")[ \t]*"
"""Between the lines of a key: a newline, an escaped one in JSON, or the quotes of a list of lines."""

# A PEM block as a whole: to its END line, or (cut off) through the base64 and header lines after
# it. A block masked before (a line at a time, by a tool) leaves a marker that starts a block too,
# so the lines after it are masked when the whole request is.
_PEM_MASK = f"{MASK} private key"
_PEM = re.compile(
    rf"(?:-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----|{re.escape(_PEM_MASK)})"
    r"(?:.{0,12000}?-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"  # an RSA-4096 key is ~3.3 KB
    rf"|(?:{_LINE_BREAK}(?:[A-Za-z0-9+/=]{{8,}}|[A-Za-z-]+: ?[^\n\\\"]*))*)",
    re.S,
)


@dataclass(frozen=True)
class Rule:
    """A pattern and its replacement, run only when one of ``triggers`` is in the text (all lower
    case: the lowered text; else the text as is; none: always run). A rule with ``starts`` (lower
    case words its matches begin with) is tried only where those words are, not at every offset."""

    pattern: re.Pattern[str]
    sub: Callable[[re.Match[str]], str]
    triggers: tuple[str, ...] = ()
    starts: tuple[str, ...] = ()

    def applies(self, text: str, lowered: str) -> bool:
        return not self.triggers or any(t in (lowered if t.islower() else text) for t in self.triggers)

    def apply(self, text: str, lowered: str, found: set[str] | None = None) -> str:
        """``text`` with this rule's matches masked; what was masked is added to ``found``."""
        sub = self.sub if found is None else _recording(self.sub, found)
        if not self.starts:
            return self.pattern.sub(sub, text)
        offsets = sorted({i for word in self.starts for i in _find_all(lowered, word)})
        out, done = [], 0
        for i in offsets:
            if i < done:
                continue
            m = self.pattern.match(text, i)
            if m is not None:
                out += [text[done:i], sub(m)]
                done = m.end()
        return "".join(out) + text[done:] if out else text


def _recording(sub: Callable[[re.Match[str]], str], found: set[str]) -> Callable[[re.Match[str]], str]:
    """``sub``, also adding the part of each match it masked to ``found``."""

    def recorded(m: re.Match[str]) -> str:
        out, whole = sub(m), m.group(0)
        at = out.find(MASK)
        if at >= 0 and out != whole:
            tail = len(out) - at - len(MASK)
            found.add(whole[at : len(whole) - tail])
        return out

    return recorded


def _find_all(text: str, word: str) -> list[int]:
    found, i = [], text.find(word)
    while i >= 0:
        found.append(i)
        i = text.find(word, i + 1)
    return found


def _whole(_: re.Match[str]) -> str:
    return MASK


def _keep(groups: int, tail: str = "") -> Callable[[re.Match[str]], str]:
    """Keep the first ``groups`` groups (the key, the separator), mask the rest, then ``tail``."""

    def sub(m: re.Match[str]) -> str:
        return "".join(m.group(i) or "" for i in range(1, groups + 1)) + MASK + tail

    return sub


def _keyword(groups: int) -> Callable[[re.Match[str]], str]:
    """:func:`_keep`, unless the keyword (group 1) starts inside a word: "bypass=1" is no password,
    while "DB_PASSWORD" and "clientSecret" (a camelCase boundary) are keys."""
    keep = _keep(groups)

    def sub(m: re.Match[str]) -> str:
        before = m.string[m.start(1) - 1] if m.start(1) > 0 else ""
        if before.isalpha() and m.group(1)[0].islower():
            return m.group(0)
        return keep(m)

    return sub


_BLOCKS: list[Rule] = [
    Rule(_PEM, lambda _: _PEM_MASK, ("PRIVATE KEY", "private key")),
    # a key's body whose BEGIN line was cut off (a log tail), and key-width base64 lines on their own
    # (two or more of 60-76 characters with capitals, small letters and digits: not hex digests)
    Rule(
        re.compile(
            rf"(?<![A-Za-z0-9+/=])[A-Za-z0-9+/=]{{16,}}+(?:{_LINE_BREAK}[A-Za-z0-9+/=]++)*+{_LINE_BREAK}"
            r"-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"
        ),
        _whole,
        ("PRIVATE KEY",),
    ),
    Rule(
        re.compile(
            r"(?<![A-Za-z0-9+/])(?=[A-Za-z0-9+/]{0,75}[A-Z])(?=[A-Za-z0-9+/]{0,75}[a-z])(?=[A-Za-z0-9+/]{0,75}[0-9])"
            rf"[A-Za-z0-9+/]{{60,76}}(?:{_LINE_BREAK}[A-Za-z0-9+/]{{60,76}})+(?:{_LINE_BREAK}[A-Za-z0-9+/]+={{0,2}})?"
        ),
        _whole,
    ),
    Rule(re.compile(r"PuTTY-User-Key-File-\d: .*?Private-MAC: [0-9a-f]+", re.S), _whole, ("PuTTY",)),
]
"""Rules whose matches span lines: run over the whole text."""

_OWN: list[Rule] = [
    # scheme://user:password@host (to the last '@': a password may hold an unescaped '/' or '@')
    Rule(re.compile(r"(://[^/\s:@\"']*:)(?!\*\*\*@)[^\s\"'<>]*@"), _keep(1, "@"), ("://",)),
    # Authorization headers, whatever the scheme; bearer tokens of any length
    Rule(
        re.compile(r"(?i)(authorization\"?\s*[:=]\s*\"?(?:[A-Za-z-]+\s+)?)" + _VALUE),
        _keep(1),
        ("authorization",),
    ),
    Rule(re.compile(r"(?i)(bearer\s+)[A-Za-z0-9\-._~+/]+=*"), _keep(1), ("bearer",)),
    Rule(re.compile(r"(?i)(basic\s+)(?=[A-Za-z+/]*[0-9+/=])[A-Za-z0-9+/]{8,}={0,2}"), _keep(1), ("basic",)),
    Rule(re.compile(r"(?i)(token\s+)[A-Za-z0-9\-._~+/]{12,}=*"), _keep(1), ("token",)),
    # --password X, --password=X, --api-key "X"
    Rule(
        re.compile(rf"(?i)((?<![\w-])--?[\w-]*(?:{_KEYWORDS})[\w-]*)([ \t]+|=)([\"']?)[^\s\"']+\3"),
        _keep(3),
        ("-",),
    ),
    # key=value, key: value, "key": "value" (the key may carry a prefix: DB_PASSWORD, aws_secret_access_key)
    Rule(
        re.compile(
            rf"(?i)({_KEYWORDS})([\w.-]*\\?[\"']?\s*(?::=|=>|[:=])\s*\\?[\"']?)(?!\[REDACTED\]|{{)(?:\[[^\]]{{0,500}}\]|"
            + _VALUE
            + ")"
        ),
        _keyword(2),
        _KEYWORD_TRIGGERS,
        _KEYWORD_STARTS,
    ),
    # environment-style keys: PAYMENT_GATEWAY_KEY=..., "SENTRY_DSN": "..."
    Rule(
        re.compile(r"\b([A-Z][A-Z0-9_]*_(?:KEY|DSN))(\\?[\"']?\s*[:=]\s*\\?[\"']?)(?!\[REDACTED\])" + _VALUE),
        _keep(2),
        ("_KEY", "_DSN"),
    ),
    # Kubernetes env entries: {"name": "DB_PASSWORD", "value": "..."}
    Rule(
        re.compile(
            rf"(?i)(\"name\"\s*:\s*\"[\w.-]*(?:{_KEYWORDS}|key|dsn|database[_-]?url)[\w.-]*\"\s*,\s*\"value\"\s*:\s*\")"
            r"(?:[^\"\\]|\\.)*"
        ),
        _keep(1),
        ('"value"',),
    ),
    # "the password is X", "password for admin was X", "secret set to X"
    Rule(
        re.compile(
            rf"(?i)({_KEYWORDS})((?:\s+(?:for|of)\s+\S+)?\s+(?:is|was|are|set\s+to|reset\s+to|changed\s+to)\s*:?\s+)"
            r"([\"'`]?)(?!\[REDACTED\])[^\s\"'`]+\3"
        ),
        _keyword(2),
        _KEYWORD_TRIGGERS,
        _KEYWORD_STARTS,
    ),
    # Vendor keys of any length (detect-secrets pins exact lengths)
    Rule(re.compile(r"\b[rsp]k_(?:live|test)_[0-9A-Za-z]{8,}"), _whole, ("k_live_", "k_test_")),
    Rule(re.compile(r"\bAIza[0-9A-Za-z_-]{20,}"), _whole, ("AIza",)),
    Rule(
        re.compile(r"\b(?:A3T[A-Z0-9]|ABIA|ACCA|AKIA|ASIA)[0-9A-Z]{12,}\b"),
        _whole,
        ("A3T", "ABIA", "ACCA", "AKIA", "ASIA"),
    ),
    Rule(re.compile(r"\bsk-(?:ant-|proj-)?[A-Za-z0-9_-]{20,}"), _whole, ("sk-",)),
    Rule(re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9_]{20,}|github_pat_[A-Za-z0-9_]{20,})"), _whole, ("gh", "github_pat_")),
    Rule(re.compile(r"\bgl(?:pat|dt|ft|soat|rt|cbt|imt|ptt|agent|oas)-[A-Za-z0-9_-]{16,}"), _whole, ("gl",)),
    Rule(re.compile(r"\bxox[abposre]-[A-Za-z0-9-]{10,}|\bxapp-\d-[A-Za-z0-9-]{10,}"), _whole, ("xox", "xapp-")),
    Rule(re.compile(r"\bnpm_[A-Za-z0-9]{30,}|\bpypi-[A-Za-z0-9_-]{50,}"), _whole, ("npm_", "pypi-")),
    Rule(re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"), _whole, ("eyJ",)),
    # A bare AWS secret access key: exactly 40 base64 characters of mixed case with a digit
    # (a hex SHA-1 has no capitals, so commit ids stay)
    Rule(
        re.compile(
            r"(?<![A-Za-z0-9/+=])(?=[A-Za-z0-9/+]{0,39}[A-Z])(?=[A-Za-z0-9/+]{0,39}[a-z])(?=[A-Za-z0-9/+]{0,39}[0-9])"
            r"[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])"
        ),
        _whole,
    ),
]

_EMAIL = Rule(
    re.compile(r"(?<![\w.%+/-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b"), _whole, ("@",)
)

_SKIP_DETECTORS = {"IPPublicDetector"}
"""Public IP addresses are not credentials, and the model needs them to read a network fault."""

_DELIMITERS = " \t\r\n=:\"'"


_DETECTOR_TRIGGERS: dict[str, tuple[str, ...]] = {
    "ArtifactoryDetector": ("AKC", "AP"),
    "AWSKeyDetector": ("A3T", "ABIA", "ACCA", "AKIA", "ASIA", "aws"),
    "AzureStorageKeyDetector": ("AccountKey=",),
    "BasicAuthDetector": ("://",),
    "CloudantDetector": ("cloudant", "cl_", "cl-", "clou_", "clou-"),
    "GitHubTokenDetector": ("gh",),
    "GitLabTokenDetector": ("gl", "GR1348941"),
    "IbmCloudIamDetector": ("ibm", "iam"),
    "IbmCosHmacDetector": ("secret",),
    "JwtTokenDetector": ("eyJ",),
    "MailchimpDetector": ("-us",),
    "NpmDetector": ("_authtoken",),
    "OpenAIDetector": ("T3BlbkFJ",),
    "PrivateKeyDetector": ("PRIVATE KEY", "PuTTY"),
    "PypiTokenDetector": ("pypi-",),
    "SendGridDetector": ("SG.",),
    "SlackDetector": ("xox", "hooks.slack.com"),
    "SoftlayerDetector": ("softlayer", "sl_", "sl-"),
    "SquareOAuthDetector": ("sq0csp-",),
    "StripeDetector": ("k_live_",),
    "TwilioKeyDetector": ("AC", "SK"),
}
"""Substrings without which a detector's regexes cannot match: most requests skip most regexes.
A detector not listed (a newer detect-secrets) always runs."""


def _detector_sub(m: re.Match[str]) -> str:
    """Mask a detect-secrets match: its longest group when that is the secret, else the match
    without the delimiters some of the regexes include."""
    groups = [(len(g), i) for i, g in enumerate(m.groups(), start=1) if g and len(g) >= 8]
    if groups:
        _, best = max(groups)
        start, end = m.start(best) - m.start(), m.end(best) - m.start()
    else:
        text = m.group(0)
        core = text.strip(_DELIMITERS)
        if not core:
            return text
        start = text.index(core)
        end = start + len(core)
    text = m.group(0)
    return text[:start] + MASK + text[end:]


@cache
def _detector_rules() -> tuple[Rule, ...]:
    """The regexes of detect-secrets' regex detectors (loaded once)."""
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
    from detect_secrets.plugins.base import RegexBasedDetector

    rules: list[Rule] = []
    cls: type
    for cls in get_mapping_from_secret_type_to_class().values():
        if not issubclass(cls, RegexBasedDetector) or cls.__name__ in _SKIP_DETECTORS:
            continue
        triggers = _DETECTOR_TRIGGERS.get(cls.__name__, ())
        patterns: list[re.Pattern[str]] = cast(Any, cls).denylist  # a class attribute on every detector
        rules.extend(Rule(pattern, _detector_sub, triggers) for pattern in patterns)
    return tuple(rules)


_CHUNK = 4096
"""Long texts are scanned by the line-local rules in pieces of about this many characters, cut at
line ends: a rule runs only on the pieces holding its trigger, not over the whole text."""


def redact(text: str, *, emails: bool = False, found: set[str] | None = None) -> str:
    """Mask anything that looks like a credential (and e-mail addresses when ``emails``); the
    masked values are added to ``found`` when given."""
    if not text:
        return text
    text = _apply(_BLOCKS, text, found)
    rules = (*_OWN, *_detector_rules(), *((_EMAIL,) if emails else ()))
    if len(text) <= 2 * _CHUNK:
        return _apply(rules, text, found)
    return "".join(_apply(rules, piece, found) for piece in _pieces(text))


def _apply(rules: Iterable[Rule], text: str, found: set[str] | None) -> str:
    lowered = text.lower()
    for rule in rules:
        if rule.applies(text, lowered):
            masked = rule.apply(text, lowered, found)
            if masked != text:
                text, lowered = masked, masked.lower()
    return text


def _pieces(text: str) -> Iterator[str]:
    """``text`` in pieces of at least :data:`_CHUNK` characters, each cut before a newline (or an
    escaped one, in JSON)."""
    start = 0
    while start < len(text):
        ends = [i for i in (text.find("\n", start + _CHUNK), text.find("\\n", start + _CHUNK)) if i >= 0]
        cut = min(ends) if ends else len(text)
        yield text[start:cut]
        start = cut


_STRUCTURAL = frozenset({"type", "role", "model", "id", "tool_use_id", "cache_control", "stop_reason"})
"""Request keys whose values are protocol identifiers, not content."""


_MIN_ECHO = 6
"""Shorter masked values are not searched for elsewhere: they would mask ordinary words."""


def redact_value(value: Any, *, emails: bool = False) -> Any:
    """A copy of ``value`` (JSON-like) with every string value redacted (protocol ids kept).

    A value masked in one place is masked wherever else it appears in ``value`` even without the
    context that gave it away: a password seen as ``password=X`` in a log, then bare in an error
    line, a tool input or the model's own words."""
    found: set[str] = set()
    first = _map_strings(value, lambda s: redact(s, emails=emails, found=found))
    echoes = sorted((f for f in found if len(f) >= _MIN_ECHO and f not in _PEM_MASK), key=len, reverse=True)
    if not echoes:
        return first

    def unecho(text: str) -> str:
        for echo in echoes:
            if echo in text:
                text = text.replace(echo, MASK)
        return text

    return _map_strings(first, unecho)


def _map_strings(value: Any, fn: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return fn(value)
    if isinstance(value, dict):
        return {k: (v if k in _STRUCTURAL and isinstance(v, str) else _map_strings(v, fn)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_map_strings(v, fn) for v in value]
    return value


def mask_url(url: str) -> str:
    """A database or service URL fit to print: the password replaced by ``***``."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not parseable as a URL: mask what looks like a userinfo password
        return re.sub(r"(://[^/\s:@]*:)[^\s]*@", r"\1***@", url)


def mask_urls_in(text: str, url: str) -> str:
    """``text`` (an error message) with ``url`` and any credential in it masked."""
    if url:
        text = text.replace(url, mask_url(url))
    return redact(text)
