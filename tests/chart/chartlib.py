"""Helpers of the offline chart checks: render the chart, read pods and policies out of it."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
CHART = REPO / "charts" / "fitshop"
GATEWAY_CONFIG = REPO / "gateway-config" / "kong.yml"
DEMO_KEYS = REPO / "gateway-config" / "demo-keys"
# The oldest Kubernetes the chart supports (Chart.yaml kubeVersion) and the newest schema
# kubernetes-validate bundles.
KUBE_VERSIONS = ("1.29.0", "1.37.0")
PROFILES: dict[str, list[str]] = {
    "demo": [],
    "dev": ["-f", str(CHART / "values-dev.yaml")],
    "ha": ["-f", str(CHART / "values-ha.yaml")],
}

Objects = list[dict[str, Any]]


def run_helm(helm: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(helm), *args], capture_output=True, text=True, timeout=120)


def pod_spec(obj: dict[str, Any]) -> dict[str, Any] | None:
    """The pod spec of a workload (Deployment, StatefulSet, Job) or of a Pod; None otherwise."""
    if obj["kind"] == "Pod":
        return obj["spec"]
    if obj["kind"] in {"Deployment", "StatefulSet", "Job", "DaemonSet"}:
        return obj["spec"]["template"]["spec"]
    return None


def pod_labels(obj: dict[str, Any]) -> dict[str, str]:
    if obj["kind"] == "Pod":
        return obj["metadata"].get("labels", {})
    return obj["spec"]["template"]["metadata"].get("labels", {})


class Renderer:
    """`helm template` with caching; answers the rendered objects (hooks and tests included)."""

    def __init__(self, helm: Path, inputs: list[str]) -> None:
        self.helm = helm
        self.inputs = inputs
        self._cache: dict[tuple[str, ...], Objects] = {}

    def __call__(self, *args: str, release: str = "fitshop", inputs: bool = True,
                 kube_version: str = KUBE_VERSIONS[0]) -> Objects:
        key = (release, str(inputs), kube_version, *args)
        if key not in self._cache:
            command = ["template", release, str(CHART), "--kube-version", kube_version,
                       "--namespace", "shop", *(self.inputs if inputs else []), *args]
            result = run_helm(self.helm, *command)
            if result.returncode != 0:
                raise AssertionError(f"helm {' '.join(command)} failed:\n{result.stderr}")
            self._cache[key] = [o for o in yaml.safe_load_all(result.stdout) if o]
        return self._cache[key]

    def fails(self, *args: str) -> str:
        """Render expecting failure; answers helm's error output."""
        result = run_helm(self.helm, "template", "fitshop", str(CHART), "--kube-version",
                          KUBE_VERSIONS[0], *self.inputs, *args)
        assert result.returncode != 0, f"helm template {' '.join(args)} should have failed"
        return result.stderr


def profile_values(profile: str) -> dict[str, Any]:
    """values.yaml with the profile file merged over it (maps merge, other values replace)."""

    def merge(base: Any, over: Any) -> Any:
        if isinstance(base, dict) and isinstance(over, dict):
            return {k: merge(base.get(k), v) if k in base else v for k, v in over.items()} | {
                k: v for k, v in base.items() if k not in over
            }
        return over

    values = yaml.safe_load((CHART / "values.yaml").read_text())
    for i, arg in enumerate(PROFILES[profile]):
        if arg == "-f":
            values = merge(values, yaml.safe_load(Path(PROFILES[profile][i + 1]).read_text()))
    return values


def find(objects: Objects, kind: str, name: str | None = None) -> list[dict[str, Any]]:
    return [o for o in objects if o["kind"] == kind and (name is None or o["metadata"]["name"] == name)]


def one(objects: Objects, kind: str, name: str) -> dict[str, Any]:
    found = find(objects, kind, name)
    assert len(found) == 1, f"expected one {kind} {name}, found {len(found)}"
    return found[0]


def enabled_services(values: dict[str, Any]) -> list[str]:
    return [name for name, svc in values["services"].items() if svc["enabled"]]


def selects(selector: dict[str, Any] | None, labels: dict[str, str]) -> bool:
    """A label selector (matchLabels and matchExpressions In/NotIn/Exists) against labels."""
    if selector is None:
        return False
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions") or []:
        key, op = expression["key"], expression["operator"]
        present = key in labels
        if op == "In" and labels.get(key) not in expression["values"]:
            return False
        if op == "NotIn" and present and labels[key] in expression["values"]:
            return False
        if op == "Exists" and not present:
            return False
        if op == "DoesNotExist" and present:
            return False
    return True


class Pod:
    """A pod as NetworkPolicies see it: its labels, its namespace's labels, its ports."""

    def __init__(self, name: str, labels: dict[str, str], namespace: str = "shop",
                 ports: dict[str, int] | None = None) -> None:
        self.name = name
        self.labels = labels
        self.namespace_labels = {"kubernetes.io/metadata.name": namespace}
        self.ports = ports or {}

    def __repr__(self) -> str:
        return f"Pod({self.name})"


def _peer_matches(peer: dict[str, Any], pod: Pod) -> bool:
    if "ipBlock" in peer:
        return False  # in-cluster pods are never matched by the ipBlocks of this chart
    ns_ok = selects(peer["namespaceSelector"], pod.namespace_labels) if "namespaceSelector" in peer \
        else pod.namespace_labels["kubernetes.io/metadata.name"] == "shop"
    pod_ok = selects(peer["podSelector"], pod.labels) if "podSelector" in peer else True
    return ns_ok and pod_ok


def _port_matches(rule: dict[str, Any], port: int, target: Pod) -> bool:
    ports = rule.get("ports")
    if not ports:
        return True
    for entry in ports:
        wanted = entry.get("port")
        if wanted is None or wanted == port or (isinstance(wanted, str) and target.ports.get(wanted) == port):
            return True
    return False


def _direction_allows(policies: Objects, subject: Pod, other: Pod, port: int, kind: str) -> bool:
    """Ingress (subject receives from other) or Egress (subject sends to other)."""
    if subject.namespace_labels["kubernetes.io/metadata.name"] != "shop":
        return True  # the rendered policies live in the release namespace, "shop"
    applicable = [
        p for p in policies
        if kind in p["spec"].get("policyTypes", ["Ingress"]) and selects(p["spec"]["podSelector"], subject.labels)
    ]
    if not applicable:
        return True  # not isolated in this direction
    key, peers = ("ingress", "from") if kind == "Ingress" else ("egress", "to")
    target = subject if kind == "Ingress" else other
    for policy in applicable:
        for rule in policy["spec"].get(key) or []:
            peer_list = rule.get(peers)
            peer_ok = True if not peer_list else any(_peer_matches(peer, other) for peer in peer_list)
            if peer_ok and _port_matches(rule, port, target):
                return True
    return False


def allowed(policies: Objects, source: Pod, destination: Pod, port: int) -> bool:
    """Would a TCP connection from source to destination:port pass every NetworkPolicy?"""
    return _direction_allows(policies, source, destination, port, "Egress") and _direction_allows(
        policies, destination, source, port, "Ingress"
    )
