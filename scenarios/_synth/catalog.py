"""The case's Backstage catalog: System, Groups, Components (services) and Resources (datastores)."""

from __future__ import annotations

from typing import Any

import yaml  # type: ignore[import-untyped]

from _synth.model import World

API = "backstage.io/v1alpha1"


def _ref(w: World, name: str) -> str:
    return f"{'resource' if w.svc(name).is_store else 'component'}:{name}"


def render(w: World) -> str:
    system = w.ns
    docs: list[dict[str, Any]] = [
        {
            "apiVersion": API,
            "kind": "System",
            "metadata": {"name": system},
            "spec": {"owner": f"group:{w.topo.teams[0]}"},
        }
    ]
    for team in w.topo.teams:
        docs.append(
            {
                "apiVersion": API,
                "kind": "Group",
                "metadata": {"name": team},
                "spec": {"type": "team", "profile": {"email": f"{team}@{system}.example.com"}, "children": []},
            }
        )
    for svc in w.topo.services.values():
        annotations = {"backstage.io/kubernetes-id": svc.name, "backstage.io/kubernetes-namespace": w.ns}
        if not svc.is_store:
            annotations["pagerduty.com/service-id"] = svc.pd_id
            spec: dict[str, Any] = {
                "type": "service",
                "lifecycle": "production",
                "owner": f"group:{svc.team}",
                "system": system,
                "dependsOn": [_ref(w, d) for d in svc.deps],
            }
            docs.append(
                {
                    "apiVersion": API,
                    "kind": "Component",
                    "metadata": {"name": svc.name, "description": svc.description, "annotations": annotations},
                    "spec": spec,
                }
            )
        else:
            docs.append(
                {
                    "apiVersion": API,
                    "kind": "Resource",
                    "metadata": {"name": svc.name, "description": svc.description, "annotations": annotations},
                    "spec": {"type": svc.store_type, "owner": f"group:{svc.team}", "system": system},
                }
            )
    header = "# Backstage catalog (synthesised by scenarios/synthesize.py).\n"
    return header + yaml.safe_dump_all(docs, sort_keys=True, explicit_start=True, width=110)
