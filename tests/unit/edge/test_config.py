"""Reading kong.yml: the real file loads, and everything the edge does not implement is refused by name."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from edge import specs
from edge.config import ConfigError, load_config, parse_config
from edge.gateway import Gateway
from edge.plugins import PLUGIN_TYPES
from edge.settings import DEFAULT_UPSTREAMS, find_repo_file, parse_listen, parse_upstreams

REPO_CONFIG = Path(__file__).resolve().parents[3] / "gateway-config" / "kong.yml"


def document(**extra: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "_format_version": "3.0",
        "services": [{"name": "shop", "url": "http://fitshop-shop:8080",
                      "routes": [{"name": "all", "paths": ["/"], "strip_path": False}]}],
    }
    base.update(extra)
    return base


def refused(doc: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_config(doc)


def test_the_repository_config_is_served_as_is() -> None:
    config = load_config(REPO_CONFIG)
    gateway = Gateway(config, DEFAULT_UPSTREAMS)

    assert {s.name for s in config.services} >= {"auth", "catalog", "orders", "web"}
    assert gateway.plugin_names == ["correlation-id", "cors", "jwt", "request-size-limiting",
                                    "rate-limiting", "prometheus"]


def test_every_plugin_the_specs_accept_has_an_implementation() -> None:
    assert set(specs.PLUGIN_CONFIG) == set(PLUGIN_TYPES)


def test_yaml_anchors_share_one_plugin_config() -> None:
    config = load_config(REPO_CONFIG)
    jwt_configs = [p.config for p in config.plugins if p.name == "jwt"]

    assert len(jwt_configs) >= 5 and all(c == jwt_configs[0] for c in jwt_configs)


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        (document(plugins=[{"name": "acl"}]), "plugin 'acl' is not implemented"),
        (document(plugins=[{"name": "key-auth", "config": {}}]),
         "plugin 'key-auth' is not implemented"),
        (document(upstreams=[]), "field 'upstreams' is not implemented"),
        (document(_format_version="2.1"), "'2.1' is not implemented"),
        (document(services=[{"name": "s", "url": "https://x:443"}]), "an http:// URL"),
        (document(services=[{"name": "s", "url": "http://x", "tls_verify": True}]),
         "field 'tls_verify' is not implemented"),
        (document(services=[{"name": "s", "url": "http://x",
                             "routes": [{"name": "r", "hosts": ["a"], "paths": ["/"]}]}]),
         "field 'hosts' is not implemented"),
        (document(services=[{"name": "s", "url": "http://x",
                             "routes": [{"name": "r", "paths": ["/"], "protocols": ["grpc"]}]}]),
         "'grpc' is not implemented"),
        (document(services=[{"name": "s", "url": "http://x",
                             "routes": [{"name": "r", "paths": ["api"]}]}]),
         "must start with '/'"),
        (document(services=[{"name": "s", "url": "http://x",
                             "routes": [{"name": "r", "paths": ["~/a(["]}]}]),
         "not a valid regex"),
        (document(plugins=[{"name": "rate-limiting", "config": {"minute": 5, "policy": "redis"}}]),
         "'redis' is not implemented"),
        (document(plugins=[{"name": "rate-limiting", "config": {"policy": "local"}}]),
         "set at least one of second"),
        (document(plugins=[{"name": "rate-limiting", "config": {"second": 10, "minute": 5}}]),
         "the limit for minute cannot be lower than the limit for second"),
        (document(plugins=[{"name": "jwt", "config": {"anonymous": "guest"}}]),
         "anonymous consumers"),
        (document(plugins=[{"name": "jwt", "config": {"secret_is_base64": True}}]),
         "True is not implemented"),
        (document(plugins=[{"name": "jwt", "config": {"maximum_expiration": 60}}]),
         "maximum_expiration needs 'exp'"),
        (document(plugins=[{"name": "correlation-id", "config": {"generator": "tracker"}}]),
         "'tracker' is not implemented"),
        (document(plugins=[{"name": "prometheus", "config": {"upstream_health_metrics": True}}]),
         "True is not implemented"),
        (document(plugins=[{"name": "cors", "config": {"origins": "*"}}]), "must be a list"),
        (document(plugins=[{"name": "cors", "service": "nope"}]),
         "refers to service 'nope', which kong.yml does not define"),
        (document(consumers=[{"username": "c"}],
                  plugins=[{"name": "cors", "consumer": "c"}]),
         "Kong does not allow plugin 'cors' on a consumer"),
        (document(plugins=[{"name": "cors"}, {"name": "cors"}]), "same plugin and scope"),
        (document(consumers=[{"username": "c", "jwt_secrets": [
            {"key": "k", "algorithm": "HS256", "secret": "s"}]}]), "'HS256' is not implemented"),
        (document(consumers=[{"username": "c", "jwt_secrets": [
            {"key": "k", "algorithm": "RS256", "rsa_public_key": "not a key"}]}]),
         "is not a PEM public key"),
        (document(consumers=[{"tags": ["staff"]}]), "needs 'username' or 'custom_id'"),
        (document(routes=[{"name": "loose", "paths": ["/x"]}]), "needs 'service'"),
    ],
)
def test_what_the_edge_does_not_implement_is_refused_by_name(doc: dict[str, Any],
                                                              message: str) -> None:
    refused(doc, message)


def test_refusals_say_where_in_the_file() -> None:
    doc = document(services=[{"name": "shop", "url": "http://x",
                              "routes": [{"name": "orders", "paths": ["/"], "snis": ["a"]}]}])

    with pytest.raises(ConfigError, match=r"services\[0\] \(shop\)\.routes\[0\] \(orders\)\.snis"):
        parse_config(doc)


def test_plugins_nest_under_services_routes_and_consumers() -> None:
    config = parse_config(document(
        services=[{"name": "s", "url": "http://x", "plugins": [{"name": "cors"}],
                   "routes": [{"name": "r", "paths": ["/"],
                               "plugins": [{"name": "rate-limiting", "config": {"minute": 1}}]}]}],
        consumers=[{"username": "c", "plugins": [{"name": "rate-limiting",
                                                  "config": {"minute": 2}}]}],
        plugins=[{"name": "prometheus", "route": "r"}],
    ))
    scopes = {(p.name, p.route and p.route.name, p.service and p.service.name,
               p.consumer and p.consumer.username) for p in config.plugins}

    assert scopes == {("cors", None, "s", None), ("rate-limiting", "r", None, None),
                      ("rate-limiting", None, None, "c"), ("prometheus", "r", None, None)}


def test_a_service_host_without_a_local_address_is_refused() -> None:
    config = parse_config(document())

    with pytest.raises(ConfigError, match="EDGE_UPSTREAMS"):
        Gateway(config, {})


def test_upstream_mappings_are_parsed_and_checked() -> None:
    assert parse_upstreams(" fitshop-orders=http://127.0.0.1:8103 ,a=http://h:1/") == {
        "fitshop-orders": "http://127.0.0.1:8103", "a": "http://h:1"}
    with pytest.raises(ConfigError, match="EDGE_UPSTREAMS"):
        parse_upstreams("fitshop-orders:8103")
    with pytest.raises(ConfigError, match="EDGE_UPSTREAMS"):
        parse_upstreams("a=http://h:1/path")


def test_the_status_listener_can_be_turned_off() -> None:
    assert parse_listen("off") is None
    assert parse_listen("0.0.0.0:8100") == ("0.0.0.0", 8100)
    with pytest.raises(ConfigError, match="EDGE_STATUS_LISTEN"):
        parse_listen("8100x")


def test_the_default_config_is_the_repository_one() -> None:
    assert find_repo_file(Path("gateway-config") / "kong.yml") == REPO_CONFIG
