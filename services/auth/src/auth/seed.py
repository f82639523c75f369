"""Demo users and OAuth clients (API.md), seeded idempotently; `main()` is the local stack's hook."""

from __future__ import annotations

import asyncio
import logging
import secrets

from auth.application.service import AuthService
from auth.domain.accounts import Role
from auth.domain.clients import SCOPES, Client, ClientKind, GrantType
from auth.settings import AuthSettings, auth_settings

log = logging.getLogger(__name__)

DEMO_USERS: tuple[tuple[str, str, str, tuple[Role, ...]], ...] = (
    ("seller", "seller-pass", "seller@fitshop.test", (Role.SELLER,)),
    ("alice", "alice-pass", "alice@fitshop.test", (Role.CUSTOMER,)),
    ("bob", "bob-pass", "bob@fitshop.test", (Role.CUSTOMER,)),
)
CLI_REDIRECT_URI = "http://127.0.0.1:8976/callback"
USER_GRANTS = (GrantType.AUTHORIZATION_CODE, GrantType.REFRESH_TOKEN)


def demo_clients(settings: AuthSettings) -> tuple[Client, ...]:
    return (
        Client("fitshop-web", ClientKind.PUBLIC, None, settings.web_redirect_uri_list,
               USER_GRANTS, SCOPES),
        Client("fitshop-cli", ClientKind.PUBLIC, None, (CLI_REDIRECT_URI,), USER_GRANTS, SCOPES),
        # The load generator places orders as itself, so it holds the customer role; its
        # tokens' `sub` is "loadgen" (no user behind it).
        Client("loadgen", ClientKind.CONFIDENTIAL, None, (), (GrantType.CLIENT_CREDENTIALS,),
               SCOPES, roles=(Role.CUSTOMER,)),
    )


async def seed_demo(service: AuthService, settings: AuthSettings, *,
                    new_loadgen_secret: bool) -> str | None:
    """Create the demo users and clients unless present; answers a freshly generated loadgen
    secret, if one was generated (it is only ever known here: the database keeps a hash)."""
    for username, password, email, roles in DEMO_USERS:
        if await service.ensure_user(username, email, password, roles):
            log.info("seeded user", extra={"username": username})
    generated = None
    web, cli, loadgen = demo_clients(settings)
    await service.register_client(web)
    await service.register_client(cli)
    secret = settings.loadgen_secret
    if secret is None and new_loadgen_secret:
        secret = generated = secrets.token_urlsafe(24)
    try:
        await service.register_client(loadgen, secret)
    except ValueError:  # first start without a secret and without permission to make one
        secret = generated = secrets.token_urlsafe(24)
        await service.register_client(loadgen, secret)
    return generated


async def _main() -> None:
    from auth.bootstrap import bootstrap

    settings = auth_settings()
    async with bootstrap(settings) as runtime:
        generated = await seed_demo(runtime.service, settings, new_loadgen_secret=True)
    print("auth seed: users seller, alice, bob; clients fitshop-web, fitshop-cli, loadgen")
    if generated:
        print(f"auth seed: loadgen client_secret={generated} "
              "(new on every seed; set AUTH_LOADGEN_SECRET to keep one)")


def main() -> None:
    """Seed hook of the local stack: `python -c 'from auth.seed import main; main()'`."""
    asyncio.run(_main())


if __name__ == "__main__":
    main()
