"""The fictional shop: services, teams, nodes, and deterministic ids.

Every scenario is set in this one system (namespace ``shop``). Baselines here are per
service at normal load; scenarios only describe what deviates from them.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

NAMESPACE = "shop"
SYSTEM = "shop"
REGISTRY = "registry.shop.example.com/shop"
MI = 1024 * 1024


@dataclass(frozen=True)
class Service:
    name: str
    team: str
    lang: str
    """Log style: go (JSON), java (logback), python, postgres, redis."""
    description: str
    deps: tuple[str, ...] = ()
    kind: str = "Component"
    """``Component`` (a Deployment serving HTTP) or ``Resource`` (a StatefulSet datastore)."""
    replicas: int = 3
    rps: float = 0.0
    """Requests per second for the whole service at normal load."""
    latency: float = 0.05
    """Median request latency in seconds."""
    sigma: float = 0.5
    """Log-normal spread of latency."""
    err: float = 0.002
    cpu: float = 0.2
    """CPU cores per pod at normal load."""
    cpu_limit: float = 1.0
    cpu_request: float = 0.25
    mem: int = 200 * MI
    mem_limit: int = 512 * MI
    mem_request: int = 256 * MI
    version: str = "1.0.0"
    port: int = 8080
    pd_id: str = ""
    revision: int = 3
    env: dict[str, str] = field(default_factory=dict)

    @property
    def image(self) -> str:
        return f"{REGISTRY}/{self.name}:{self.version}"


SERVICES: tuple[Service, ...] = (
    Service(
        "frontend",
        "team-web",
        "go",
        "Web storefront and public API gateway.",
        ("checkout", "cart", "catalog", "search", "recommendations", "shipping"),
        replicas=4,
        rps=220,
        latency=0.045,
        sigma=0.55,
        cpu=0.35,
        mem=180 * MI,
        version="4.12.0",
        pd_id="PFR0NT1",
        revision=31,
    ),
    Service(
        "checkout",
        "team-checkout",
        "go",
        "Places orders: prices the cart, reserves stock, charges.",
        ("cart", "payments", "inventory", "shipping", "shop-db"),
        rps=14,
        latency=0.16,
        sigma=0.45,
        err=0.003,
        cpu=0.15,
        mem=220 * MI,
        version="2.14.3",
        pd_id="PCH3CK7",
        revision=7,
    ),
    Service(
        "cart",
        "team-checkout",
        "java",
        "Shopping carts, backed by Redis.",
        ("cart-redis",),
        rps=60,
        latency=0.012,
        sigma=0.5,
        cpu=0.25,
        mem=610 * MI,
        mem_limit=1024 * MI,
        mem_request=768 * MI,
        version="3.2.1",
        pd_id="PC4RT22",
        revision=12,
    ),
    Service(
        "payments",
        "team-payments",
        "java",
        "Card authorisation through the external gateway.",
        (),
        replicas=2,
        rps=9,
        latency=0.22,
        sigma=0.4,
        err=0.004,
        cpu=0.2,
        mem=700 * MI,
        mem_limit=1536 * MI,
        mem_request=1024 * MI,
        version="5.0.7",
        pd_id="PP4YM3N",
        revision=19,
        env={"JAVA_TOOL_OPTIONS": "-XX:MaxRAMPercentage=70", "SPRING_PROFILES_ACTIVE": "prod"},
    ),
    Service(
        "catalog",
        "team-discovery",
        "go",
        "Product catalogue and prices.",
        ("shop-db",),
        rps=310,
        latency=0.014,
        sigma=0.5,
        cpu=0.3,
        mem=150 * MI,
        version="6.3.0",
        pd_id="PC4T4LG",
        revision=44,
    ),
    Service(
        "search",
        "team-discovery",
        "python",
        "Full-text product search.",
        ("catalog",),
        replicas=4,
        rps=45,
        latency=0.06,
        sigma=0.55,
        cpu=0.4,
        cpu_limit=1.5,
        mem=420 * MI,
        mem_limit=1024 * MI,
        mem_request=512 * MI,
        version="2.7.4",
        pd_id="PS34RCH",
        revision=23,
    ),
    Service(
        "inventory",
        "team-fulfilment",
        "go",
        "Stock levels and reservations.",
        ("shop-db",),
        rps=30,
        latency=0.018,
        sigma=0.45,
        cpu=0.22,
        cpu_limit=0.5,
        mem=900 * MI,
        mem_limit=2048 * MI,
        mem_request=1536 * MI,
        version="1.9.2",
        pd_id="PINV3NT",
        revision=5,
    ),
    Service(
        "shipping",
        "team-fulfilment",
        "go",
        "Shipping quotes and carrier labels.",
        ("shipping-db",),
        replicas=2,
        rps=25,
        latency=0.03,
        sigma=0.45,
        cpu=0.1,
        mem=140 * MI,
        version="3.4.0",
        pd_id="PSH1PP9",
        revision=11,
    ),
    Service(
        "recommendations",
        "team-ml",
        "python",
        "Personalised product recommendations.",
        ("catalog",),
        rps=120,
        latency=0.05,
        sigma=0.5,
        cpu=0.5,
        mem=800 * MI,
        mem_limit=2048 * MI,
        mem_request=1024 * MI,
        version="0.18.2",
        pd_id="PR3C0MM",
        revision=16,
    ),
    Service(
        "cart-redis",
        "team-checkout",
        "redis",
        "Redis for carts.",
        kind="Resource",
        replicas=1,
        cpu=0.08,
        mem=350 * MI,
        mem_limit=1024 * MI,
        mem_request=512 * MI,
        version="7.2.4",
        port=6379,
    ),
    Service(
        "shop-db",
        "team-platform",
        "postgres",
        "PostgreSQL for catalog, inventory and orders.",
        kind="Resource",
        replicas=1,
        cpu=0.35,
        cpu_limit=2.0,
        cpu_request=1.0,
        mem=1800 * MI,
        mem_limit=4096 * MI,
        mem_request=4096 * MI,
        version="16.4",
        port=5432,
    ),
    Service(
        "shipping-db",
        "team-fulfilment",
        "postgres",
        "PostgreSQL for shipments and carrier rates.",
        kind="Resource",
        replicas=1,
        cpu=0.15,
        cpu_limit=2.0,
        cpu_request=0.5,
        mem=900 * MI,
        mem_limit=2048 * MI,
        mem_request=2048 * MI,
        version="16.4",
        port=5432,
    ),
)

BY_NAME = {s.name: s for s in SERVICES}

TEAMS: dict[str, tuple[str, str]] = {
    "team-web": ("Web", "web-oncall@shop.example.com"),
    "team-checkout": ("Checkout", "checkout-oncall@shop.example.com"),
    "team-payments": ("Payments", "payments-oncall@shop.example.com"),
    "team-discovery": ("Discovery", "discovery-oncall@shop.example.com"),
    "team-fulfilment": ("Fulfilment", "fulfilment-oncall@shop.example.com"),
    "team-ml": ("Machine Learning", "ml-oncall@shop.example.com"),
    "team-platform": ("Platform", "platform-oncall@shop.example.com"),
}

NODES: tuple[str, ...] = tuple(
    f"ip-10-42-{a}-{b}.eu-west-1.compute.internal" for a, b in ((1, 17), (1, 88), (2, 41), (2, 203), (3, 9), (3, 150))
)


def callers(name: str) -> list[str]:
    return [s.name for s in SERVICES if name in s.deps]


def digest(*parts: object) -> bytes:
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).digest()


def make_uid(*parts: object) -> str:
    return str(uuid.UUID(bytes=digest("uid", *parts)[:16], version=4))


_SAFE = "bcdfghjklmnpqrstvwxz2456789"


def safe_suffix(length: int, *parts: object) -> str:
    """Like Kubernetes' rand.SafeEncodeString: pod-template-hash and pod name suffixes."""
    raw = digest("sfx", *parts)
    return "".join(_SAFE[b % len(_SAFE)] for b in raw[:length])


def hexid(length: int, *parts: object) -> str:
    return digest("hex", *parts).hex()[:length]


def pd_id(*parts: object) -> str:
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
    return "P" + "".join(alphabet[b % len(alphabet)] for b in digest("pd", *parts)[:6])


def ts(at: datetime) -> str:
    """RFC 3339 as the Kubernetes API writes it (second precision, Z)."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def ts_ms(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"
