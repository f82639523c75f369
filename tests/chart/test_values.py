"""Values files: every key documented, the schema in force, the profiles doing what they say,
and the options (external IdP, external datastores, release name) rendering correctly."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.chart.chartlib import CHART, REPO, Renderer, enabled_services, find, one, profile_values

VALUES_FILES = [CHART / "values.yaml", CHART / "values-dev.yaml", CHART / "values-ha.yaml",
                *sorted((REPO / "charts" / "values").glob("*.yaml"))]
KEY = re.compile(r"^(\s*)(?:- )?([\w.\-/\"]+):(.*)$")
# Kubernetes structures passed through as they are: their parent's comment documents them.
PASSTHROUGH = {"resources", "podSecurityContext", "containerSecurityContext", "podSelector",
               "namespaceSelector", "labels", "prometheusNamespaceSelector", "uses", "env",
               "extraPorts", "topologySpreadConstraints", "setValues"}


def undocumented_keys(path: Path) -> list[str]:
    """Leaf keys with no comment on or right above their line (grouping keys need none when
    their children are documented; children of PASSTHROUGH keys are documented by the parent)."""
    lines = path.read_text().splitlines()
    missing = []
    stack: list[tuple[int, bool]] = []  # (indent, documents its children)
    for number, line in enumerate(lines, start=1):
        match = KEY.match(line)
        if not match or line.lstrip().startswith("#"):
            continue
        indent, key, rest = len(match[1]), match[2], match[3]
        while stack and stack[-1][0] >= indent:
            stack.pop()
        inherited = any(documents for _, documents in stack)
        commented = "#" in rest or (number >= 2 and lines[number - 2].strip().startswith("#"))
        grouping = rest.strip() == "" or re.fullmatch(r"\s*&\w+\s*", rest) is not None
        if not (commented or inherited or grouping):
            missing.append(f"{path.relative_to(REPO)}:{number}: {line.strip()}")
        stack.append((indent, key in PASSTHROUGH or inherited))
    return missing


@pytest.mark.parametrize("path", VALUES_FILES, ids=lambda p: p.name)
def test_every_values_key_is_commented(path: Path) -> None:
    assert undocumented_keys(path) == []


def test_the_values_schema_is_a_valid_json_schema() -> None:
    import jsonschema

    schema = json.loads((CHART / "values.schema.json").read_text())
    jsonschema.Draft7Validator.check_schema(schema)
    for profile in ("demo", "dev", "ha"):
        jsonschema.validate(profile_values(profile), schema)


def test_values_are_maps_keyed_by_service_name(chart_values: dict[str, Any]) -> None:
    """STYLE 12: maps, not lists, so `--set services.orders.replicas=3` works."""
    services = chart_values["services"]
    assert isinstance(services, dict)
    for name, svc in services.items():
        for key in ("enabled", "image", "replicas", "resources", "env", "autoscaling", "pdb", "probes"):
            assert key in svc, f"services.{name}.{key} is missing"


def test_services_in_values_match_the_services_folder(chart_values: dict[str, Any]) -> None:
    """Every deployable service folder is in values (common, devstack and edge are not deployed),
    and an enabled service has its folder (web stays disabled until services/web exists)."""
    not_deployed = {"common", "devstack", "edge"}
    folders = {p.name for p in (REPO / "services").iterdir()
               if p.is_dir() and (p / "pyproject.toml").exists()} - not_deployed
    assert folders <= set(chart_values["services"]), f"services missing from values: {folders - set(chart_values['services'])}"
    for name, svc in chart_values["services"].items():
        if svc["enabled"]:
            assert (REPO / "services" / name).is_dir(), f"services.{name} is enabled but services/{name} does not exist"


# -- profiles ----------------------------------------------------------------------------------


def test_dev_profile_is_one_small_pod_each(render: Renderer) -> None:
    objects = render("-f", str(CHART / "values-dev.yaml"))
    assert not find(objects, "HorizontalPodAutoscaler")
    for deployment in find(objects, "Deployment"):
        assert deployment["spec"]["replicas"] == 1
        requests = deployment["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"]
        assert requests["cpu"] == "25m"


def test_ha_profile_runs_two_or_more_of_everything_spread_out(render: Renderer) -> None:
    values = profile_values("ha")
    objects = render("-f", str(CHART / "values-ha.yaml"))
    for service in enabled_services(values):
        deployment = one(objects, "Deployment", f"fitshop-{service}")
        if service == "payment-gateway":
            # The in-memory mock of the EXTERNAL provider: two pods would each know half the
            # payments; values-ha.yaml says so and how to point orders at a real provider.
            assert deployment["spec"]["replicas"] == 1
            continue
        hpa = one(objects, "HorizontalPodAutoscaler", f"fitshop-{service}")
        assert hpa["spec"]["minReplicas"] >= 2, service
        pdb = one(objects, "PodDisruptionBudget", f"fitshop-{service}")
        assert pdb["spec"]["minAvailable"] == 1
        spec = deployment["spec"]["template"]["spec"]
        assert "podAntiAffinity" in spec["affinity"], service
        keys = {c["topologyKey"] for c in spec["topologySpreadConstraints"]}
        assert keys == {"topology.kubernetes.io/zone", "kubernetes.io/hostname"}
        selector = deployment["spec"]["selector"]["matchLabels"]
        assert all(c["labelSelector"]["matchLabels"] == selector for c in spec["topologySpreadConstraints"])


def test_ha_profile_uses_external_datastores_and_no_demo_data(render: Renderer) -> None:
    objects = render("-f", str(CHART / "values-ha.yaml"))
    assert not find(objects, "StatefulSet")
    assert not [j for j in find(objects, "Job") if j["metadata"]["name"].endswith("-seed")]
    env = {e["name"]: e for e in one(objects, "Deployment", "fitshop-orders")["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["DATABASE_URL"]["valueFrom"]["secretKeyRef"] == {"name": "fitshop-postgres-urls", "key": "orders"}
    env = {e["name"]: e for e in one(objects, "Deployment", "fitshop-order-view")["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["REDIS_URL"]["valueFrom"]["secretKeyRef"] == {"name": "fitshop-redis-urls", "key": "order-view"}


def test_external_datastore_urls_given_inline_go_into_the_service_secret(render: Renderer) -> None:
    objects = render(
        "--set", "datastores.postgres.enabled=false",
        "--set", "datastores.postgres.external.url=postgresql://shop:pw1234567@pg.db.invalid:5432/{database}?sslmode=require",
        "--set", "datastores.redis.enabled=false",
        "--set", "datastores.redis.external.url=rediss://:pw1234567@redis.db.invalid:6379/{db}",
    )
    import base64

    data = one(objects, "Secret", "fitshop-orders")["data"]
    assert base64.b64decode(data["DATABASE_URL"]).decode().endswith("/orders?sslmode=require")
    data = one(objects, "Secret", "fitshop-notification")["data"]
    assert base64.b64decode(data["REDIS_URL"]).decode().endswith(":6379/1")
    assert not find(objects, "StatefulSet", "fitshop-postgres")
    assert find(objects, "StatefulSet", "fitshop-mongo")


# -- identity provider ----------------------------------------------------------------------------


def test_our_auth_service_is_the_default_issuer(render: Renderer) -> None:
    config = one(render(), "ConfigMap", "fitshop-orders")["data"]
    assert config["JWT_ISSUER"] == "http://127.0.0.1:8000/auth"
    assert config["JWKS_URL"] == "http://fitshop-auth:8080/auth/jwks.json"
    assert config["JWT_AUDIENCE"] == "fitshop"
    auth = one(render(), "ConfigMap", "fitshop-auth")["data"]
    assert auth["JWT_ISSUER"] == config["JWT_ISSUER"]


def test_an_external_idp_replaces_our_auth_service(render: Renderer) -> None:
    objects = render(
        "--set", "services.auth.enabled=false",
        "--set", "jwt.external.enabled=true",
        "--set", "jwt.issuer=https://idp.example.invalid/realms/shop",
        "--set", "jwt.jwksUrl=https://idp.example.invalid/realms/shop/protocol/openid-connect/certs",
        "--set", "jwt.external.egressCIDRs={203.0.113.0/24}",
        "--set", "seed.services={catalog}",
    )
    assert not find(objects, "Deployment", "fitshop-auth")
    assert not find(objects, "Secret", "fitshop-auth-keys")
    for service in ("catalog", "orders", "delivery", "order-view", "notification"):
        config = one(objects, "ConfigMap", f"fitshop-{service}")["data"]
        assert config["JWT_ISSUER"] == "https://idp.example.invalid/realms/shop"
        assert config["JWKS_URL"].startswith("https://idp.example.invalid/")
        policy = one(objects, "NetworkPolicy", f"fitshop-{service}")
        blocks = [(peer["ipBlock"]["cidr"], rule["ports"][0]["port"]) for rule in policy["spec"]["egress"]
                  for peer in rule["to"] if "ipBlock" in peer]
        assert ("203.0.113.0/24", 443) in blocks


# -- the gateway ----------------------------------------------------------------------------------


def _kong_upstreams(config: str) -> set[str]:
    return {service["url"] for service in yaml.safe_load(config)["services"]}


def test_kong_config_is_rendered_from_gateway_config(render: Renderer) -> None:
    kong_yml = REPO / "gateway-config" / "kong.yml"
    assert kong_yml.exists(), "gateway-config/kong.yml is the single source of the edge config"
    config = one(render(), "ConfigMap", "fitshop-kong-config")["data"]["kong.yml"]
    assert yaml.safe_load(config) == yaml.safe_load(kong_yml.read_text())
    kong_values = yaml.safe_load((REPO / "charts" / "values" / "kong.yaml").read_text())
    assert kong_values["dblessConfig"]["configMap"] == "fitshop-kong-config"


def test_every_kong_upstream_is_a_service_of_the_chart(render: Renderer, chart_values: dict[str, Any]) -> None:
    kong_yml = REPO / "gateway-config" / "kong.yml"
    assert kong_yml.exists(), "gateway-config/kong.yml is the single source of the edge config"
    all_services = {f"http://fitshop-{name}:8080" for name in chart_values["services"]}
    upstreams = _kong_upstreams(kong_yml.read_text())
    assert upstreams <= all_services, f"Kong routes to hosts the chart never creates: {upstreams - all_services}"
    rendered = {f"http://{s['metadata']['name']}:{p['port']}" for s in find(render(), "Service") for p in s["spec"]["ports"]}
    for upstream in upstreams:
        name = upstream.removeprefix("http://fitshop-").removesuffix(":8080")
        if chart_values["services"][name]["enabled"]:
            assert upstream in rendered
            assert chart_values["services"][name]["routed"], f"Kong routes to {name} but values say routed: false"
    assert "http://fitshop-payment-gateway:8080" not in upstreams


def test_another_release_name_rewrites_the_kong_upstreams(render: Renderer) -> None:
    assert (REPO / "gateway-config" / "kong.yml").exists()
    objects = render(release="shop")
    config = one(objects, "ConfigMap", "shop-fitshop-kong-config")["data"]["kong.yml"]
    services = {s["metadata"]["name"] for s in find(objects, "Service")}
    for upstream in _kong_upstreams(config):
        assert upstream.startswith("http://shop-fitshop-")
        host = upstream.removeprefix("http://").split(":")[0]
        assert host in services or host == "shop-fitshop-web"


def test_notes_tell_the_next_step() -> None:
    # NOTES.txt is only rendered by install/upgrade, which need a cluster: check its text.
    notes = (CHART / "templates" / "NOTES.txt").read_text()
    for step in ("helm test", "port-forward", "docs/operations.md", "--set-file gateway.config"):
        assert step in notes
