"""Kong's jwt plugin: find the token, pick the credential by key claim, check alg, signature."""

from __future__ import annotations

import base64
import binascii
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.cookies import CookieError, SimpleCookie
from typing import Any, TypeGuard
from urllib.parse import parse_qsl

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.hashes import SHA256

from edge.config import JwtCredential
from edge.exchange import Exchange, Exit, json_exit
from edge.plugins.base import Plugin

_BEARER = re.compile(r"\s*[Bb]earer\s+(.+)")

SUPPORTED_ALGORITHMS = frozenset({
    "HS256", "HS384", "HS512", "RS256", "RS384", "RS512",
    "ES256", "ES384", "ES512", "PS256", "PS384", "PS512", "EdDSA",
})
"""Algorithms Kong 3.9's jwt_parser can verify; any other `alg` is 'Bad token; invalid alg'."""


@dataclass(frozen=True)
class Token:
    header: dict[str, Any]
    claims: dict[str, Any]
    signing_input: bytes
    signature: bytes


class BadToken(Exception):
    """The token cannot be parsed (Kong: 'Bad token; <reason>')."""


def _b64(part: str | None) -> bytes | None:
    """Base64url as Kong decodes it: pad, map -_ to +/, reject anything else."""
    if part is None:
        return None
    padded = part + "=" * (-len(part) % 4)
    try:
        return base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
    except (binascii.Error, ValueError):
        return None


def decode_token(token: str) -> Token:
    """Split and decode like Kong's jwt_parser (header, claims and signature in one pass)."""
    parts = token.split(".", 2)
    header_64 = parts[0]
    claims_64 = parts[1] if len(parts) > 1 else None
    signature_64 = parts[2] if len(parts) > 2 else None
    if claims_64 is None or signature_64 is None:
        raise BadToken("invalid JSON")
    raw_header, raw_claims = _b64(header_64), _b64(claims_64)
    try:
        if raw_header is None or raw_claims is None:
            raise ValueError
        header = json.loads(raw_header)
        claims = json.loads(raw_claims)
    except ValueError as error:
        raise BadToken("invalid JSON") from error
    if not isinstance(header, dict):
        raise BadToken("invalid alg")
    alg = header.get("alg")
    if not isinstance(alg, str) or alg not in SUPPORTED_ALGORITHMS:
        raise BadToken("invalid alg")
    if not isinstance(claims, dict):
        raise BadToken("invalid claims")
    signature = _b64(signature_64)
    if signature is None:
        raise BadToken("invalid signature")
    return Token(header, claims, f"{header_64}.{claims_64}".encode(), signature)


def verify_rs256(credential: JwtCredential, token: Token) -> bool:
    try:
        credential.public_key.verify(token.signature, token.signing_input, PKCS1v15(), SHA256())
    except (InvalidSignature, ValueError):
        return False
    return True


def _is_number(value: Any) -> TypeGuard[float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


_CLAIM_CHECKS: dict[str, Callable[[float, int], str | None]] = {
    "exp": lambda exp, now: "token expired" if exp <= now else None,
    "nbf": lambda nbf, now: "token not valid yet" if nbf > now else None,
}


class JwtPlugin(Plugin):
    name = "jwt"
    priority = 1450

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.uri_param_names: list[str] = self.setting("uri_param_names", ["jwt"])
        self.cookie_names: list[str] = self.setting("cookie_names", [])
        self.header_names: list[str] = self.setting("header_names", ["authorization"])
        self.key_claim_name: str = self.setting("key_claim_name", "iss")
        self.claims_to_verify: list[str] = self.setting("claims_to_verify", [])
        self.run_on_preflight: bool = self.setting("run_on_preflight", True)
        self.maximum_expiration: int = self.setting("maximum_expiration", 0)
        realm: str | None = self.setting("realm", None)
        self.challenge = f'Bearer realm="{realm}"' if realm is not None else "Bearer"
        self.challenge_error = self.challenge + ' error="invalid_token"'
        self.clock: Callable[[], float] = time.time

    def tokens(self, exchange: Exchange) -> list[str]:
        found: list[str] = []
        args = parse_qsl(exchange.query_string.decode("latin-1"), keep_blank_values=True)
        for name in self.uri_param_names:
            found += [value for key, value in args if key == name and value]
        cookie_header = "; ".join(exchange.headers.get_all("cookie"))
        if self.cookie_names and cookie_header:
            cookies: SimpleCookie = SimpleCookie()
            try:
                cookies.load(cookie_header)
            except CookieError:
                cookies = SimpleCookie()
            found += [cookies[n].value for n in self.cookie_names
                      if n in cookies and cookies[n].value]
        for name in self.header_names:
            value = exchange.headers.get(name)
            bearer = _BEARER.search(value) if value else None
            if bearer and bearer.group(1):
                found.append(bearer.group(1))
        return list(dict.fromkeys(found))

    def unauthorized(self, message: str | None = None, errors: dict[str, str] | None = None,
                     *, plain: bool = False) -> Exit:
        challenge = self.challenge if plain else self.challenge_error
        return json_exit(401, errors or {"message": message}, [("WWW-Authenticate", challenge)])

    async def access(self, exchange: Exchange) -> Exit | None:
        if exchange.method == "OPTIONS" and not self.run_on_preflight:
            return None
        tokens = self.tokens(exchange)
        if not tokens:
            return self.unauthorized("Unauthorized", plain=True)
        if len(tokens) > 1:
            return self.unauthorized("Multiple tokens provided")
        try:
            token = decode_token(tokens[0])
        except BadToken as error:
            return self.unauthorized(f"Bad token; {error}")
        claim = self.key_claim_name
        key = token.claims.get(claim)
        # Lua's `claims[c] or header[c]`: only nil/false fall through to the header
        if key is None or key is False:
            key = token.header.get(claim)
        if key is None or key is False:
            return self.unauthorized(f"No mandatory '{claim}' in claims")
        if key == "":
            return self.unauthorized(f"Invalid '{claim}' in claims")
        credential = self.gateway.jwt_credentials.get(key) if isinstance(key, str) else None
        if credential is None:
            return self.unauthorized(f"No credentials found for given '{claim}'")
        if token.header.get("alg") != credential.algorithm:
            return self.unauthorized("Invalid algorithm")
        if not verify_rs256(credential, token):
            return self.unauthorized("Invalid signature")
        now = int(self.clock())
        errors: dict[str, str] = {}
        for name in self.claims_to_verify:
            value = token.claims.get(name)
            if not _is_number(value):
                errors[name] = "must be a number"
            else:
                problem = _CLAIM_CHECKS[name](value, now)
                if problem:
                    errors[name] = problem
        if errors:
            return self.unauthorized(errors=errors)
        if self.maximum_expiration > 0:
            exp = token.claims.get("exp")
            if not _is_number(exp) or exp - now > self.maximum_expiration:
                return self.unauthorized(errors={"exp": "exceeds maximum allowed expiration"})
        self.authenticate(exchange, credential)
        return None

    @staticmethod
    def authenticate(exchange: Exchange, credential: JwtCredential) -> None:
        """kong.client.authenticate plus the X-Consumer-* headers Kong sends upstream."""
        consumer = credential.consumer
        exchange.consumer, exchange.credential = consumer, credential
        exchange.set_upstream_header("X-Consumer-ID", consumer.id)
        for header, value in (
            ("X-Consumer-Custom-ID", consumer.custom_id),
            ("X-Consumer-Username", consumer.username),
        ):
            if value is None:
                exchange.clear_upstream_header(header)
            else:
                exchange.set_upstream_header(header, value)
        exchange.set_upstream_header("X-Credential-Identifier", credential.key)
        exchange.clear_upstream_header("X-Anonymous-Consumer")
