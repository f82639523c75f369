"""Route matching with Kong 3.9's priorities, path normalisation and the upstream path (v0)."""

from __future__ import annotations

import pytest

from edge.config import ConfigError, Route, Service
from edge.router import Match, Router, normalize_path, route_priority, upstream_path

SHOP = Service(id="s", name="shop", host="fitshop-shop", port=8080)


def route(name: str, *paths: str, methods: tuple[str, ...] = (), strip_path: bool = False,
          regex_priority: int = 0, service: Service = SHOP) -> Route:
    return Route(id=name, name=name, service=service, paths=paths, methods=methods,
                 strip_path=strip_path, regex_priority=regex_priority)


def matched(router: Router, method: str, path: str) -> str | None:
    found = router.match(method, path)
    return found.route.name if found else None


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("/api/v1/orders", "/api/v1/orders"),
        ("/api//v1///orders/", "/api/v1/orders/"),
        ("/api/v1/orders/../../admin", "/api/admin"),
        ("/api/v1/./orders", "/api/v1/orders"),
        ("/api/v1/%6Frders", "/api/v1/orders"),
        ("/api/v1/orders/%2e%2e/x", "/api/v1/x"),
        ("/a%2fb", "/a%2Fb"),
        ("/../..", "/"),
        ("", "/"),
    ],
)
def test_paths_are_normalised_before_routing(raw: str, normal: str) -> None:
    assert normalize_path(raw) == normal


def test_the_longest_prefix_wins() -> None:
    router = Router([route("root", "/"), route("orders", "/api/v1/orders"),
                     route("api", "/api")])

    assert matched(router, "GET", "/api/v1/orders/7") == "orders"
    assert matched(router, "GET", "/api/v2") == "api"
    assert matched(router, "GET", "/elsewhere") == "root"


def test_a_route_with_methods_outranks_a_longer_prefix_without() -> None:
    # Kong 3.9 counts matched fields first: this is why `/` must carry no methods.
    router = Router([route("root-get", "/", methods=("GET",)), route("orders", "/api/v1/orders")])

    assert matched(router, "GET", "/api/v1/orders") == "root-get"
    assert matched(router, "POST", "/api/v1/orders") == "orders"


def test_routes_split_by_method_share_a_path() -> None:
    router = Router([
        route("read", "/api/v1/products", methods=("GET", "HEAD")),
        route("write", "/api/v1/products", methods=("POST", "DELETE")),
        route("root", "/"),
    ])

    assert matched(router, "GET", "/api/v1/products/1") == "read"
    assert matched(router, "DELETE", "/api/v1/products/1") == "write"
    assert matched(router, "TRACE", "/api/v1/products") == "root"


def test_regex_paths_outrank_prefixes_and_order_by_regex_priority() -> None:
    router = Router([
        route("prefix", "/api/v1/orders/special"),
        route("regex-low", r"~/api/v1/orders/\w+$"),
        route("regex-high", r"~/api/v1/orders/[a-z]+$", regex_priority=5),
    ])

    assert matched(router, "GET", "/api/v1/orders/special") == "regex-high"
    assert matched(router, "GET", "/api/v1/orders/42") == "regex-low"
    assert matched(router, "GET", "/api/v1/orders/special/x") == "prefix"


def test_regex_paths_are_anchored_at_the_start() -> None:
    router = Router([route("regex", r"~/orders/\d+")])

    assert matched(router, "GET", "/orders/12") == "regex"
    assert matched(router, "GET", "/x/orders/12") is None


def test_nothing_matches_without_a_route() -> None:
    assert Router([route("orders", "/api/v1/orders")]).match("GET", "/api/v1/products") is None


def test_priority_layout_follows_kong() -> None:
    plain = route_priority(route("r", "/abc"), "/abc")
    with_methods = route_priority(route("r", "/a", methods=("GET",)), "/a")
    regex = route_priority(route("r", "~/a", regex_priority=3), "~/a")

    assert plain == (1 << 61) | 4
    assert with_methods == (2 << 61) | 2
    assert regex == (1 << 61) | (1 << 51) | (3 << 19)


def test_routes_that_only_a_route_id_could_separate_are_refused() -> None:
    with pytest.raises(ConfigError, match="tie on priority"):
        Router([route("first", "/api"), route("second", "/api")])
    with pytest.raises(ConfigError, match="tie on priority"):
        Router([route("first", r"~/a/\d+"), route("second", r"~/b/\d+")])


def test_same_path_with_disjoint_methods_is_no_tie() -> None:
    Router([route("a", "/api", methods=("GET",)), route("b", "/api", methods=("POST",))])


@pytest.mark.parametrize(
    ("service_path", "strip", "route_path", "incoming", "upstream"),
    [
        (None, False, "/api/v1/orders", "/api/v1/orders/7", "/api/v1/orders/7"),
        (None, True, "/strip", "/strip/items", "/items"),
        (None, True, "/strip", "/strip", "/"),
        ("/base", True, "/strip", "/strip/items", "/base/items"),
        ("/base", True, "/strip", "/strip", "/base"),
        ("/base/", True, "/strip", "/strip/items", "/base/items"),
        ("/base", False, "/strip", "/strip/items", "/base/strip/items"),
        ("/base/", False, "/strip", "/strip/items", "/base/strip/items"),
    ],
)
def test_upstream_path_follows_path_handling_v0(service_path: str | None, strip: bool,
                                                route_path: str, incoming: str,
                                                upstream: str) -> None:
    service = Service(id="s", name="s", host="h", port=80, path=service_path)
    found = Router([route("r", route_path, strip_path=strip, service=service)]).match("GET", incoming)

    assert isinstance(found, Match)
    assert upstream_path(found, incoming) == upstream
