"""Word lists for random but realistic system, service, datastore, team and node names."""

from __future__ import annotations

import random

SYSTEMS = (
    "retail",
    "payments",
    "travel",
    "media",
    "logistics",
    "banking",
    "games",
    "social",
    "health",
    "insurance",
    "ads",
    "ticketing",
    "delivery",
    "learning",
    "hosting",
    "marketplace",
    "rides",
    "streaming",
    "crm",
    "booking",
)

DOMAINS = (
    "orders",
    "billing",
    "ledger",
    "accounts",
    "auth",
    "profile",
    "notifications",
    "email",
    "sms",
    "pricing",
    "quotes",
    "invoices",
    "tax",
    "fraud",
    "risk",
    "search",
    "indexer",
    "catalog",
    "inventory",
    "warehouse",
    "fulfilment",
    "shipping",
    "tracking",
    "returns",
    "reviews",
    "ratings",
    "media",
    "thumbnails",
    "uploads",
    "sessions",
    "tokens",
    "identity",
    "permissions",
    "audit",
    "reports",
    "analytics",
    "feeds",
    "timeline",
    "messaging",
    "chat",
    "presence",
    "geo",
    "routing",
    "dispatch",
    "drivers",
    "bookings",
    "availability",
    "calendar",
    "schedules",
    "payouts",
    "wallet",
    "fx-rates",
    "loyalty",
    "coupons",
    "promotions",
    "campaigns",
    "subscriptions",
    "plans",
    "entitlements",
    "licensing",
    "documents",
    "exports",
    "imports",
    "sync",
    "webhooks",
    "graph",
    "ranking",
    "personalisation",
    "experiments",
    "flags",
    "scheduler",
    "jobs",
    "workflow",
    "approvals",
    "kyc",
    "onboarding",
    "support",
    "tickets",
    "translations",
    "content",
    "assets",
    "matchmaking",
    "leaderboard",
    "achievements",
    "cart",
    "checkout",
    "payments",
    "recommendations",
    "shipping-rates",
    "receipts",
    "refunds",
    "settlements",
    "disputes",
    "vouchers",
    "listings",
    "offers",
    "auctions",
    "bids",
    "seats",
    "venues",
    "itineraries",
)

SUFFIXES = ("", "", "", "", "-api", "-svc", "-service", "-worker", "-engine", "-core", "-manager", "-hub")

ENTRIES = ("frontend", "web", "gateway", "edge", "bff", "api-gateway", "storefront", "portal", "public-api", "web-app")

TEAM_WORDS = (
    "atlas",
    "borealis",
    "comet",
    "delta",
    "ember",
    "falcon",
    "glacier",
    "harbor",
    "ion",
    "juniper",
    "kestrel",
    "lumen",
    "meridian",
    "nova",
    "orbit",
    "pulsar",
    "quartz",
    "raven",
    "sierra",
    "tundra",
    "umbra",
    "vega",
)

PEOPLE = (
    "Priya Natarajan",
    "Tomás Ferreira",
    "Sam Okafor",
    "Mia Lindqvist",
    "Kenji Watanabe",
    "Ana Costa",
    "Lena Hoffmann",
    "Omar Haddad",
    "Grace Mensah",
    "Ivan Petrov",
    "Chloé Martin",
    "Ravi Iyer",
)

STORE_SUFFIX = {
    "postgres": ("-db", "-pg", "-postgres"),
    "mysql": ("-mysql", "-db"),
    "redis": ("-redis", "-cache"),
    "kafka": ("-kafka", "-events"),
    "rabbitmq": ("-mq", "-rabbitmq"),
}

REGIONS = ("eu-west-1", "eu-central-1", "us-east-1", "us-west-2", "ap-southeast-2")


def unique(rng: random.Random, taken: set[str], make: object) -> str:
    """Draw names from ``make`` until one is not taken (numbered after a few misses)."""
    assert callable(make)
    for _ in range(20):
        name = str(make())
        if name not in taken:
            taken.add(name)
            return name
    base = str(make())
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    taken.add(f"{base}-{n}")
    return f"{base}-{n}"


def service_name(rng: random.Random) -> str:
    return rng.choice(DOMAINS) + rng.choice(SUFFIXES)


def store_name(rng: random.Random, tech: str) -> str:
    return rng.choice(DOMAINS) + rng.choice(STORE_SUFFIX[tech])


def node_names(rng: random.Random, count: int) -> tuple[str, ...]:
    region = rng.choice(REGIONS)
    a = rng.randrange(16, 250)
    out: set[str] = set()
    while len(out) < count:
        out.add(f"ip-10-{a}-{rng.randrange(0, 64)}-{rng.randrange(2, 254)}.{region}.compute.internal")
    return tuple(sorted(out))
