"""The seed hook the local stack runs after startup: idempotent, and it prints the loadgen secret."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import asyncpg
from argon2 import PasswordHasher

from tests.integration.auth.auth_process import write_key

SEED = "from auth.seed import main; main()"


def run_seed(database_url: str, keys: Path, **env: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", SEED], capture_output=True, text=True, timeout=120, check=False,
        env={**os.environ, "DATABASE_URL": database_url, "AUTH_KEYS_DIR": str(keys),
             "AUTH_ARGON2_TIME_COST": "1", "AUTH_ARGON2_MEMORY_KIB": "8192",
             "AUTH_ARGON2_PARALLELISM": "1", **env},
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


async def test_seeding_twice_creates_each_demo_account_and_client_once(
        pg_url: str, tmp_path: Path) -> None:
    write_key(tmp_path, "k1")
    first = run_seed(pg_url, tmp_path)
    second = run_seed(pg_url, tmp_path)
    conn = await asyncpg.connect(pg_url)
    try:
        users = await conn.fetch("SELECT username, email, roles FROM users ORDER BY username")
        clients = await conn.fetch(
            "SELECT client_id, kind, redirect_uris, roles FROM oauth_clients ORDER BY client_id")
        secret_hash = await conn.fetchval(
            "SELECT secret_hash FROM oauth_clients WHERE client_id = 'loadgen'")
    finally:
        await conn.close()
    assert [(u["username"], u["email"], u["roles"]) for u in users] == [
        ("alice", "alice@fitshop.test", ["customer"]),
        ("bob", "bob@fitshop.test", ["customer"]),
        ("seller", "seller@fitshop.test", ["seller"]),
    ]
    assert [(c["client_id"], c["kind"], c["redirect_uris"], c["roles"]) for c in clients] == [
        ("fitshop-cli", "public", ["http://127.0.0.1:8976/callback"], []),
        ("fitshop-web", "public", ["http://127.0.0.1:8000/callback"], []),
        ("loadgen", "confidential", [], ["customer"]),
    ]
    # each run prints a working secret (the database only keeps its hash)
    secrets = [re.search(r"loadgen client_secret=(\S+)", out) for out in (first, second)]
    assert all(secrets)
    assert PasswordHasher().verify(secret_hash, secrets[1].group(1))  # type: ignore[union-attr]


async def test_a_configured_loadgen_secret_is_used_and_not_printed(
        pg_url: str, tmp_path: Path) -> None:
    write_key(tmp_path, "k1")
    out = run_seed(pg_url, tmp_path, AUTH_LOADGEN_SECRET="chosen-by-the-operator",
                   AUTH_WEB_REDIRECT_URIS="http://127.0.0.1:8000/callback,https://shop.test/cb")
    assert "chosen-by-the-operator" not in out
    assert "client_secret=" not in out
    conn = await asyncpg.connect(pg_url)
    try:
        secret_hash = await conn.fetchval(
            "SELECT secret_hash FROM oauth_clients WHERE client_id = 'loadgen'")
        web = await conn.fetchval(
            "SELECT redirect_uris FROM oauth_clients WHERE client_id = 'fitshop-web'")
    finally:
        await conn.close()
    assert PasswordHasher().verify(secret_hash, "chosen-by-the-operator")
    assert web == ["http://127.0.0.1:8000/callback", "https://shop.test/cb"]
