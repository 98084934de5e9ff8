"""Scenario recommendations-code-error (see scenarios/README.md)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from _gen import logs
from _gen.common import (
    ago,
    blip,
    error_alert,
    finish,
    harmless_deploy,
    old_alert,
    probe_warning,
    setup,
)
from _gen.render import Bundle

TRACE = (
    "Traceback (most recent call last):",
    '  File "/app/recommendations/api.py", line 112, in recommend',
    "    ranked = ranker.rank(profile, candidates, k=limit)",
    '  File "/app/recommendations/ranker.py", line 57, in rank',
    "    matrix = np.asarray([c.embedding for c in candidates], dtype=np.float32)",
    "ValueError: setting an array element with a sequence. The requested array has an inhomogeneous shape "
    "after 1 dimensions. The detected shape was (50,) + inhomogeneous part.",
)


def recommendations_code_error() -> Bundle:
    w = setup("recommendations-code-error", datetime(2026, 3, 24, 12, 8, tzinfo=UTC))
    harmless_deploy(w, "catalog", 47, "bulk product import endpoint")
    blip(w, "shipping", 36, lat=2.4, err=0.012)
    probe_warning(w, "checkout", 21)
    refresh = ago(w, 5.3)
    onset = refresh + timedelta(seconds=4)
    w.episode("recommendations", onset, ramp=40, err=0.24, lat=1.1)
    for n, pod in enumerate(w.pods_of("recommendations")):
        logs.background(w, pod, minutes=20, every=5, until=refresh)
        t = refresh + timedelta(seconds=n)
        logs.log(
            w,
            pod,
            t,
            logs.python(
                t,
                "INFO",
                "recommendations.trending",
                "trending candidates refreshed: 50 items (12 new: 48213, 51022, 50977, 49310, ...), took 0.84s",
            ),
        )
        t += timedelta(seconds=3 + w.rng.random() * 2)
        k = 0
        while t < w.page_at:
            if w.rng.random() < 0.25:
                user = w.rng.randrange(100000, 999999)
                logs.log(
                    w,
                    pod,
                    t,
                    logs.python(
                        t,
                        "ERROR",
                        "recommendations.api",
                        f'request failed: "GET /v1/recommendations?user={user}&slot=home" 500',
                    ),
                )
                if k % 2 == 0:
                    for line in TRACE:
                        logs.log(w, pod, t, line)
                k += 1
            else:
                logs.log(w, pod, t, logs.request_line(w, pod, t))
            t += timedelta(seconds=1 + w.rng.random() * 2.5)
    front = w.pods_of("frontend")[1]
    logs.background(w, front, minutes=15, every=6)
    t = onset + timedelta(seconds=10)
    while t < w.page_at:
        logs.log(
            w,
            front,
            t,
            logs.go(
                t,
                "warn",
                "recommendations failed, serving fallback",
                upstream="recommendations",
                upstream_status=500,
                fallback="popular",
                path="/",
            ),
        )
        t += timedelta(seconds=3 + w.rng.random() * 6)
    finish(w)
    alerts = [
        error_alert(w, "recommendations", 23.6, w.page_at, receiver="pagerduty-ml"),
        old_alert(
            w,
            "KubeJobFailed",
            "recommendations",
            "Job shop/recommendations-retrain-29051280 failed to complete.",
            9,
            'kube_job_failed{job_name=~"recommendations-retrain.*"} > 0',
            {"job_name": "recommendations-retrain-29051280"},
        ),
    ]
    return Bundle(
        w,
        "At 12:02:42 recommendations refreshed its trending candidates; one new product has no embedding "
        "yet, and the ranker builds its candidate matrix without checking, so every home-page request whose "
        "candidates include it fails with a ValueError. About a quarter of requests return 500s; the "
        "storefront falls back to popular products. Nothing was deployed or reconfigured in recommendations.",
        "HighErrorRatio",
        {
            "component": "recommendations",
            "kind": "code_error",
            "notes": "recommendations logs: ValueError (inhomogeneous shape) traceback in ranker.rank right after "
            "'trending candidates refreshed'; errors on recommendations only, no restarts, no rollout, no config "
            "change, CPU and memory normal. Red herrings: catalog deploy 47 min before (the new product came in "
            "through catalog, but catalog is healthy), shipping blip, checkout readiness warning, a "
            "retrain job that failed 9 hours before.",
        },
        alerts=alerts,
    )
