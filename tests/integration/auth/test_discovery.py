"""Discovery, JWKS and OpenAPI as served: what clients and resource servers read about us."""

from __future__ import annotations

import httpx2
from authlib.oauth2.rfc8414 import AuthorizationServerMetadata

from tests.integration.auth.auth_process import AuthServer

PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "oth"}


async def test_the_discovery_document_describes_this_issuer(
        http: httpx2.AsyncClient, auth_server: AuthServer) -> None:
    response = await http.get("/auth/.well-known/openid-configuration")
    assert response.status_code == 200
    doc = response.json()
    issuer = auth_server.issuer
    assert doc["issuer"] == issuer
    assert doc["authorization_endpoint"] == f"{issuer}/authorize"
    assert doc["token_endpoint"] == f"{issuer}/token"
    assert doc["jwks_uri"] == f"{issuer}/jwks.json"
    assert doc["revocation_endpoint"] == f"{issuer}/revoke"
    assert doc["response_types_supported"] == ["code"]
    assert set(doc["grant_types_supported"]) == {"authorization_code", "refresh_token",
                                                 "client_credentials"}
    assert doc["code_challenge_methods_supported"] == ["S256"]
    assert set(doc["token_endpoint_auth_methods_supported"]) == {
        "none", "client_secret_basic", "client_secret_post"}
    assert doc["id_token_signing_alg_values_supported"] == ["RS256"]
    AuthorizationServerMetadata(doc).validate()  # RFC 8414, checked by Authlib


async def test_every_endpoint_the_document_names_is_served(
        http: httpx2.AsyncClient, auth_server: AuthServer) -> None:
    doc = (await http.get("/auth/.well-known/openid-configuration")).json()
    assert (await http.get(doc["jwks_uri"])).status_code == 200
    for endpoint in ("token_endpoint", "revocation_endpoint"):
        # reachable: an empty request gets an OAuth error, not a 404
        assert (await http.post(doc[endpoint], data={})).status_code in (400, 401)
    assert (await http.get(doc["authorization_endpoint"])).status_code == 400


async def test_the_jwks_publishes_public_rs256_signing_keys_only(
        http: httpx2.AsyncClient) -> None:
    response = await http.get("/auth/jwks.json")
    assert response.status_code == 200
    [key] = response.json()["keys"]
    assert key["kty"] == "RSA"
    assert (key["kid"], key["use"], key["alg"]) == ("2026-01-01-a", "sig", "RS256")
    assert not PRIVATE_MEMBERS & set(key)


async def test_the_openapi_document_lists_the_auth_operations(
        http: httpx2.AsyncClient) -> None:
    response = await http.get("/schema/openapi.json")
    assert response.status_code == 200
    operations = {op["operationId"] for path in response.json()["paths"].values()
                  for op in path.values() if isinstance(op, dict) and "operationId" in op}
    assert {"getOpenidConfiguration", "getJwks", "showLoginForm", "submitLoginForm", "token",
            "revoke", "signUp"} <= operations


async def test_the_service_reports_ready_with_its_database(http: httpx2.AsyncClient) -> None:
    response = await http.get("/health/ready")
    assert response.status_code == 200
    assert response.json()["checks"] == {"postgres": "up"}
