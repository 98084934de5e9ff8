"""The set gathered around a page: the component, three levels of dependencies, direct callers."""

from __future__ import annotations

from connectors.base import ComponentInfo
from incident.gathering import CatalogCache


def cache(edges: dict[str, tuple[str, ...]]) -> CatalogCache:
    return CatalogCache(
        components={n: ComponentInfo(name=n, depends_on=deps) for n, deps in edges.items()}, loaded=True
    )


def test_nearest_first_three_levels_down_one_up() -> None:
    graph = cache(
        {
            "api": ("db", "queue"),
            "db": ("disk",),
            "disk": ("san",),
            "san": ("fabric",),  # four levels down: not gathered
            "web": ("api",),
            "mobile": ("api", "web"),
            "edge": ("web",),  # calls a caller: two levels up, not gathered
            "queue": (),
        }
    )
    assert graph.related("api") == ("api", "db", "queue", "mobile", "web", "disk", "san")
    assert graph.related(None) == ()
    assert graph.related("unknown") == ("unknown",)


def test_capped_at_24_keeping_the_nearest() -> None:
    deps = tuple(f"dep-{i:02d}" for i in range(10))
    edges: dict[str, tuple[str, ...]] = {"api": deps}
    edges |= {d: (f"{d}-child-a", f"{d}-child-b") for d in deps}
    edges |= {f"caller-{i}": ("api",) for i in range(5)}
    related = CatalogCache.related(cache(edges), "api")
    assert len(related) == 24
    assert related[:16] == ("api", *deps, *(f"caller-{i}" for i in range(5)))
    assert related[16:] == (
        "dep-00-child-a",
        "dep-00-child-b",
        "dep-01-child-a",
        "dep-01-child-b",
        "dep-02-child-a",
        "dep-02-child-b",
        "dep-03-child-a",
        "dep-03-child-b",
    )
