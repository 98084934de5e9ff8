"""Host names and IPs named by an env value: URLs (JDBC, postgres, redis, amqp, http...),
``host:port`` lists and bare names. The value itself may carry credentials; only the hosts
leave this module, and callers keep only those that resolve to a known address."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator

_SPLIT = re.compile(r"[\s,;]+")
_KEY = re.compile(r"^-?[A-Za-z_][\w.-]*$")
_HOST_KEY = re.compile(r"(?i)^(host|hostname|server|address|addr)$")
_HOST = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$")
ADDRESS_NAME = re.compile(
    r"(?i)(HOST|ADDR|URL|URI|ENDPOINT|SERVER|BROKER|DSN|UPSTREAM|BACKEND|TARGET|PEER|SERVICE|SVC)"
)
"""Env var names whose bare single-label value (``cart``) is read as a host name."""


def _strip_port(hostport: str) -> str:
    if hostport.startswith("["):  # [v6]:port
        return hostport[1:].split("]", 1)[0]
    if hostport.count(":") > 1:  # a bare IPv6 address
        return hostport
    host, sep, port = hostport.rpartition(":")
    return host if sep and (port.isdigit() or not port) else hostport


def _valid(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return bool(_HOST.match(host))


def hosts_in(value: str, *, bare_names: bool = False) -> Iterator[str]:
    """Every host a value names, lower case, without port, credentials or path.

    A single-label name without scheme or port (``cart``) is a host only when it is the whole
    value and ``bare_names`` is set (the variable's name says it holds an address), or when a
    ``host=`` key names it (libpq, ADO.NET strings): ``MODE=search`` names no component.
    """
    tokens = [t for t in _SPLIT.split(value.strip()) if t]
    for token in tokens:
        token = token.strip("\"'()<>")
        key, eq, rest_of = token.partition("=")
        keyed = False
        if eq and _KEY.match(key):  # key=value (libpq, -Dname=value): the value is the candidate
            keyed, token = bool(_HOST_KEY.match(key)), rest_of
        if token.lower().startswith("jdbc:"):
            token = token[5:]
        scheme = "://" in token
        rest = token.split("://", 1)[1] if scheme else token
        rest = re.split(r"[/?#]", rest, maxsplit=1)[0]
        if "@" in rest:
            if not scheme and ":" not in rest.rsplit("@", 1)[1] and "." not in rest:
                continue  # user@name: an e-mail-like token, not an address
            rest = rest.rsplit("@", 1)[1]
        host = _strip_port(rest).lower().rstrip(".")
        if not host or not _valid(host):
            continue
        qualified = scheme or host != rest.lower().rstrip(".") or "." in host or ":" in host
        if qualified or keyed or (bare_names and len(tokens) == 1):
            yield host
