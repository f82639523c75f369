"""PostgreSQL repositories and the unit of work that holds them in one transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from auth.application.ports import (
    ClientRepository,
    CodeRepository,
    LoginAttemptRepository,
    RefreshTokenRepository,
    UnitOfWork,
    UserRepository,
)
from auth.domain.accounts import Role, User
from auth.domain.clients import Client, ClientKind, GrantType
from auth.domain.grants import AuthorizationCode, RefreshFamily, RefreshToken
from fitshop_common.uow import PostgresUnitOfWork

# Distinguishes our advisory locks from the migration runner's and the outbox relay's.
_LOGIN_LOCK_SPACE = 0x6C6F67


class PostgresUsers(UserRepository):
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def add(self, user: User) -> bool:
        status = await self._conn.execute(
            """INSERT INTO users (id, username, email, password_hash, roles, created_at)
               VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (username) DO NOTHING""",
            user.id, user.username, user.email, user.password_hash,
            [str(r) for r in user.roles], user.created_at,
        )
        return bool(status == "INSERT 0 1")

    async def get(self, user_id: UUID) -> User | None:
        row = await self._conn.fetchrow("SELECT * FROM users WHERE id = $1", user_id)
        return _user(row) if row else None

    async def by_username(self, username: str) -> User | None:
        if "\x00" in username:  # PostgreSQL text cannot hold NUL, so no such user exists
            return None
        row = await self._conn.fetchrow("SELECT * FROM users WHERE username = $1", username)
        return _user(row) if row else None

    async def set_password_hash(self, user_id: UUID, password_hash: str) -> None:
        await self._conn.execute("UPDATE users SET password_hash = $2 WHERE id = $1",
                                 user_id, password_hash)


def _user(row: asyncpg.Record) -> User:
    return User(row["id"], row["username"], row["email"], row["password_hash"],
                tuple(Role(r) for r in row["roles"]), row["created_at"])


class PostgresClients(ClientRepository):
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def get(self, client_id: str) -> Client | None:
        if "\x00" in client_id:  # PostgreSQL text cannot hold NUL, so no such client exists
            return None
        row = await self._conn.fetchrow("SELECT * FROM oauth_clients WHERE client_id = $1",
                                        client_id)
        if row is None:
            return None
        return Client(
            row["client_id"], ClientKind(row["kind"]), row["secret_hash"],
            tuple(row["redirect_uris"]), tuple(GrantType(g) for g in row["grant_types"]),
            tuple(row["scopes"]), tuple(Role(r) for r in row["roles"]),
        )

    async def put(self, client: Client) -> None:
        await self._conn.execute(
            """INSERT INTO oauth_clients
                   (client_id, kind, secret_hash, redirect_uris, grant_types, scopes, roles)
               VALUES ($1, $2, $3, $4, $5, $6, $7)
               ON CONFLICT (client_id) DO UPDATE SET
                   kind = EXCLUDED.kind, secret_hash = EXCLUDED.secret_hash,
                   redirect_uris = EXCLUDED.redirect_uris, grant_types = EXCLUDED.grant_types,
                   scopes = EXCLUDED.scopes, roles = EXCLUDED.roles, updated_at = now()""",
            client.client_id, str(client.kind), client.secret_hash, list(client.redirect_uris),
            [str(g) for g in client.grant_types], list(client.scopes),
            [str(r) for r in client.roles],
        )


class PostgresCodes(CodeRepository):
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def add(self, code: AuthorizationCode) -> None:
        await self._conn.execute(
            """INSERT INTO authorization_codes
                   (code_hash, client_id, user_id, redirect_uri, scope, code_challenge,
                    code_challenge_method, issued_at, expires_at, consumed_at)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)""",
            code.code_hash, code.client_id, code.user_id, code.redirect_uri, code.scope,
            code.code_challenge, code.code_challenge_method, code.issued_at, code.expires_at,
            code.consumed_at,
        )

    async def get_for_update(self, code_hash: str) -> AuthorizationCode | None:
        row = await self._conn.fetchrow(
            "SELECT * FROM authorization_codes WHERE code_hash = $1 FOR UPDATE", code_hash)
        if row is None:
            return None
        return AuthorizationCode(
            row["code_hash"], row["client_id"], row["user_id"], row["redirect_uri"],
            row["scope"], row["code_challenge"], row["code_challenge_method"],
            row["issued_at"], row["expires_at"], row["consumed_at"],
        )

    async def save(self, code: AuthorizationCode) -> None:
        await self._conn.execute(
            "UPDATE authorization_codes SET consumed_at = $2 WHERE code_hash = $1",
            code.code_hash, code.consumed_at)

    async def purge(self, expired_before: datetime) -> int:
        status = await self._conn.execute(
            "DELETE FROM authorization_codes WHERE expires_at < $1", expired_before)
        return _count(status)


class PostgresRefreshTokens(RefreshTokenRepository):
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def add_family(self, family: RefreshFamily) -> None:
        await self._conn.execute(
            """INSERT INTO refresh_families (id, client_id, user_id, code_hash, created_at,
                                             revoked_at)
               VALUES ($1, $2, $3, $4, $5, $6)""",
            family.id, family.client_id, family.user_id, family.code_hash, family.created_at,
            family.revoked_at,
        )

    async def add(self, token: RefreshToken) -> None:
        await self._conn.execute(
            """INSERT INTO refresh_tokens (token_hash, family_id, scope, issued_at, expires_at,
                                           rotated_at)
               VALUES ($1, $2, $3, $4, $5, $6)""",
            token.token_hash, token.family.id, token.scope, token.issued_at, token.expires_at,
            token.rotated_at,
        )

    async def get_for_update(self, token_hash: str) -> RefreshToken | None:
        # Locking the family row serialises every use of the family, not just of this token.
        row = await self._conn.fetchrow(
            """SELECT t.*, f.client_id, f.user_id, f.code_hash, f.created_at,
                      f.revoked_at AS family_revoked_at
               FROM refresh_tokens t JOIN refresh_families f ON f.id = t.family_id
               WHERE t.token_hash = $1 FOR UPDATE""",
            token_hash,
        )
        if row is None:
            return None
        family = RefreshFamily(row["family_id"], row["client_id"], row["user_id"],
                               row["code_hash"], row["created_at"], row["family_revoked_at"])
        return RefreshToken(row["token_hash"], family, row["scope"], row["issued_at"],
                            row["expires_at"], row["rotated_at"])

    async def mark_rotated(self, token: RefreshToken) -> None:
        await self._conn.execute(
            "UPDATE refresh_tokens SET rotated_at = $2 WHERE token_hash = $1",
            token.token_hash, token.rotated_at)

    async def revoke_family(self, family_id: UUID, at: datetime) -> None:
        await self._conn.execute(
            "UPDATE refresh_families SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
            family_id, at)

    async def revoke_families_of_code(self, code_hash: str, at: datetime) -> None:
        await self._conn.execute(
            """UPDATE refresh_families SET revoked_at = $2
               WHERE code_hash = $1 AND revoked_at IS NULL""",
            code_hash, at)

    async def purge(self, expired_before: datetime) -> int:
        status = await self._conn.execute(
            "DELETE FROM refresh_tokens WHERE expires_at < $1", expired_before)
        await self._conn.execute(
            """DELETE FROM refresh_families f WHERE created_at < $1
               AND NOT EXISTS (SELECT 1 FROM refresh_tokens t WHERE t.family_id = f.id)""",
            expired_before)
        return _count(status)


class PostgresLoginAttempts(LoginAttemptRepository):
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def lock(self, username: str, address: str) -> None:
        await self._conn.execute(
            "SELECT pg_advisory_xact_lock($1, hashtext($2))",
            _LOGIN_LOCK_SPACE, f"{username}\n{address}")

    async def recent(self, username: str, address: str, since: datetime) -> list[datetime]:
        rows = await self._conn.fetch(
            """SELECT attempted_at FROM login_attempts
               WHERE username = $1 AND address = $2 AND attempted_at > $3""",
            username, address, since)
        return [row["attempted_at"] for row in rows]

    async def add(self, username: str, address: str, at: datetime) -> None:
        await self._conn.execute(
            "INSERT INTO login_attempts (username, address, attempted_at) VALUES ($1, $2, $3)",
            username, address, at)

    async def clear(self, username: str, address: str) -> None:
        await self._conn.execute(
            "DELETE FROM login_attempts WHERE username = $1 AND address = $2", username, address)

    async def purge(self, before: datetime) -> int:
        return _count(await self._conn.execute(
            "DELETE FROM login_attempts WHERE attempted_at <= $1", before))


def _count(status: Any) -> int:
    """`DELETE 3` → 3."""
    return int(str(status).rsplit(" ", 1)[-1])


class PostgresAuthUnitOfWork(PostgresUnitOfWork, UnitOfWork):
    """The shared PostgreSQL unit of work with the auth repositories on its connection."""

    def _open(self) -> None:
        self.users = PostgresUsers(self.conn)
        self.clients = PostgresClients(self.conn)
        self.codes = PostgresCodes(self.conn)
        self.refresh_tokens = PostgresRefreshTokens(self.conn)
        self.login_attempts = PostgresLoginAttempts(self.conn)
