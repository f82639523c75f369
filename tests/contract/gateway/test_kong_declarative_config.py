"""gateway-config/kong.yml checked offline: decK's schema, Kong 3.9's plugin fields, relations, keys."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from edge.keys import check as keys_check

REPO = Path(__file__).resolve().parents[3]
CONFIG = REPO / "gateway-config" / "kong.yml"
DECK_SCHEMA = REPO.parent / "shared" / "schemas" / "kong-declarative-decK.json"

# The config fields of Kong 3.9's plugin schemas (field -> type), transcribed from
# Kong/kong kong/plugins/<name>/schema.lua: rate-limiting as of 3.6+ (the `redis` record and
# deprecated redis_* shorthands; `policy` is only local|redis when DB-less), jwt with `realm`
# (3.8+), prometheus with `ai_metrics` (3.8+), correlation-id and request-size-limiting as in
# 3.x; cors with `private_network` (added in 3.5; `allow_origin_absent` only came in 3.10).
# Types: "boolean", "integer", "number", "string", "array" (of strings), "record", or a tuple of
# the allowed values (Kong's one_of). Every name here is a Kong field; the project uses a subset.
KONG_39_PLUGIN_FIELDS: dict[str, dict[str, Any]] = {
    "jwt": {
        "uri_param_names": "array", "cookie_names": "array", "header_names": "array",
        "key_claim_name": "string", "secret_is_base64": "boolean",
        "claims_to_verify": ("exp", "nbf"), "anonymous": "string",
        "run_on_preflight": "boolean", "maximum_expiration": "number", "realm": "string",
    },
    "rate-limiting": {
        "second": "number", "minute": "number", "hour": "number", "day": "number",
        "month": "number", "year": "number",
        "limit_by": ("consumer", "credential", "ip", "service", "header", "path"),
        "header_name": "string", "path": "string", "policy": ("local", "redis"),
        "fault_tolerant": "boolean", "redis": "record", "hide_client_headers": "boolean",
        "error_code": "number", "error_message": "string", "sync_rate": "number",
    },
    "cors": {
        "origins": "array", "headers": "array", "exposed_headers": "array",
        "methods": ("GET", "HEAD", "PUT", "PATCH", "POST", "DELETE", "OPTIONS", "TRACE",
                    "CONNECT"),
        "max_age": "number", "credentials": "boolean", "private_network": "boolean",
        "preflight_continue": "boolean",
    },
    "correlation-id": {
        "header_name": "string", "generator": ("uuid", "uuid#counter", "tracker"),
        "echo_downstream": "boolean",
    },
    "request-size-limiting": {
        "allowed_payload_size": "integer", "size_unit": ("megabytes", "kilobytes", "bytes"),
        "require_content_length": "boolean",
    },
    "prometheus": {
        "per_consumer": "boolean", "status_code_metrics": "boolean", "ai_metrics": "boolean",
        "latency_metrics": "boolean", "bandwidth_metrics": "boolean",
        "upstream_health_metrics": "boolean",
    },
}
OSS_PLUGINS_WE_USE = set(KONG_39_PLUGIN_FIELDS)

CHART_SERVICES = {"auth", "catalog", "orders", "order-view", "delivery", "notification", "web"}
PUBLIC_PATHS = {  # ../shared/API.md: what the gateway routes, and nothing else
    "/auth", "/api/v1/products", "/api/v1/orders", "/api/v1/my-orders",
    "/api/v1/my-orders/stream", "/api/v1/deliveries", "/api/v1/notifications", "/",
}
PUBLIC_ROUTES = {"auth", "catalog-read", "web"}


@pytest.fixture(scope="module")
def config() -> dict[str, Any]:
    document = yaml.safe_load(CONFIG.read_text())
    assert isinstance(document, dict)
    return document


def services(config: dict[str, Any]) -> list[dict[str, Any]]:
    return list(config.get("services") or [])


def routes(config: dict[str, Any]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    return [(s, r) for s in services(config) for r in s.get("routes") or []]


def all_plugins(config: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Every plugin with where it sits."""
    found = [("global", p) for p in config.get("plugins") or []]
    for service in services(config):
        found += [(f"service {service['name']}", p) for p in service.get("plugins") or []]
        for route in service.get("routes") or []:
            found += [(f"route {route['name']}", p) for p in route.get("plugins") or []]
    for consumer in config.get("consumers") or []:
        found += [(f"consumer {consumer['username']}", p) for p in consumer.get("plugins") or []]
    return found


def test_the_config_is_valid_for_decks_schema(config: dict[str, Any]) -> None:
    assert DECK_SCHEMA.is_file(), f"decK's schema belongs beside the project at {DECK_SCHEMA}"
    schema = json.loads(DECK_SCHEMA.read_text())
    # round-trip through JSON: what Kong parses is plain data (YAML anchors resolved)
    jsonschema.Draft4Validator(schema).validate(json.loads(json.dumps(config)))


def test_the_format_is_kong_3(config: dict[str, Any]) -> None:
    assert config["_format_version"] == "3.0"


def test_only_oss_plugins_with_kong_39_fields_are_used(config: dict[str, Any]) -> None:
    for where, plugin in all_plugins(config):
        assert plugin["name"] in OSS_PLUGINS_WE_USE, f"{where}: {plugin['name']}"
        fields = KONG_39_PLUGIN_FIELDS[plugin["name"]]
        for key, value in (plugin.get("config") or {}).items():
            assert key in fields, f"{where}: {plugin['name']} has no field {key!r} in Kong 3.9"
            kind = fields[key]
            label = f"{where}: {plugin['name']}.{key}={value!r}"
            if isinstance(kind, tuple):
                values = value if isinstance(value, list) else [value]
                assert all(v in kind for v in values), label
            elif kind == "array":
                assert isinstance(value, list) and all(isinstance(v, str) for v in value), label
            elif kind == "boolean":
                assert isinstance(value, bool), label
            elif kind == "integer":
                assert isinstance(value, int) and not isinstance(value, bool), label
            elif kind == "number":
                assert isinstance(value, int | float) and not isinstance(value, bool), label
            elif kind == "string":
                assert isinstance(value, str), label
            else:
                assert isinstance(value, dict), label


def test_db_less_rate_limiting_counts_locally(config: dict[str, Any]) -> None:
    limits = [p for _, p in all_plugins(config) if p["name"] == "rate-limiting"]

    assert {p["config"]["limit_by"] for p in limits} == {"ip", "consumer"}
    assert all(p["config"]["policy"] == "local" for p in limits)


def test_every_reference_points_at_something_defined(config: dict[str, Any]) -> None:
    names = {
        "service": {s["name"] for s in services(config)},
        "route": {r["name"] for _, r in routes(config)},
        "consumer": {c.get("username") for c in config.get("consumers") or []},
    }
    for route in config.get("routes") or []:  # top-level routes name their service
        assert route["service"] in names["service"]
    for where, plugin in all_plugins(config):
        for kind, known in names.items():
            if kind in plugin:
                assert plugin[kind] in known, f"{where}: {kind} {plugin[kind]!r} is not defined"
    for kind in ("service", "route"):
        all_names = [s["name"] for s in services(config)] if kind == "service" else [
            r["name"] for _, r in routes(config)]
        assert len(all_names) == len(set(all_names)), f"duplicate {kind} names"


def test_upstreams_are_the_charts_service_names(config: dict[str, Any]) -> None:
    for service in services(config):
        match = re.fullmatch(r"http://fitshop-([a-z-]+):8080", service["url"])
        assert match, service["url"]
        assert match.group(1) in CHART_SERVICES, service["url"]


def test_only_the_public_api_is_routed(config: dict[str, Any]) -> None:
    paths = {p for _, r in routes(config) for p in r["paths"]}

    assert paths == PUBLIC_PATHS
    assert all(r.get("strip_path") is False for _, r in routes(config))
    assert not any("payment" in s["url"] for s in services(config))


def test_every_route_but_the_public_ones_needs_a_token(config: dict[str, Any]) -> None:
    for service, route in routes(config):
        guarded = any(p["name"] == "jwt" for p in
                      (service.get("plugins") or []) + (route.get("plugins") or []))
        assert guarded == (route["name"] not in PUBLIC_ROUTES), route["name"]


def test_jwt_checks_rs256_tokens_by_key_id(config: dict[str, Any]) -> None:
    for where, plugin in all_plugins(config):
        if plugin["name"] == "jwt":
            assert plugin["config"]["key_claim_name"] == "kid", where
            assert plugin["config"]["claims_to_verify"] == ["exp"], where
    (consumer,) = config["consumers"]
    assert consumer["username"] == "fitshop-auth"
    assert consumer["jwt_secrets"], "no signing key published"
    assert all(s["algorithm"] == "RS256" for s in consumer["jwt_secrets"])


def test_the_catalog_is_public_to_read_and_protected_to_write(config: dict[str, Any]) -> None:
    by_name = {r["name"]: r for _, r in routes(config)}

    assert set(by_name["catalog-read"]["methods"]) == {"GET", "HEAD", "OPTIONS"}
    assert set(by_name["catalog-write"]["methods"]) == {"POST", "PUT", "PATCH", "DELETE"}
    # a route with methods outranks any without in Kong 3.9: only the catalog may carry them
    assert [n for n, r in by_name.items() if "methods" in r] == ["catalog-read", "catalog-write"]


def test_request_bodies_are_capped_at_one_mebibyte(config: dict[str, Any]) -> None:
    (limit,) = [p for w, p in all_plugins(config)
                if p["name"] == "request-size-limiting" and w == "global"]

    assert limit["config"]["allowed_payload_size"] == 1
    assert limit["config"]["size_unit"] == "megabytes"


def test_the_published_keys_are_the_demo_keys() -> None:
    assert keys_check(REPO / "gateway-config" / "demo-keys", CONFIG) == []
