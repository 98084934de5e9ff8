"""Every bundled scenario, by name."""

from __future__ import annotations

from collections.abc import Callable

from _gen import cases_app
from _gen.render import Bundle

CASES: dict[str, Callable[[], Bundle]] = {
    "checkout-bad-deploy": cases_app.checkout_bad_deploy,
    "cart-oom": cases_app.cart_oom,
    "payments-crashloop-config": cases_app.payments_crashloop_config,
    "search-image-pull": cases_app.search_image_pull,
}
