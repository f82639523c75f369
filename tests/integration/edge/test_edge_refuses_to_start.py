"""The dev edge refuses to start, naming the culprit, on anything in kong.yml it does not implement."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.integration.edge.edge_harness import launch_edge, write_config


def _config(**changes: Any) -> dict[str, Any]:
    route: dict[str, Any] = {"name": "public", "paths": ["/public"], "strip_path": False}
    route.update(changes.pop("route", {}))
    document: dict[str, Any] = {
        "_format_version": "3.0",
        "services": [{"name": "shop", "url": "http://fitshop-test:8080", "routes": [route]}],
    }
    document.update(changes)
    return document


CASES = {
    "an unsupported plugin": (
        _config(plugins=[{"name": "acl", "config": {"allow": ["sellers"]}}]),
        "plugin 'acl' is not implemented by the dev edge",
    ),
    "an unknown route field": (
        _config(route={"hosts": ["shop.example"]}),
        "field 'hosts' is not implemented by the dev edge",
    ),
    "an unknown plugin setting": (
        _config(plugins=[{"name": "cors", "config": {"allow_everything": True}}]),
        "field 'allow_everything' is not implemented by the dev edge",
    ),
    "an unsupported setting value": (
        _config(plugins=[{"name": "rate-limiting",
                          "config": {"minute": 5, "policy": "redis"}}]),
        "'redis' is not implemented by the dev edge",
    ),
    "an unsupported entity kind": (
        _config(upstreams=[{"name": "fitshop-test"}]),
        "field 'upstreams' is not implemented by the dev edge",
    ),
    "a service host without a local address": (
        _config(services=[{"name": "payments", "url": "http://fitshop-payment-gateway:8080",
                           "routes": [{"name": "pay", "paths": ["/pay"]}]}]),
        "host 'fitshop-payment-gateway' has no local address; add "
        "'fitshop-payment-gateway=http://127.0.0.1:PORT' to EDGE_UPSTREAMS",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_the_edge_refuses_to_start_and_names_the_problem(
    case: str, tmp_path: Path, logs_dir: Path
) -> None:
    document, message = CASES[case]
    running = launch_edge(write_config(tmp_path, document),
                          {"fitshop-test": "http://127.0.0.1:9"}, logs_dir)
    try:
        code = running.process.wait(timeout=60)
    finally:
        running.stop()

    assert code != 0
    assert "edge: refusing to start" in running.log()
    assert message in running.log()
