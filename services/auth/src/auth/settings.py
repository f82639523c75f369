"""The auth service's own settings (env `AUTH_*`), next to the shared ones in fitshop_common."""

from __future__ import annotations

from functools import lru_cache
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

# <repo>/gateway-config/demo-keys when running from the checkout (the local stack); the chart
# always sets AUTH_KEYS_DIR to the mounted Secret.
DEMO_KEYS = Path(__file__).resolve().parents[4] / "gateway-config" / "demo-keys"


class AuthSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="AUTH_", use_attribute_docstrings=True,
                                      extra="ignore", frozen=True)

    keys_dir: Path = DEMO_KEYS
    """Folder of `<kid>.pem` RSA private keys; the last by name signs, all are published."""
    access_ttl_seconds: int = 600
    """Lifetime of access tokens (`exp - iat`)."""
    refresh_ttl_seconds: int = 14 * 24 * 3600
    """Lifetime of each refresh token (rotation issues a fresh one each time)."""
    code_ttl_seconds: int = 120
    """Lifetime of an authorization code (RFC 6749 §4.1.2 recommends at most 10 minutes)."""
    seed_demo: bool = False
    """Seed the demo users and clients at startup (the local stack runs `auth.seed` instead)."""
    web_redirect_uris: str = "http://127.0.0.1:8000/callback"
    """Redirect URIs of the `fitshop-web` client, comma- or space-separated, matched exactly."""
    loadgen_secret: str | None = None
    """Secret of the `loadgen` client; unset: the seed generates one and prints it."""
    login_max_failures: int = 5
    """Failed logins allowed per username and client address within the window."""
    login_window_seconds: int = 300
    """The throttling window."""
    trusted_proxies: str = "127.0.0.1/32,::1/128"
    """Networks whose X-Forwarded-For is believed (the gateway); comma-separated CIDRs."""
    argon2_time_cost: int = 3
    """Argon2id passes; with the two below, RFC 9106's second recommended profile."""
    argon2_memory_kib: int = 64 * 1024
    """Argon2id memory per hash, in KiB."""
    argon2_parallelism: int = 4
    """Argon2id lanes."""
    purge_interval_seconds: float = 600.0
    """How often expired codes, tokens and old login attempts are deleted."""

    @property
    def web_redirect_uri_list(self) -> tuple[str, ...]:
        return tuple(u for u in self.web_redirect_uris.replace(",", " ").split() if u)

    @property
    def trusted_networks(self) -> tuple[IPv4Network | IPv6Network, ...]:
        return tuple(ip_network(n, strict=False)
                     for n in self.trusted_proxies.replace(",", " ").split() if n)


@lru_cache
def auth_settings() -> AuthSettings:
    return AuthSettings()
