"""Attribution from text: error classes and host references resolved to components."""

from __future__ import annotations

import pytest

from incident.analysis.attribution import Resolver, error_class
from incident.analysis.context import load_input
from incident.store import Store
from incident.timeline import log_event
from tests.analysis.test_analyzer import PAGE, catalog, incident


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        ("dial tcp: lookup orders-db.shop.svc.cluster.local on 10.96.0.10:53: read udp: i/o timeout", "network"),
        ("java.net.UnknownHostException: cart-redis: Temporary failure in name resolution", "network"),
        ("dial tcp 10.0.3.4:5432: connect: connection refused", "dependency_failure"),
        ("READONLY You can't write against a read only replica.", "dependency_failure"),
        ("FATAL: sorry, too many clients already", "dependency_failure"),
        ("TLS handshake with payments:8443 failed: remote error: tls: expired certificate", "certificate"),
        ("x509: certificate has expired or is not yet valid", "certificate"),
        ('ERROR: could not extend file "base/16384/2619": No space left on device', "storage"),
        ("request completed status=200 duration_ms=31", None),
    ],
)
def test_error_lines_are_classified_by_what_failed(line: str, kind: str | None) -> None:
    cls = error_class(line)
    assert (cls.kind if cls else None) == kind


def test_hosts_resolve_by_dns_form_address_and_port_but_not_as_bare_words(store: Store) -> None:
    iid = incident(store, "checkout")
    catalog(store, {"checkout": ["cart", "orders-db"], "cart": [], "orders-db": []})
    with store.session() as s:
        log_event(
            s,
            incident_id=iid,
            kind="topology",
            key="topology/shop",
            at=PAGE,
            source="kubernetes",
            summary="topology",
            details={"addresses": {"10.0.3.4": "orders-db"}},
        )
        resolver = Resolver(load_input(s, iid, now=PAGE))
    assert resolver.named("dial tcp 10.0.3.4:5432: connect: connection refused") == ["orders-db"]
    assert resolver.named("GET http://cart.shop.svc.cluster.local:8080/v1 timed out") == ["cart"]
    assert resolver.named("could not connect to cart: timeout") == ["cart"]
    assert resolver.named("cart:6379 refused") == ["cart"]
    assert resolver.named("the cart is empty; timeout rendering") == []
