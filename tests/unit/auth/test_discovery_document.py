"""The discovery document is built from the issuer and is valid RFC 8414 metadata."""

from __future__ import annotations

from authlib.oauth2.rfc8414 import AuthorizationServerMetadata

from auth.entrypoints.http import discovery_document


def test_every_endpoint_lives_under_the_issuer() -> None:
    doc = discovery_document("https://shop.example/auth")
    for name in ("authorization_endpoint", "token_endpoint", "revocation_endpoint", "jwks_uri"):
        assert doc[name].startswith("https://shop.example/auth/")


def test_the_document_is_valid_authorization_server_metadata() -> None:
    AuthorizationServerMetadata(discovery_document("https://shop.example/auth")).validate()


def test_only_s256_and_rs256_are_advertised() -> None:
    doc = discovery_document("https://shop.example/auth")
    assert doc["code_challenge_methods_supported"] == ["S256"]
    assert doc["id_token_signing_alg_values_supported"] == ["RS256"]
