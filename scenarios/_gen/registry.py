"""Every bundled scenario, by name (one failure kind each)."""

from __future__ import annotations

from collections.abc import Callable

from _gen.cases import (
    cart_oom,
    checkout_bad_deploy,
    frontend_traffic_surge,
    inventory_unschedulable,
    payments_crashloop_config,
    recommendations_cpu_saturation,
    search_image_pull,
    shipping_dependency_db,
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
}
"""The demo's default scenario is the first: ``checkout-bad-deploy``."""
