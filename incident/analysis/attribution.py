"""Attribution from text: which component an error message is about.

Callers shout about the dependency that fails them: "dial tcp 10.0.4.12:5432: connection refused",
"SSLHandshakeException ... payments.shop.svc", "READONLY You can't write against a read only
replica" from a client of ``cart-redis``. The cause lives in the component the message names, so a
host, service DNS name, IP or ``name:port`` in an error line is resolved to a component (the
catalog, Services, Endpoints and pod IPs, the callers' environment) and the error counts against it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from incident.analysis.context import AnalysisInput
from incident.analysis.timing import parse_time
from incident.details import AlertDetails, Details, KubeEventDetails, LogExcerptDetails, details_of
from incident.models import TimelineEvent

HOST = re.compile(
    r"(?i)(?<![\w.-])((?:\d{1,3}\.){3}\d{1,3}|[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9-]+)*)(?::\d{2,5})?"
)
HOSTLIKE_BEFORE = re.compile(
    r"(?i)(//|@|\blookup\s+|\bhost[\s=:\"']+|\bdial\s+\w+\s+|\bto\s+|\bfrom\s+|\bat\s+|\bupstream\s+|"
    r"\baddr(ess)?[\s=:\"']+|\bserver\s+)$"
)

FILE_NAME = re.compile(
    r"(?i)\.(py|go|java|js|ts|rb|rs|c|cc|cpp|h|kt|scala|php|conf|cfg|ini|ya?ml|json|toml|xml|log|txt|sh)$"
)
"""A token that is a source or config file name, not a host."""


@dataclass(frozen=True)
class ErrorClass:
    kind: str
    """The kind this error suggests for the component it names."""
    pattern: re.Pattern[str]
    what: str
    blames_caller: bool = False
    """The caller's own side fails (a name it cannot resolve), not the component named."""


ERROR_CLASSES: tuple[ErrorClass, ...] = (
    ErrorClass(
        "certificate",
        re.compile(
            r"(?i)x509|certificate (has )?(expired|is not yet valid|verify failed|signed by unknown)|"
            r"expired certificate|certificate_expired|bad certificate|unknown (certificate )?authority|"
            r"tls: |tls handshake|ssl handshake|handshake (with \S+ )?fail|sslhandshakeexception|ssl_error|"
            r"sslerror|pkix path"
        ),
        "TLS handshake / certificate errors",
    ),
    ErrorClass(
        "storage",
        re.compile(
            r"(?i)no space left on device|enospc|disk (is )?full|disk quota exceeded|read-only file system|"
            r"i/o error|could not extend file|sqlstate 53100"
        ),
        "storage errors",
    ),
    ErrorClass(
        "network",
        re.compile(
            r"(?i)no such host|nxdomain|temporary failure in name resolution|name or service not known|"
            r"unknownhostexception|could not resolve|network is unreachable|no route to host|"
            r"\blookup \S+.*(timeout|timed out|server misbehaving)|\bdns\b.*(fail|timeout|timed out|error)"
        ),
        "name resolution / network errors",
        blames_caller=True,
    ),
    ErrorClass(
        "dependency_failure",
        re.compile(
            r"(?i)connection refused|econnrefused|connection reset|broken pipe|timed out|\btimeout\b(?!\s*[=:]\s*\d)|"
            r"deadline exceeded|too many (connections|clients)|max_connections|\breadonly\b(?!\s*[=:])|"
            r"read[- ]only replica|pool (is )?exhausted|could not (connect|obtain|acquire)|unavailable|"
            r"lock wait|deadlock|server closed the connection|unexpected eof|\beof\b(?!\w)|"
            r"status(code)?[ =:]*5\d\d|\b50[234]\b|circuit (breaker )?open"
        ),
        "connection errors",
    ),
)


QUIET = re.compile(
    r"""(?i)^\W*(\S+\s+){0,3}?\W?(info|debug|trace)\b|"""
    r"""["']?(level|severity)["']?\s*[:=]\s*["']?(info|debug|trace)\b"""
)
"""A line logged at INFO, DEBUG or TRACE level reports what happened, not a failure."""


def error_class(line: str) -> ErrorClass | None:
    """What kind of failure an error line describes; None for other lines (including lines logged
    below WARN: "connecting to payments:443 with timeout=5s" is not an error)."""
    if QUIET.search(line[:200]):
        return None
    for cls in ERROR_CLASSES:
        if cls.pattern.search(line):
            return cls
    return None


class Resolver:
    """Resolves host-like tokens of a text to components."""

    def __init__(self, data: AnalysisInput) -> None:
        self.addresses = dict(data.addresses)
        names = set(data.components()) | {e.component for e in data.events if e.component}
        self.names = {n.lower(): n for n in names if n}
        for lower, name in self.names.items():
            self.addresses.setdefault(lower, name)
        spaces = (Details.of(e).namespace for e in data.events)
        self.namespaces = {ns.lower() for ns in spaces if ns}
        if data.incident.namespace:
            self.namespaces.add(data.incident.namespace.lower())

    def resolve(self, token: str) -> str | None:
        token = token.lower().rstrip(".")
        if token in self.addresses:
            return self.addresses[token]
        if "." in token:
            head, _, rest = token.partition(".")
            # a Kubernetes service DNS name: name.namespace[.svc[.cluster.local]]
            if head in self.names and (rest.endswith(("svc", "cluster.local")) or rest in self.namespaces):
                return self.names[head]
            if rest and rest.split(".")[0] in self.names and rest.endswith(("svc", "cluster.local")):
                return self.names[rest.split(".")[0]]  # a StatefulSet pod: pod-0.svc.ns.svc.cluster.local
        return None

    def named(self, line: str) -> list[str]:
        """Components a line names as a host, in order of appearance."""
        out: list[str] = []
        for m in HOST.finditer(line):
            token = m.group(1)
            if m.start() and line[m.start() - 1] == "/" and line[max(0, m.start() - 2) : m.start()] != "//":
                continue  # a path segment (/app/payments.py), not a host
            if FILE_NAME.search(token):
                continue
            comp = self.resolve(token)
            if comp is None:
                continue
            plain = "." not in token and not re.fullmatch(r"[\d.]+", token)
            has_port = m.group(0) != token
            if plain and not has_port and not HOSTLIKE_BEFORE.search(line[max(0, m.start() - 40) : m.start()]):
                continue  # a bare word ("cart is empty") is not a host reference
            if comp not in out:
                out.append(comp)
        return out


@dataclass(frozen=True)
class Mention:
    """An error line of ``caller`` that names ``target``."""

    caller: str
    target: str
    cls: ErrorClass
    line: str
    event_id: str
    source: str = "log_excerpt"
    """The timeline event kind the line came from: log_excerpt, k8s_event or alert."""
    since: float | None = None
    """When the event began (a Warning's first occurrence, an alert's start); None for log lines."""


def error_lines(event: TimelineEvent) -> list[str]:
    """The text of a log excerpt, a Warning event or an alert's annotations, a line each."""
    details = details_of(event)
    if isinstance(details, LogExcerptDetails):
        return [str(x) for x in details.lines]
    if isinstance(details, KubeEventDetails):
        return [str(details.message or "")]
    if isinstance(details, AlertDetails):
        return [str(v) for v in details.annotations.values()]
    return []


def mentions(
    data: AnalysisInput,
    resolver: Resolver | None = None,
    kinds: tuple[str, ...] = ("log_excerpt", "k8s_event", "alert"),
) -> list[Mention]:
    """Error lines in logs, Warning events and alert annotations that name another component."""
    resolver = resolver or Resolver(data)
    out: list[Mention] = []
    for ev in data.events_of(*kinds):
        if not ev.component:
            continue
        began = _began(ev)
        for line in error_lines(ev):
            cls = error_class(line)
            if cls is None:
                continue
            for target in resolver.named(line):
                if target != ev.component:
                    out.append(Mention(ev.component, target, cls, line[:300], ev.id, ev.kind, began))
    return out


def _began(event: TimelineEvent) -> float | None:
    if event.kind == "log_excerpt":
        return None
    details = details_of(event)
    start = details.first_at if isinstance(details, KubeEventDetails) else None
    start = start or (details.starts_at if isinstance(details, AlertDetails) else None)
    return parse_time(start) or event.at.timestamp()
