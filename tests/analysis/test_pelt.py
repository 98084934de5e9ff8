"""The change-point call gives ruptures' own answers without loading SciPy into the watcher."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import ruptures as rpt  # type: ignore[import-untyped]

from incident.analysis.pelt import change_points


@pytest.mark.parametrize("seed", range(8))
def test_same_segments_as_kernelcpd(seed: int) -> None:
    rng = np.random.default_rng(seed)
    levels = rng.normal(0, 5, rng.integers(1, 5))
    x = np.concatenate([rng.normal(level, 1, rng.integers(3, 60)) for level in levels])
    expected = rpt.KernelCPD(kernel="linear", min_size=1).fit(x.reshape(-1, 1)).predict(pen=12.0)
    assert change_points(x, 12.0) == [int(e) for e in expected]


def test_analysis_does_not_import_scipy() -> None:
    code = (
        "import sys, numpy as np\n"
        "from incident.analysis.pelt import change_points\n"
        "print(change_points(np.r_[np.zeros(20), np.ones(20) * 9], 12.0))\n"
        "print('scipy' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out[-1] == "False"
