"""Mint RS256 tokens the way our auth server does, and serve their JWKS over real HTTP."""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

ISSUER = "http://127.0.0.1:8000/auth"
AUDIENCE = "fitshop"


class Signer:
    """A signing key with a kid, and claims like the ones API.md promises."""

    def __init__(self, kid: str | None = None) -> None:
        self.kid = kid or f"test-{uuid.uuid4().hex[:8]}"
        self.key = RSAKey.generate_key(
            2048, parameters={"kid": self.kid, "use": "sig", "alg": "RS256"}
        )

    def claims(self, sub: str, roles: list[str], **overrides: Any) -> dict[str, Any]:
        now = int(time.time())
        claims = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": sub,
            "iat": now,
            "nbf": now,
            "exp": now + 300,
            "jti": uuid.uuid4().hex,
            "roles": roles,
            "preferred_username": sub,
        }
        claims.update(overrides)
        return {k: v for k, v in claims.items() if v is not None}

    def token(self, sub: str = "alice", roles: list[str] | None = None, **overrides: Any) -> str:
        header = {"alg": "RS256", "kid": self.kid, "typ": "JWT"}
        return jwt.encode(header, self.claims(sub, roles or ["customer"], **overrides), self.key)

    def public_jwk(self) -> dict[str, Any]:
        return dict(self.key.as_dict(private=False))


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned_token(claims: dict[str, Any], kid: str) -> str:
    """`alg: none` — must always be refused."""
    header = {"alg": "none", "kid": kid, "typ": "JWT"}
    return f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}."


def hs256_with_public_key(signer: Signer, claims: dict[str, Any]) -> str:
    """The classic key-confusion attack: HMAC keyed with the RSA public key's PEM."""
    import hashlib
    import hmac

    pem = signer.key.as_pem(private=False)
    header = {"alg": "HS256", "kid": signer.kid, "typ": "JWT"}
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
    mac = hmac.new(pem, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(mac)}"


def tampered(token: str, **changes: Any) -> str:
    """Same signature, edited payload."""
    head, payload, sig = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims.update(changes)
    return f"{head}.{b64(json.dumps(claims).encode())}.{sig}"


class JwksServer:
    """A real HTTP server publishing the public keys of `signers` (mutable, for rotation tests)."""

    def __init__(self, *signers: Signer) -> None:
        self.signers = list(signers)
        self.fetches = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.fetches += 1
                body = json.dumps({"keys": [s.public_jwk() for s in outer.signers]}).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/auth/jwks.json"

    @property
    def env(self) -> dict[str, str]:
        """The environment a service needs to check this server's tokens."""
        return {"JWKS_URL": self.url, "JWT_ISSUER": ISSUER, "JWT_AUDIENCE": AUDIENCE}

    @contextmanager
    def running(self) -> Iterator[JwksServer]:
        thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._server.shutdown()
            self._server.server_close()


def key_set(*signers: Signer) -> KeySet:
    return KeySet([s.key for s in signers])
