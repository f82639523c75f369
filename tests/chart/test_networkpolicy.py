"""NetworkPolicy coverage: the rendered policies, evaluated like a CNI would, admit exactly
the flows of the design (DESIGN §10) and nothing else.

Pods are taken from the rendered workloads (services, datastores, hook Jobs, the test Pod)
plus the pods of the other releases in the namespace (Kong, NATS) and two strangers: a pod of
this namespace that belongs to nobody, and a pod in another namespace."""

from __future__ import annotations

from typing import Any

import pytest

from tests.chart.chartlib import (
    CHART,
    Objects,
    Pod,
    allowed,
    enabled_services,
    find,
    pod_labels,
    pod_spec,
)

KONG = Pod("kong", {"app.kubernetes.io/name": "kong", "app.kubernetes.io/instance": "kong",
                    "app.kubernetes.io/component": "app"}, ports={"proxy": 8000})
NATS = Pod("nats-0", {"app.kubernetes.io/name": "nats", "app.kubernetes.io/instance": "nats",
                      "app.kubernetes.io/component": "nats"})
NATS_PEER = Pod("nats-1", dict(NATS.labels))
STRANGER = Pod("stranger", {"app": "debug-shell"})
ELSEWHERE = Pod("elsewhere", {"app.kubernetes.io/name": "fitshop"}, namespace="other")
DNS = Pod("coredns", {"k8s-app": "kube-dns"}, namespace="kube-system")
STORE_PORTS = {"postgres": 5432, "mongo": 27017, "redis": 6379}


def policies(objects: Objects) -> Objects:
    return find(objects, "NetworkPolicy")


def chart_pods(objects: Objects) -> dict[str, Pod]:
    pods = {}
    for workload in objects:
        if pod_spec(workload) is None:
            continue
        ports = {p["name"]: p["containerPort"] for c in pod_spec(workload)["containers"] for p in c.get("ports", [])}
        pods[workload["metadata"]["name"]] = Pod(workload["metadata"]["name"], pod_labels(workload), ports=ports)
    return pods


def uses(values: dict[str, Any], service: str) -> dict[str, Any]:
    return values["services"][service].get("uses", {})


@pytest.fixture
def world(objects: Objects) -> tuple[Objects, dict[str, Pod]]:
    return policies(objects), chart_pods(objects)


def test_the_namespace_is_default_deny(objects: Objects) -> None:
    deny = next(p for p in policies(objects) if p["metadata"]["name"] == "fitshop-default-deny")
    assert deny["spec"]["podSelector"] == {}
    assert sorted(deny["spec"]["policyTypes"]) == ["Egress", "Ingress"]
    assert "ingress" not in deny["spec"] and "egress" not in deny["spec"]


def test_strangers_reach_nothing(world: tuple[Objects, dict[str, Pod]]) -> None:
    rules, pods = world
    for pod in pods.values():
        for port in [8080, 9090, 8081, *STORE_PORTS.values()]:
            assert not allowed(rules, STRANGER, pod, port), f"stranger -> {pod.name}:{port}"
            assert not allowed(rules, ELSEWHERE, pod, port), f"other namespace -> {pod.name}:{port}"
    assert not allowed(rules, STRANGER, NATS, 4222)


def test_everyone_resolves_names(world: tuple[Objects, dict[str, Pod]]) -> None:
    rules, pods = world
    for pod in [*pods.values(), KONG, NATS]:
        assert allowed(rules, pod, DNS, 53), pod.name
    assert not allowed(rules, pods["fitshop-orders"], DNS, 80)


def test_kong_reaches_exactly_the_routed_services(world: tuple[Objects, dict[str, Pod]],
                                                  values: dict[str, Any]) -> None:
    rules, pods = world
    assert allowed(rules, ELSEWHERE, KONG, 8000), "clients must reach Kong's proxy"
    assert not allowed(rules, ELSEWHERE, KONG, 8001), "Kong's admin port stays closed"
    assert not allowed(rules, STRANGER, KONG, 8000), "the namespace's own strangers are denied egress"
    for service in enabled_services(values):
        routed = values["services"][service]["routed"]
        assert allowed(rules, KONG, pods[f"fitshop-{service}"], 8080) == routed, service


def test_only_orders_reaches_the_payment_gateway(world: tuple[Objects, dict[str, Pod]],
                                                 values: dict[str, Any]) -> None:
    rules, pods = world
    gateway = pods["fitshop-payment-gateway"]
    for name, pod in pods.items():
        expected = name == "fitshop-orders"
        assert allowed(rules, pod, gateway, 8080) == expected, name
    assert not allowed(rules, KONG, gateway, 8080)
    for port in (8081, 8114):
        assert not allowed(rules, pods["fitshop-orders"], gateway, port), "the fault admin port is never open"


def test_services_reach_only_their_own_stores_and_nats(world: tuple[Objects, dict[str, Pod]],
                                                       values: dict[str, Any]) -> None:
    rules, pods = world
    stores = {s: pods.get(f"fitshop-{s}") for s in STORE_PORTS}
    for service in enabled_services(values):
        me = pods[f"fitshop-{service}"]
        wiring = uses(values, service)
        for store, port in STORE_PORTS.items():
            if stores[store] is not None:
                assert allowed(rules, me, stores[store], port) == (store in wiring), (service, store)
        assert allowed(rules, me, NATS, 4222) == bool(wiring.get("nats")), (service, "nats")


def test_services_reach_no_other_service_except_as_wired(world: tuple[Objects, dict[str, Pod]],
                                                         values: dict[str, Any]) -> None:
    rules, pods = world
    auth_in_chart = values["services"]["auth"]["enabled"]
    for service in enabled_services(values):
        wiring = uses(values, service)
        for other in enabled_services(values):
            if other == service:
                continue
            expected = other in wiring.get("calls", []) or (other == "auth" and wiring.get("jwt", False)
                                                              and auth_in_chart)
            assert allowed(rules, pods[f"fitshop-{service}"], pods[f"fitshop-{other}"], 8080) == expected, (
                f"{service} -> {other}")


def test_datastores_and_jobs_open_nothing_outward(world: tuple[Objects, dict[str, Pod]]) -> None:
    rules, pods = world
    for name, pod in pods.items():
        component = pod.labels.get("app.kubernetes.io/component", "")
        if component in STORE_PORTS or component in {"migrations", "tests"} or component.endswith("-seed"):
            for target in pods.values():
                if target is not pod:
                    assert not allowed(rules, target, pod, 8080), f"{target.name} -> {name}"


def test_migration_jobs_reach_postgres_only(world: tuple[Objects, dict[str, Pod]]) -> None:
    rules, pods = world
    migrations = [p for p in pods.values() if p.labels.get("app.kubernetes.io/component") == "migrations"]
    postgres = pods.get("fitshop-postgres")
    for job in migrations:
        if postgres is not None:
            assert allowed(rules, job, postgres, 5432)
        assert not allowed(rules, job, NATS, 4222)
        assert not allowed(rules, job, pods["fitshop-orders"], 8080)


def test_the_helm_test_pod_goes_through_kong_only(world: tuple[Objects, dict[str, Pod]]) -> None:
    rules, pods = world
    tester = next(p for p in pods.values() if p.labels.get("app.kubernetes.io/component") == "tests")
    assert allowed(rules, tester, KONG, 8000)
    for name, pod in pods.items():
        if pod is not tester:
            assert not allowed(rules, tester, pod, 8080), name


def test_nats_servers_talk_to_each_other(world: tuple[Objects, dict[str, Pod]]) -> None:
    rules, _ = world
    assert allowed(rules, NATS, NATS_PEER, 6222)
    assert not allowed(rules, STRANGER, NATS, 6222)


def test_every_workload_is_covered_by_a_specific_policy(world: tuple[Objects, dict[str, Pod]]) -> None:
    """Beyond the blanket deny and DNS rule, every pod has a policy naming it."""
    from tests.chart.chartlib import selects

    rules, pods = world
    blanket = {"fitshop-default-deny", "fitshop-allow-dns"}
    for pod in pods.values():
        specific = [r["metadata"]["name"] for r in rules
                    if r["metadata"]["name"] not in blanket and selects(r["spec"]["podSelector"], pod.labels)]
        assert specific, f"{pod.name} is only covered by the blanket policies"


def test_external_datastores_open_egress_on_their_port_only(render: Any) -> None:
    objects = render("-f", str(CHART / "values-ha.yaml"),
                     "--set", "datastores.postgres.external.egressCIDRs={10.20.0.0/16}")
    orders = next(p for p in policies(objects) if p["metadata"]["name"] == "fitshop-orders")
    blocks = [(peer["ipBlock"]["cidr"], rule["ports"][0]["port"])
              for rule in orders["spec"]["egress"] for peer in rule["to"] if "ipBlock" in peer]
    assert ("10.20.0.0/16", 5432) in blocks
    assert all(port in {5432} for _, port in blocks)


def test_the_locust_jobs_of_the_demos_reach_kong_only(world: tuple[Objects, dict[str, Pod]]) -> None:
    """deploy/lib.sh labels its Locust pods like this; the chart admits them to Kong only."""
    rules, pods = world
    locust = Pod("locust", {"app.kubernetes.io/name": "fitshop", "app.kubernetes.io/instance": "fitshop",
                            "app.kubernetes.io/component": "loadgen"})
    assert allowed(rules, locust, KONG, 8000)
    assert allowed(rules, locust, DNS, 53)
    for name, pod in pods.items():
        for port in (8080, *STORE_PORTS.values()):
            assert not allowed(rules, locust, pod, port), f"locust -> {name}:{port}"
    assert not allowed(rules, locust, NATS, 4222)


def test_the_demo_scripts_label_locust_as_the_chart_expects() -> None:
    from tests.chart.chartlib import REPO

    script = (REPO / "deploy" / "lib.sh").read_text()
    assert "app.kubernetes.io/component: loadgen" in script
    assert "app.kubernetes.io/instance: $RELEASE" in script
