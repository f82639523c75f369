"""What the dev edge accepts in kong.yml: each entity field and plugin setting, with its values."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

Check = Callable[[Any], "str | None"]
"""Returns why a value is refused, or None when the edge implements it."""

HTTP_METHODS = frozenset(
    {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"}
)


def boolean(value: Any) -> str | None:
    return None if isinstance(value, bool) else "must be a boolean"


def integer(*, low: int | None = None, high: int | None = None) -> Check:
    def check(value: Any) -> str | None:
        if isinstance(value, bool) or not isinstance(value, int):
            return "must be an integer"
        if low is not None and value < low:
            return f"must be at least {low}"
        if high is not None and value > high:
            return f"must be at most {high}"
        return None

    return check


def number(*, above: float | None = None) -> Check:
    def check(value: Any) -> str | None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return "must be a number"
        if above is not None and value <= above:
            return f"must be greater than {above}"
        return None

    return check


def string(*, pattern: str | None = None, what: str = "") -> Check:
    compiled = re.compile(pattern) if pattern else None

    def check(value: Any) -> str | None:
        if not isinstance(value, str):
            return "must be a string"
        if compiled is not None and not compiled.fullmatch(value):
            return f"must be {what or f'a string matching {pattern!r}'}"
        return None

    return check


def one_of(*allowed: Any, note: str = "") -> Check:
    def check(value: Any) -> str | None:
        if value in allowed and type(value) is type(allowed[0]):
            return None
        shown = ", ".join(repr(a) for a in allowed)
        return f"{value!r} is not implemented by the dev edge (implemented: {shown}){note}"

    return check


def refused(why: str) -> Check:
    def check(value: Any) -> str | None:
        return f"is not implemented by the dev edge: {why}"

    return check


def array(of: Check, *, non_empty: bool = False, unique: bool = False) -> Check:
    def check(value: Any) -> str | None:
        if not isinstance(value, list):
            return "must be a list"
        if non_empty and not value:
            return "must not be empty"
        for index, item in enumerate(value):
            problem = of(item)
            if problem:
                return f"[{index}] {problem}"
        if unique and len({repr(item) for item in value}) != len(value):
            return "must not repeat a value"
        return None

    return check


def uuid_string(value: Any) -> str | None:
    pattern = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
    return string(pattern=pattern, what="a UUID")(value)


def any_strings(value: Any) -> str | None:
    return array(string())(value)


def regex(value: Any) -> str | None:
    if not isinstance(value, str):
        return "must be a string"
    try:
        re.compile(value)
    except re.error as error:
        return f"is not a valid regex: {error}"
    return None


def origin(value: Any) -> str | None:
    """Kong's cors origins: '*', a plain origin, or a regex."""
    return None if value == "*" else regex(value)


def route_path(value: Any) -> str | None:
    if not isinstance(value, str):
        return "must be a string"
    if value.startswith("~"):
        if not value[1:].startswith("/"):
            return "a regex path must start with '~/'"
        return regex(value[1:])
    if not value.startswith("/"):
        return "must start with '/' (prefix) or '~' (regex)"
    return None


def method(value: Any) -> str | None:
    if value not in HTTP_METHODS:
        return f"{value!r} is not an HTTP method the dev edge knows"
    return None


def protocols(value: Any) -> str | None:
    problem = array(one_of("http", "https", note="; the dev edge speaks plain HTTP"))(value)
    if problem:
        return problem
    if "http" not in value:
        return "must include 'http': the dev edge serves plain HTTP only"
    return None


NAME = string(pattern=r"[A-Za-z0-9._~-]+", what="a name of letters, digits, '.', '_', '~', '-'")
TAGS = array(string())

# --- entities -------------------------------------------------------------------------------

TOP_LEVEL: Mapping[str, Check | None] = {
    "_format_version": one_of("3.0"),
    "_transform": one_of(True),
    "services": None,
    "routes": None,
    "consumers": None,
    "plugins": None,
}

SERVICE: Mapping[str, Check | None] = {
    "id": uuid_string,
    "name": NAME,
    "url": string(pattern=r"http://[^/?#]+(/[^?#]*)?", what="an http:// URL (no https upstreams)"),
    "protocol": one_of("http"),
    "host": string(pattern=r"[A-Za-z0-9.-]+", what="a host name"),
    "port": integer(low=1, high=65535),
    "path": string(pattern=r"/[^?#]*", what="a path starting with '/'"),
    "connect_timeout": integer(low=1, high=2**31 - 2),
    "read_timeout": integer(low=1, high=2**31 - 2),
    "write_timeout": integer(low=1, high=2**31 - 2),
    "retries": integer(low=0, high=32767),
    "enabled": one_of(True),
    "tags": TAGS,
    "routes": None,
    "plugins": None,
}

ROUTE: Mapping[str, Check | None] = {
    "id": uuid_string,
    "name": NAME,
    "service": string(),  # top-level routes only: the service's name or id
    "paths": array(route_path, non_empty=True, unique=True),
    "methods": array(method, non_empty=True, unique=True),
    "strip_path": boolean,
    "preserve_host": boolean,
    "protocols": protocols,
    "regex_priority": integer(low=0, high=2**31 - 1),
    "path_handling": one_of("v0"),
    # The edge always streams both ways; with Kong these only decide nginx buffering.
    "request_buffering": boolean,
    "response_buffering": boolean,
    "https_redirect_status_code": one_of(426, 301, 302, 307, 308),
    "tags": TAGS,
    "plugins": None,
}

CONSUMER: Mapping[str, Check | None] = {
    "id": uuid_string,
    "username": string(),
    "custom_id": string(),
    "tags": TAGS,
    "jwt_secrets": None,
    "plugins": None,
}

JWT_SECRET: Mapping[str, Check | None] = {
    "id": uuid_string,
    "key": string(pattern=r".+", what="a non-empty key"),
    "algorithm": one_of("RS256"),
    "rsa_public_key": string(),
    # Required by decK's schema; Kong only uses it for HS* algorithms.
    "secret": string(),
    "tags": TAGS,
}

PLUGIN: Mapping[str, Check | None] = {
    "id": uuid_string,
    "name": string(),
    "instance_name": NAME,
    "enabled": boolean,
    "protocols": array(one_of("grpc", "grpcs", "http", "https")),
    "tags": TAGS,
    "config": None,
    "service": string(),
    "route": string(),
    "consumer": string(),
}

# --- plugin settings (the names and types are Kong 3.9's; the values are the edge's) ---------

PLUGIN_CONFIG: Mapping[str, Mapping[str, Check]] = {
    "jwt": {
        "uri_param_names": array(string(), unique=True),
        "cookie_names": array(string(), unique=True),
        "header_names": array(string(), unique=True),
        "key_claim_name": string(pattern=r".+", what="a claim name"),
        "secret_is_base64": one_of(False),
        "claims_to_verify": array(one_of("exp", "nbf"), unique=True),
        "anonymous": refused("anonymous consumers (logical OR of auth plugins)"),
        "run_on_preflight": boolean,
        "maximum_expiration": integer(low=0, high=31536000),
        "realm": string(),
    },
    "rate-limiting": {
        "second": number(above=0),
        "minute": number(above=0),
        "hour": number(above=0),
        "day": number(above=0),
        "month": number(above=0),
        "year": number(above=0),
        "limit_by": one_of("consumer", "credential", "ip", "service", "header", "path"),
        "header_name": string(),
        "path": string(pattern=r"/.*", what="a path"),
        "policy": one_of("local", note="; 'redis' counters are not implemented"),
        "fault_tolerant": boolean,
        "hide_client_headers": boolean,
        "error_code": integer(low=100, high=599),
        "error_message": string(),
        "sync_rate": one_of(-1),
    },
    "cors": {
        "origins": array(origin),
        "headers": array(string()),
        "exposed_headers": array(string()),
        "methods": array(method),
        "max_age": number(),
        "credentials": boolean,
        "private_network": boolean,
        "preflight_continue": boolean,
    },
    "correlation-id": {
        "header_name": string(pattern=r"[A-Za-z0-9!#$%&'*+.^_`|~-]+", what="a header name"),
        "generator": one_of("uuid", "uuid#counter", note="; 'tracker' is not implemented"),
        "echo_downstream": boolean,
    },
    "request-size-limiting": {
        "allowed_payload_size": integer(low=0),
        "size_unit": one_of("megabytes", "kilobytes", "bytes"),
        "require_content_length": boolean,
    },
    "prometheus": {
        "per_consumer": boolean,
        "status_code_metrics": boolean,
        "latency_metrics": boolean,
        "bandwidth_metrics": boolean,
        "upstream_health_metrics": one_of(False),
        "ai_metrics": one_of(False),
    },
}

NO_CONSUMER_SCOPE = frozenset({"jwt", "cors"})
"""Kong's schemas of these plugins forbid attaching them to a consumer (`typedefs.no_consumer`)."""
