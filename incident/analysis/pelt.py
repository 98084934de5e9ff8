"""Change points by ruptures' kernel PELT with the linear kernel (least squares on the mean),
called without importing the ``ruptures`` package.

``import ruptures`` loads every detector, and some of them load SciPy: 77 MB in a long-running
watcher that needs one compiled function. The function lives in ruptures' own extension module,
which needs only NumPy, so it is loaded from its file; when that layout ever changes, the public
``ruptures.KernelCPD`` is used instead (same algorithm, same answers).
"""

from __future__ import annotations

import glob
import importlib.machinery
import importlib.util
import os
from collections.abc import Callable
from functools import cache
from typing import Any

import numpy as np

_MODULE = "ruptures.detection._detection.ekcpd"


@cache
def _pelt_l2() -> Callable[[np.ndarray, float, int], Any] | None:
    spec = importlib.util.find_spec("ruptures")
    if spec is None or spec.origin is None:
        return None
    found = glob.glob(os.path.join(os.path.dirname(spec.origin), "detection", "_detection", "ekcpd*.so"))
    if not found:
        return None
    try:
        loader = importlib.machinery.ExtensionFileLoader(_MODULE, found[0])
        module_spec = importlib.util.spec_from_file_location(_MODULE, found[0], loader=loader)
        if module_spec is None:
            return None
        module = importlib.util.module_from_spec(module_spec)
        loader.exec_module(module)
        return getattr(module, "ekcpd_pelt_L2", None)
    except (ImportError, OSError):
        return None


def change_points(signal: np.ndarray, penalty: float, min_size: int = 1) -> list[int]:
    """Segment ends of ``signal`` (1-D), the last being its length, as ``KernelCPD(kernel="linear")
    .fit(signal).predict(pen=penalty)`` returns them."""
    x = np.ascontiguousarray(signal, dtype=np.float64).reshape(-1, 1)
    pelt = _pelt_l2()
    if pelt is None:
        import ruptures as rpt  # type: ignore[import-untyped]

        return [int(e) for e in rpt.KernelCPD(kernel="linear", min_size=min_size).fit(x).predict(pen=penalty)]
    path = pelt(x, float(penalty), int(min_size))
    ends: list[int] = []
    i = len(x)
    while i > 0:
        ends.append(i)
        i = int(path[i])
    return ends[::-1]
