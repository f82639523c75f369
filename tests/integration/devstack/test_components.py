"""Service rows become granian processes with the right environment, hooks and readiness."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from fitshop_devstack.components import SERVICES, ServiceRow, Stack
from fitshop_devstack.probes import free_port
from fitshop_devstack.servers import App

SERVICE_ROWS = {row.name: row for row in SERVICES}

# A complete ASGI app with the health endpoint the stack waits for.
DEMO_APP = '''
"""A stand-in service: answers /health/ready and echoes its settings."""
import json, os


def create_app():
    async def app(scope, receive, send):
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                await send({"type": message["type"] + ".complete"})
                if message["type"] == "lifespan.shutdown":
                    return
        body = json.dumps({k: v for k, v in os.environ.items() if k.endswith("_URL")}).encode()
        status = 200 if scope["path"] in ("/health/ready", "/env") else 404
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": body})
    return app
'''


@pytest.fixture
def demo_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An importable `demo_shop` package with an app and a seed hook, like a real service."""
    package = tmp_path / "code" / "demo_shop"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "app.py").write_text(DEMO_APP)
    (package / "seed.py").write_text(textwrap.dedent('''
        import os, pathlib
        async def main():
            pathlib.Path(os.environ["SEED_MARK"]).write_text(os.environ["DATABASE_URL"])
    '''))
    monkeypatch.syspath_prepend(str(package.parent))
    monkeypatch.setenv("PYTHONPATH", str(package.parent))
    return package


def test_a_row_becomes_the_environment_the_service_expects(tmp_path: Path) -> None:
    stack = Stack(tmp_path, {"FITSHOP_POSTGRES_PORT": "6001", "FITSHOP_ORDERS_GRPC_PORT": "6002"})
    row = stack.rows["orders"]

    env = stack.service_env(row)

    assert env["DATABASE_URL"] == "postgresql://postgres@127.0.0.1:6001/orders"
    assert env["NATS_URL"] == "nats://127.0.0.1:4230"
    assert env["ORDERS_GRPC_PORT"] == "6002"
    assert env["SERVICE_NAME"] == "orders"
    assert env["JWKS_URL"] == "http://127.0.0.1:8101/auth/jwks.json"
    assert env["JWT_ISSUER"] == "http://127.0.0.1:8000/auth"
    assert env["PAYMENT_URL"] == "http://127.0.0.1:8104"
    assert "fitshop-orders=http://127.0.0.1:8103" in env["EDGE_UPSTREAMS"].split(",")
    assert "REDIS_URL" not in env


def test_env_values_may_name_the_state_and_repo_folders(tmp_path: Path) -> None:
    stack = Stack(tmp_path, {})

    env = stack.service_env(stack.rows["payment-gateway"])

    assert env["PAYMENT_DATA_DIR"] == f"{tmp_path}/payment-gateway"
    assert env["PAYMENT_ADMIN_PORT"] == "8114"
    assert stack.service_env(stack.rows["edge"])["EDGE_CONFIG"].endswith(
        "/gateway-config/kong.yml"
    )


def test_a_mongo_service_gets_the_server_and_its_database_name(tmp_path: Path) -> None:
    env = Stack(tmp_path, {"FITSHOP_MONGO_PORT": "6003"}).service_env(SERVICE_ROWS["catalog"])

    assert (env["MONGO_URL"], env["MONGO_DB"]) == ("mongodb://127.0.0.1:6003/", "catalog")


def test_rows_whose_code_does_not_exist_yet_are_skipped() -> None:
    row = ServiceRow("ghost", "no_such_service.entrypoints.http:create_app", 9999)

    assert not row.importable()
    assert row.hook("seed") is None


def test_a_service_is_served_by_granian_until_stopped(demo_package: Path, tmp_path: Path) -> None:
    app = App("demo", tmp_path, free_port(), app="demo_shop.app:create_app",
              env={"MONGO_URL": "mongodb://127.0.0.1:1/demo"})

    app.start(timeout=30)
    try:
        assert app.ready()
        assert app.pid is not None
    finally:
        app.stop()

    assert app.pid is None
    assert not app.ready()


def test_the_seed_hook_runs_with_the_services_environment(
    demo_package: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mark = tmp_path / "seeded"
    monkeypatch.setenv("SEED_MARK", str(mark))
    stack = Stack(tmp_path, {})
    row = ServiceRow("demo", "demo_shop.app:create_app", 9998, postgres_db="demo")

    assert row.importable()
    stack.run_hook(row, "seed")

    assert mark.read_text() == "postgresql://postgres@127.0.0.1:5440/demo"


def test_up_creates_the_database_starts_the_service_and_seeds_it(
    demo_package: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mark = tmp_path / "seeded"
    monkeypatch.setenv("SEED_MARK", str(mark))
    ports = {f"FITSHOP_{name}_PORT": str(free_port())
             for name in ["POSTGRES", "MONGO", "REDIS", "NATS", "NATS_MONITOR", "DEMO"]}
    row = ServiceRow("demo", "demo_shop.app:create_app", 9997, postgres_db="demo", nats=True)
    stack = Stack(tmp_path / "state", ports, rows=[row])
    try:
        stack.up()

        status = stack.status()
        assert status["demo"]["ready"] is True
        assert status["demo"]["url"] == f"http://127.0.0.1:{ports['FITSHOP_DEMO_PORT']}"
        assert mark.read_text() == stack.postgres.url_for("demo")
        assert stack.postgres.create_database("demo") == stack.postgres.url_for("demo")
    finally:
        stack.down()
        stack.postgres.destroy()
    assert all(entry["pid"] is None for entry in stack.status().values())
