"""The edge's settings from the environment, and where each chart service host lives locally."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from edge.config import ConfigError

CONFIG_RELATIVE = Path("gateway-config") / "kong.yml"

DEFAULT_UPSTREAMS: Mapping[str, str] = {
    # The Helm chart's Kubernetes service names, mapped to the local stack's ports
    # (docs/conventions.md). payment-gateway is absent on purpose: it is never routed.
    "fitshop-auth": "http://127.0.0.1:8101",
    "fitshop-catalog": "http://127.0.0.1:8102",
    "fitshop-orders": "http://127.0.0.1:8103",
    "fitshop-delivery": "http://127.0.0.1:8105",
    "fitshop-order-view": "http://127.0.0.1:8106",
    "fitshop-notification": "http://127.0.0.1:8107",
    "fitshop-web": "http://127.0.0.1:8108",
}


def find_repo_file(relative: Path) -> Path:
    """`relative` in the current folder or a parent, else in the checkout this package lives in."""
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / relative).is_file():
            return folder / relative
    for folder in Path(__file__).resolve().parents:
        if (folder / relative).is_file():
            return folder / relative
    return here / relative


def parse_upstreams(text: str) -> dict[str, str]:
    """`host=http://ip:port,...` into a mapping; the variable is named in every complaint."""
    mapping: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        host, sep, url = item.partition("=")
        parts = urlsplit(url.strip())
        if not sep or not host.strip() or parts.scheme != "http" or not parts.hostname:
            raise ConfigError(
                f"EDGE_UPSTREAMS: {item!r} is not 'service-host=http://address:port'"
            )
        if parts.path not in ("", "/") or parts.query:
            raise ConfigError(f"EDGE_UPSTREAMS: {item!r} must not carry a path or query")
        mapping[host.strip()] = f"http://{parts.netloc}"
    return mapping


def parse_listen(text: str) -> tuple[str, int] | None:
    """EDGE_STATUS_LISTEN: 'host:port', or 'off' (like Kong's status_listen)."""
    if text.strip().lower() == "off":
        return None
    host, sep, port = text.strip().rpartition(":")
    if not sep or not port.isdigit():
        raise ConfigError(f"EDGE_STATUS_LISTEN: {text!r} is not 'host:port' or 'off'")
    return host or "127.0.0.1", int(port)


@dataclass(frozen=True)
class EdgeSettings:
    config_path: Path
    """EDGE_CONFIG: the Kong declarative config to serve (default: gateway-config/kong.yml)."""
    upstreams: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_UPSTREAMS))
    """EDGE_UPSTREAMS: chart service host -> local base URL; extends and overrides the defaults."""
    status_listen: tuple[str, int] | None = ("127.0.0.1", 8100)
    """EDGE_STATUS_LISTEN: Kong's status listener stand-in (/metrics, /status, /status/ready)."""
    log_level: str = "INFO"
    """EDGE_LOG_LEVEL: level of the edge's JSON logs (one access line per request at INFO)."""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> EdgeSettings:
        env = os.environ if env is None else env
        config = env.get("EDGE_CONFIG")
        upstreams = dict(DEFAULT_UPSTREAMS)
        upstreams.update(parse_upstreams(env.get("EDGE_UPSTREAMS", "")))
        return cls(
            config_path=Path(config) if config else find_repo_file(CONFIG_RELATIVE),
            upstreams=upstreams,
            status_listen=parse_listen(env.get("EDGE_STATUS_LISTEN", "127.0.0.1:8100")),
            log_level=env.get("EDGE_LOG_LEVEL", "INFO").upper(),
        )
