"""Every bundled scenario, by name (one failure kind each)."""

from __future__ import annotations

from collections.abc import Callable

from _gen.cases import (
    cart_dns_failure,
    cart_oom,
    catalog_probe_failure,
    checkout_bad_deploy,
    checkout_config_flag,
    frontend_traffic_surge,
    inventory_unschedulable,
    payments_certificate_expired,
    payments_crashloop_config,
    recommendations_code_error,
    recommendations_cpu_saturation,
    search_image_pull,
    search_node_failure,
    shipping_dependency_db,
    shop_db_disk_full,
)
from _gen.render import Bundle

CASES: dict[str, Callable[[], Bundle]] = {
    "checkout-bad-deploy": checkout_bad_deploy.checkout_bad_deploy,
    "cart-oom": cart_oom.cart_oom,
    "payments-crashloop-config": payments_crashloop_config.payments_crashloop_config,
    "search-image-pull": search_image_pull.search_image_pull,
    "inventory-unschedulable": inventory_unschedulable.inventory_unschedulable,
    "shipping-dependency-db": shipping_dependency_db.shipping_dependency_db,
    "recommendations-cpu-saturation": recommendations_cpu_saturation.recommendations_cpu_saturation,
    "frontend-traffic-surge": frontend_traffic_surge.frontend_traffic_surge,
    "checkout-config-flag": checkout_config_flag.checkout_config_flag,
    "catalog-probe-failure": catalog_probe_failure.catalog_probe_failure,
    "payments-certificate-expired": payments_certificate_expired.payments_certificate_expired,
    "search-node-failure": search_node_failure.search_node_failure,
    "shop-db-disk-full": shop_db_disk_full.shop_db_disk_full,
    "cart-dns-failure": cart_dns_failure.cart_dns_failure,
    "recommendations-code-error": recommendations_code_error.recommendations_code_error,
}
"""The demo's default scenario is the first: ``checkout-bad-deploy``."""
