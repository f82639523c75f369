"""Each plugin's Kong 3.9 behaviour, run against in-memory exchanges."""

from __future__ import annotations

import json
from typing import Any

import pytest

from edge.config import GatewayConfig, PluginEntry, parse_config
from edge.exchange import Exit, Headers
from edge.gateway import Gateway
from edge.plugins.correlation_id import CorrelationIdPlugin
from edge.plugins.cors import CorsPlugin
from edge.plugins.jwt import JwtPlugin, decode_token
from edge.plugins.rate_limiting import LocalCounters, RateLimitingPlugin, period_starts
from edge.plugins.request_size_limiting import RequestSizeLimitingPlugin
from tests.integration.edge.edge_harness import SigningKey, mint, rs256
from tests.unit.edge.conftest import ExchangeFactory, minimal

KEY = SigningKey.generate("k1")


def gateway_with(*plugins: dict[str, Any], consumers: list[dict[str, Any]] | None = None
                 ) -> GatewayConfig:
    return parse_config(minimal(
        plugins=list(plugins),
        consumers=consumers if consumers is not None else [
            {"username": "fitshop-auth", "jwt_secrets": [KEY.jwt_secret()]}],
    ))


def plugin_of(config: GatewayConfig, cls: type, name: str) -> Any:
    entry = next(p for p in config.plugins if p.name == name)
    return cls(entry, config)


def body(ending: Exit | None) -> Any:
    assert ending is not None
    return json.loads(ending.body)


# --- jwt ------------------------------------------------------------------------------------


def jwt_plugin(**config: Any) -> tuple[GatewayConfig, JwtPlugin]:
    gateway = gateway_with({"name": "jwt", "config": {"key_claim_name": "kid", **config}})
    return gateway, plugin_of(gateway, JwtPlugin, "jwt")


async def test_jwt_reads_the_query_parameter_by_default(exchange_for: ExchangeFactory) -> None:
    gateway, plugin = jwt_plugin()
    exchange = exchange_for(gateway, query=f"jwt={KEY.token()}".encode())

    assert await plugin.access(exchange) is None
    assert exchange.consumer is not None and exchange.consumer.username == "fitshop-auth"


async def test_jwt_refuses_two_different_tokens(exchange_for: ExchangeFactory) -> None:
    gateway, plugin = jwt_plugin()
    exchange = exchange_for(gateway, query=f"jwt={KEY.token()}".encode(),
                            headers=[("Authorization", f"Bearer {KEY.token(sub='bob')}")])

    assert body(await plugin.access(exchange)) == {"message": "Multiple tokens provided"}


async def test_jwt_takes_the_key_claim_from_the_payload_before_the_header(
    exchange_for: ExchangeFactory
) -> None:
    gateway, plugin = jwt_plugin()
    token = mint({"alg": "RS256"}, KEY.claims(kid="k1"), rs256(KEY.private_key))
    exchange = exchange_for(gateway, headers=[("Authorization", f"Bearer {token}")])

    assert await plugin.access(exchange) is None


@pytest.mark.parametrize(
    ("header", "claims", "message"),
    [
        ({"alg": "RS256"}, {}, {"message": "No mandatory 'kid' in claims"}),
        ({"alg": "RS256", "kid": ""}, {}, {"message": "Invalid 'kid' in claims"}),
        ({"alg": "RS256", "kid": "k1"}, {"exp": "soon", "nbf": 1},
         {"exp": "must be a number"}),
        ({"alg": "RS256", "kid": "k1"}, {"exp": 1, "nbf": 1}, {"exp": "token expired"}),
        ({"alg": "RS256", "kid": "k1"}, {"nbf": 4_000_000_000},
         {"exp": "must be a number", "nbf": "token not valid yet"}),
    ],
)
async def test_jwt_claim_errors_map_like_kong(exchange_for: ExchangeFactory,
                                              header: dict[str, Any], claims: dict[str, Any],
                                              message: dict[str, str]) -> None:
    gateway, plugin = jwt_plugin(claims_to_verify=["exp", "nbf"])
    token = mint(header, claims, rs256(KEY.private_key))
    exchange = exchange_for(gateway, headers=[("Authorization", f"bearer {token}")])

    ending = await plugin.access(exchange)

    assert body(ending) == message
    assert ending is not None and ending.status == 401


async def test_jwt_caps_token_lifetime(exchange_for: ExchangeFactory) -> None:
    gateway, plugin = jwt_plugin(claims_to_verify=["exp"], maximum_expiration=60)
    plugin.clock = lambda: 1_000_000.0
    token = KEY.token(exp=1_000_000 + 61)

    ending = await plugin.access(exchange_for(gateway,
                                              headers=[("Authorization", f"Bearer {token}")]))

    assert body(ending) == {"exp": "exceeds maximum allowed expiration"}


async def test_jwt_realm_appears_in_the_challenge(exchange_for: ExchangeFactory) -> None:
    gateway, plugin = jwt_plugin(realm="fitshop")

    ending = await plugin.access(exchange_for(gateway))

    assert ending is not None
    assert ending.headers.get("WWW-Authenticate") == 'Bearer realm="fitshop"'


async def test_jwt_can_let_preflights_through(exchange_for: ExchangeFactory) -> None:
    gateway, plugin = jwt_plugin(run_on_preflight=False)

    assert await plugin.access(exchange_for(gateway, "OPTIONS")) is None


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        ("a.b", "invalid JSON"),
        ("!!!.e30.", "invalid JSON"),
        (mint({"alg": "none"}, {}, None), "invalid alg"),
        (mint({"alg": "XX999"}, {}, None), "invalid alg"),
        (mint({"typ": "JWT"}, {}, None), "invalid alg"),
        (mint({"alg": "RS256"}, {}, None)[:-1] + ".**", "invalid signature"),
    ],
)
def test_tokens_that_do_not_parse_say_why(token: str, reason: str) -> None:
    with pytest.raises(Exception, match=reason):
        decode_token(token)


# --- rate-limiting --------------------------------------------------------------------------


def limiter(config: dict[str, Any], **plugin: Any) -> tuple[GatewayConfig, RateLimitingPlugin]:
    gateway = gateway_with({"name": "rate-limiting", "config": config, **plugin})
    limit = plugin_of(gateway, RateLimitingPlugin, "rate-limiting")
    limit.counters = LocalCounters()
    return gateway, limit


def test_windows_start_on_utc_calendar_boundaries() -> None:
    starts = period_starts(1_764_068_523)  # 2025-11-25T11:02:03Z

    assert starts["second"] == 1_764_068_523_000
    assert starts["minute"] == 1_764_068_520_000
    assert starts["hour"] == 1_764_068_400_000
    assert starts["day"] == 1_764_028_800_000
    assert starts["month"] == 1_761_955_200_000
    assert starts["year"] == 1_735_689_600_000


async def test_the_most_restrictive_window_drives_the_ratelimit_headers(
    exchange_for: ExchangeFactory
) -> None:
    gateway, limit = limiter({"second": 5, "minute": 5, "limit_by": "ip"})
    limit.clock = lambda: 1_764_068_523.0

    first = exchange_for(gateway)
    assert await limit.access(first) is None
    headers = dict(first.response_headers.items())

    assert headers["X-RateLimit-Limit-Second"] == "5"
    assert headers["X-RateLimit-Remaining-Second"] == "4"
    assert headers["X-RateLimit-Remaining-Minute"] == "4"
    # equal remaining: Kong reports the longer window
    assert (headers["RateLimit-Limit"], headers["RateLimit-Remaining"]) == ("5", "4")
    assert headers["RateLimit-Reset"] == "57"


async def test_past_the_limit_comes_429_with_retry_after(exchange_for: ExchangeFactory) -> None:
    gateway, limit = limiter({"minute": 1, "limit_by": "ip"})
    limit.clock = lambda: 1_764_068_523.0
    await limit.access(exchange_for(gateway))

    ending = await limit.access(exchange_for(gateway))

    assert ending is not None and ending.status == 429
    assert body(ending)["message"] == "API rate limit exceeded"
    assert ending.headers.get("Retry-After") == "57"
    assert ending.headers.get("X-RateLimit-Remaining-Minute") == "0"


async def test_a_new_window_starts_afresh(exchange_for: ExchangeFactory) -> None:
    gateway, limit = limiter({"second": 1, "limit_by": "ip"})
    limit.clock = lambda: 1_764_068_523.0
    await limit.access(exchange_for(gateway))
    limit.clock = lambda: 1_764_068_524.0

    assert await limit.access(exchange_for(gateway)) is None


async def test_ips_are_counted_apart(exchange_for: ExchangeFactory) -> None:
    gateway, limit = limiter({"minute": 1, "limit_by": "ip"})
    limit.clock = lambda: 1_764_068_523.0
    await limit.access(exchange_for(gateway, client_ip="10.0.0.1"))

    assert await limit.access(exchange_for(gateway, client_ip="10.0.0.2")) is None


async def test_custom_code_and_message_and_hidden_headers(exchange_for: ExchangeFactory) -> None:
    gateway, limit = limiter({"minute": 1, "error_code": 503, "error_message": "slow down",
                              "hide_client_headers": True})
    limit.clock = lambda: 1_764_068_523.0
    passed = exchange_for(gateway)
    await limit.access(passed)

    ending = await limit.access(exchange_for(gateway))

    assert passed.response_headers.items() == []
    assert ending is not None and ending.status == 503 and body(ending)["message"] == "slow down"
    assert ending.headers.get("Retry-After") is None


# --- plugin scope precedence ----------------------------------------------------------------


async def test_a_consumer_scoped_instance_replaces_the_global_one_after_authentication(
    exchange_for: ExchangeFactory
) -> None:
    config = gateway_with(
        {"name": "rate-limiting", "config": {"minute": 10, "limit_by": "ip"}},
        {"name": "jwt", "config": {"key_claim_name": "kid"}},
        consumers=[{"username": "fitshop-auth", "jwt_secrets": [KEY.jwt_secret()],
                    "plugins": [{"name": "rate-limiting",
                                 "config": {"minute": 99, "limit_by": "consumer"}}]}],
    )
    gateway = Gateway(config, {"fitshop-shop": "http://127.0.0.1:1"})
    anonymous = exchange_for(config)
    authenticated = exchange_for(config, headers=[("Authorization", f"Bearer {KEY.token()}")])
    jwt = gateway.resolve("jwt", authenticated)
    assert jwt is not None and await jwt.access(authenticated) is None

    before = gateway.resolve("rate-limiting", anonymous)
    after = gateway.resolve("rate-limiting", authenticated)

    assert before is not None and before.entry.consumer is None
    assert after is not None and after.entry.consumer is not None


# --- cors -----------------------------------------------------------------------------------


def cors(**config: Any) -> tuple[GatewayConfig, CorsPlugin]:
    gateway = gateway_with({"name": "cors", "config": config})
    return gateway, plugin_of(gateway, CorsPlugin, "cors")


async def test_cors_regex_origins_match_by_host(exchange_for: ExchangeFactory) -> None:
    gateway, plugin = cors(origins=[r"(.*\.)?fitshop\.example", "http://127.0.0.1:8108"])
    exchange = exchange_for(gateway, headers=[("Origin", "https://shop.fitshop.example:443")])
    headers = Headers()

    plugin.header_filter(exchange, headers)

    assert headers.get("Access-Control-Allow-Origin") == "https://shop.fitshop.example"
    assert headers.get("Vary") == "Origin"


async def test_cors_star_with_credentials_reflects_the_origin(exchange_for: ExchangeFactory
                                                              ) -> None:
    gateway, plugin = cors(origins=["*"], credentials=True)
    headers = Headers()

    plugin.header_filter(exchange_for(gateway, headers=[("Origin", "http://a.example")]), headers)

    assert headers.get("Access-Control-Allow-Origin") == "http://a.example"
    assert headers.get("Access-Control-Allow-Credentials") == "true"


async def test_cors_preflight_without_configured_headers_echoes_the_requested_ones(
    exchange_for: ExchangeFactory
) -> None:
    gateway, plugin = cors(origins=["http://a.example"])
    exchange = exchange_for(gateway, "OPTIONS", headers=[
        ("Origin", "http://a.example"), ("Access-Control-Request-Method", "PUT"),
        ("Access-Control-Request-Headers", "x-one,x-two")])

    ending = await plugin.access(exchange)

    assert ending is not None and ending.status == 200 and ending.body == b""
    assert ending.headers.get("Access-Control-Allow-Headers") == "x-one,x-two"
    assert ending.headers.get("Access-Control-Allow-Methods") == (
        "GET,HEAD,PUT,PATCH,POST,DELETE,OPTIONS,TRACE,CONNECT")


async def test_cors_preflight_continue_leaves_it_to_the_upstream(exchange_for: ExchangeFactory
                                                                 ) -> None:
    gateway, plugin = cors(preflight_continue=True)
    exchange = exchange_for(gateway, "OPTIONS", headers=[
        ("Origin", "http://a.example"), ("Access-Control-Request-Method", "PUT")])

    assert await plugin.access(exchange) is None


# --- correlation-id and request-size-limiting ------------------------------------------------


async def test_correlation_id_counter_generator_and_no_echo(exchange_for: ExchangeFactory) -> None:
    gateway = gateway_with({"name": "correlation-id", "config": {"generator": "uuid#counter"}})
    plugin = plugin_of(gateway, CorrelationIdPlugin, "correlation-id")
    exchange = exchange_for(gateway)
    headers = Headers()

    await plugin.access(exchange)
    plugin.header_filter(exchange, headers)

    assert "#" in str(exchange.upstream_header_edits["kong-request-id"])
    assert headers.items() == []


async def test_size_limit_in_bytes_and_expect_continue(exchange_for: ExchangeFactory) -> None:
    gateway = gateway_with({"name": "request-size-limiting",
                            "config": {"allowed_payload_size": 10, "size_unit": "bytes"}})
    plugin = plugin_of(gateway, RequestSizeLimitingPlugin, "request-size-limiting")

    small = exchange_for(gateway, "POST", content_length=10)
    large = exchange_for(gateway, "POST", content_length=11)
    expecting = exchange_for(gateway, "POST", content_length=11,
                             headers=[("Expect", "100-continue")])
    chunked = exchange_for(gateway, "POST", chunks=[b"12345", b"67890", b"x"])

    assert await plugin.access(small) is None
    assert (await plugin.access(large) or Exit(0, b"")).status == 413
    assert (await plugin.access(expecting) or Exit(0, b"")).status == 417
    assert (await plugin.access(chunked) or Exit(0, b"")).status == 413


async def test_a_chunked_body_within_the_limit_is_kept_for_the_upstream(
    exchange_for: ExchangeFactory
) -> None:
    gateway = gateway_with({"name": "request-size-limiting",
                            "config": {"allowed_payload_size": 1, "size_unit": "kilobytes"}})
    plugin = plugin_of(gateway, RequestSizeLimitingPlugin, "request-size-limiting")
    exchange = exchange_for(gateway, "POST", chunks=[b"a" * 600, b"b" * 424])

    assert await plugin.access(exchange) is None
    assert exchange.body.buffered == b"a" * 600 + b"b" * 424


async def test_require_content_length_refuses_bodies_of_unknown_size(
    exchange_for: ExchangeFactory
) -> None:
    gateway = gateway_with({"name": "request-size-limiting",
                            "config": {"require_content_length": True}})
    plugin = plugin_of(gateway, RequestSizeLimitingPlugin, "request-size-limiting")

    ending = await plugin.access(exchange_for(gateway, "POST"))

    assert ending is not None and ending.status == 411


def test_plugin_entries_keep_their_location_for_messages() -> None:
    config = gateway_with({"name": "cors"})
    entry: PluginEntry = next(p for p in config.plugins if p.name == "cors")

    assert entry.where == "plugins[0] (cors)"
