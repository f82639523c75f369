"""Key rotation as an operator does it: add a newer key, restart, later drop the older one."""

from __future__ import annotations

from pathlib import Path

import httpx2
import pytest

from fitshop_common.errors import Unauthorized
from fitshop_common.security import TokenVerifier
from fitshop_common.settings import JwtSettings
from tests.integration.auth.auth_process import LOADGEN_SECRET, AuthServer, write_key


async def machine_token(server: AuthServer) -> str:
    async with httpx2.AsyncClient(base_url=server.url) as http:
        response = await http.post("/auth/token", data={"grant_type": "client_credentials"},
                                   auth=("loadgen", LOADGEN_SECRET))
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


async def verify(server: AuthServer, token: str) -> str:
    """Verify as a resource server would, with a fresh JWKS cache (as after its restart)."""
    verifier = TokenVerifier(JwtSettings(jwt_issuer=server.issuer, jwt_audience="fitshop",
                                         jwks_url=f"{server.issuer}/jwks.json"))
    try:
        return (await verifier.verify(token)).subject
    finally:
        await verifier.aclose()


@pytest.mark.slow
async def test_tokens_of_the_older_key_stay_valid_while_both_keys_are_published(
        pg: object, tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    write_key(keys, "2026-01-01")
    server = AuthServer(pg.fresh_database("auth_rotation"),  # type: ignore[attr-defined]
                        keys, tmp_path)
    server.start()
    try:
        old_token = await machine_token(server)

        write_key(keys, "2026-06-01")  # what `python -m edge.keys rotate` does
        server.restart()
        async with httpx2.AsyncClient(base_url=server.url) as http:
            published = (await http.get("/auth/jwks.json")).json()["keys"]
        assert [k["kid"] for k in published] == ["2026-06-01", "2026-01-01"]

        new_token = await machine_token(server)
        assert await verify(server, new_token) == "loadgen"
        assert await verify(server, old_token) == "loadgen"

        (keys / "2026-01-01.pem").unlink()  # the rotation completes
        server.restart()
        assert await verify(server, new_token) == "loadgen"
        with pytest.raises(Unauthorized, match="unknown key"):
            await verify(server, old_token)
    finally:
        server.stop()
