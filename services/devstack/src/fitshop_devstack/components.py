"""The local stack's components (backing servers and services) and how to run them together."""

from __future__ import annotations

import fcntl
import importlib.util
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from fitshop_devstack.install import say
from fitshop_devstack.probes import HOST
from fitshop_devstack.servers import (
    App,
    Mongo,
    Nats,
    Postgres,
    Redis,
    Server,
    ServerError,
    Smtp,
)

# Fixed ports of the local stack (docs/conventions.md); each can be moved with
# FITSHOP_<NAME>_PORT, e.g. FITSHOP_NATS_PORT=4300 or FITSHOP_ORDERS_GRPC_PORT=9113.
BACKING_PORTS: dict[str, int] = {
    "postgres": 5440,
    "mongo": 27030,
    "redis": 6390,
    "nats": 4230,
    "nats-monitor": 8230,
    "smtp": 8025,
}
EDGE_PORT = 8000
AUTH_PORT = 8101
PAYMENT_GATEWAY_PORT = 8104


@dataclass(frozen=True)
class ServiceRow:
    """One service of the local stack. Adding a service = adding one row to SERVICES."""

    name: str
    """Component name (`devstack start NAME`), also SERVICE_NAME and the log file name."""
    app: str
    """granian's factory target, `module:function`."""
    port: int
    postgres_db: str | None = None
    """PostgreSQL database created for it; passed as DATABASE_URL."""
    mongo_db: str | None = None
    """MongoDB database name; passed as MONGO_DB, the server as MONGO_URL."""
    redis_db: int | None = None
    """Redis logical database number; passed as REDIS_URL (redis://…/N)."""
    nats: bool = False
    """Needs NATS JetStream; passed as NATS_URL."""
    extra_ports: Mapping[str, int] = field(default_factory=dict)
    """More listeners, e.g. {"grpc": 8113}: env GRPC_PORT, listed by `ps` as grpc_url."""
    env: Mapping[str, str] = field(default_factory=dict)
    """Extra environment; `{state}`, `{repo}` and `{<extra>_port}` in values are filled in."""
    ready: tuple[str, str] | None = None
    """(extra port name, path) to probe instead of `/health/ready` on the main port."""

    @property
    def module(self) -> str:
        return self.app.split(":", 1)[0]

    @property
    def package(self) -> str:
        return self.app.split(".", 1)[0]

    def importable(self) -> bool:
        """False until the service's code exists; such rows are skipped with a notice."""
        return _module_exists(self.module)

    def hook(self, name: str) -> str | None:
        """`<package>.<name>` when the service ships it (the one hook today: `seed`)."""
        module = f"{self.package}.{name}"
        return module if _module_exists(module) else None


def _module_exists(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


# The services, in start order. A row whose module is not importable yet is skipped.
SERVICES: tuple[ServiceRow, ...] = (
    ServiceRow("auth", "auth.entrypoints.http:create_app", AUTH_PORT, postgres_db="auth"),
    ServiceRow("catalog", "catalog.entrypoints.http:create_app", 8102,
               mongo_db="catalog", nats=True),
    ServiceRow("orders", "orders.entrypoints.http:create_app", 8103,
               postgres_db="orders", nats=True, extra_ports={"grpc": 8113},
               env={"ORDERS_GRPC_PORT": "{grpc_port}", "ORDERS_GRPC_HOST": "127.0.0.1"}),
    ServiceRow("payment-gateway", "payment_gateway.entrypoints.http:create_app",
               PAYMENT_GATEWAY_PORT, extra_ports={"admin": 8114},
               env={"PAYMENT_FAULTS_ENABLED": "true", "PAYMENT_ADMIN_PORT": "{admin_port}",
                    "PAYMENT_DATA_DIR": "{state}/payment-gateway"}),
    ServiceRow("delivery", "delivery.entrypoints.http:create_app", 8105,
               postgres_db="delivery", nats=True),
    ServiceRow("order-view", "order_view.entrypoints.http:create_app", 8106,
               redis_db=0, nats=True),
    ServiceRow("notification", "notification.entrypoints.http:create_app", 8107,
               redis_db=1, nats=True,
               env={"SMTP_HOST": "127.0.0.1", "SMTP_PORT": "{smtp_port}"}),
    ServiceRow("web", "web.entrypoints.http:create_app", 8108),
    # The dev stand-in for Kong reads the same declarative config the chart gives Kong.
    ServiceRow("edge", "edge.app:create_app", EDGE_PORT, extra_ports={"status": 8100},
               ready=("status", "/status/ready"),
               env={"EDGE_CONFIG": "{repo}/gateway-config/kong.yml",
                    "EDGE_STATUS_LISTEN": "127.0.0.1:{status_port}"}),
)

ACCOUNTS = """\
  seller    seller / seller-pass
  customers alice / alice-pass, bob / bob-pass
  OAuth clients: fitshop-web (public, PKCE), fitshop-cli (public, PKCE,
  redirect http://127.0.0.1:8976/callback), loadgen (confidential; secret printed by auth's seed)"""


def repo_root() -> Path:
    """The workspace checkout: from this file when installed editable, else from the cwd."""
    here = Path(__file__).resolve()
    for folder in here.parents:
        if (folder / "services" / "devstack" / "pyproject.toml").exists():
            return folder
    for folder in [Path.cwd(), *Path.cwd().parents]:
        if (folder / "services").is_dir() and (folder / "pyproject.toml").exists():
            return folder
    return Path.cwd()


def state_dir(environ: Mapping[str, str] = os.environ) -> Path:
    """`FITSHOP_STATE`, else <repo>/.state (git-ignored)."""
    configured = environ.get("FITSHOP_STATE")
    return Path(configured).absolute() if configured else repo_root() / ".state"


class Stack:
    """Every component of the local stack, built from the tables above and the environment."""

    def __init__(
        self, state: Path, environ: Mapping[str, str] = os.environ,
        rows: Sequence[ServiceRow] = SERVICES,
    ) -> None:
        self.state = state.absolute()
        self.environ = environ
        self.repo = repo_root()
        self.postgres = Postgres(self.state, self.port("postgres", BACKING_PORTS["postgres"]))
        self.mongo = Mongo(self.state, self.port("mongo", BACKING_PORTS["mongo"]))
        self.redis = Redis(self.state, self.port("redis", BACKING_PORTS["redis"]))
        self.nats = Nats(
            self.state, self.port("nats", BACKING_PORTS["nats"]),
            monitor_port=self.port("nats-monitor", BACKING_PORTS["nats-monitor"]),
        )
        self.smtp = Smtp(self.state, self.port("smtp", BACKING_PORTS["smtp"]))
        self.backing: dict[str, Server] = {
            server.name: server
            for server in (self.postgres, self.mongo, self.redis, self.nats, self.smtp)
        }
        self.rows = {row.name: row for row in rows}
        self.services: dict[str, App] = {row.name: self._app(row) for row in rows}

    @classmethod
    def from_env(cls) -> Stack:
        return cls(state_dir())

    def port(self, name: str, default: int) -> int:
        variable = f"FITSHOP_{name.upper().replace('-', '_')}_PORT"
        return int(self.environ.get(variable, default))

    @property
    def gateway_url(self) -> str:
        return f"http://{HOST}:{self.port('edge', EDGE_PORT)}"

    def components(self) -> dict[str, Server]:
        return {**self.backing, **self.services}

    def component(self, name: str) -> Server:
        try:
            return self.components()[name]
        except KeyError:
            known = ", ".join(self.components())
            raise KeyError(f"no component {name!r}; known: {known}") from None

    # -- services ----------------------------------------------------------------------

    def service_env(self, row: ServiceRow) -> dict[str, str]:
        """The environment a service runs (and its hooks run) with."""
        port = self.port(row.name, row.port)
        env = {
            "SERVICE_NAME": row.name,
            "LOG_LEVEL": self.environ.get("LOG_LEVEL", "INFO"),
            "JWKS_URL": f"http://{HOST}:{self.port('auth', AUTH_PORT)}/auth/jwks.json",
            "JWT_ISSUER": f"http://{HOST}:{self.port('edge', EDGE_PORT)}/auth",
            "JWT_AUDIENCE": "fitshop",
            "PAYMENT_URL": f"http://{HOST}:{self.port('payment-gateway', PAYMENT_GATEWAY_PORT)}",
            "PORT": str(port),
            # Locally nobody waits on a rolling update: drain quickly so `down` is quick.
            "SHUTDOWN_GRACE_SECONDS": "10",
            # Where every service listens under its chart Service name: the edge maps Kong's
            # upstreams (http://fitshop-<name>:8080) onto these.
            "EDGE_UPSTREAMS": ",".join(
                f"fitshop-{other.name}=http://{HOST}:{self.port(other.name, other.port)}"
                for other in self.rows.values()
                if other.name != "edge"
            ),
        }
        if row.postgres_db:
            env["DATABASE_URL"] = self.postgres.url_for(row.postgres_db)
        if row.mongo_db:
            env["MONGO_URL"] = self.mongo.url
            env["MONGO_DB"] = row.mongo_db
        if row.redis_db is not None:
            env["REDIS_URL"] = f"redis://{HOST}:{self.redis.port}/{row.redis_db}"
        if row.nats:
            env["NATS_URL"] = self.nats.url
        ports = {
            f"{extra}_port": self.port(f"{row.name}-{extra}", default)
            for extra, default in row.extra_ports.items()
        }
        for key, value in row.env.items():
            env[key] = value.format(state=self.state, repo=self.repo, smtp_port=self.smtp.port, **ports)
        return env

    def _app(self, row: ServiceRow) -> App:
        extra_urls = {}
        for extra, default in row.extra_ports.items():
            scheme = "grpc" if extra == "grpc" else "http"
            port = self.port(f"{row.name}-{extra}", default)
            extra_urls[f"{extra}_url"] = f"{scheme}://{HOST}:{port}"
        ready = None
        if row.ready is not None:
            extra, path = row.ready
            ready = (self.port(f"{row.name}-{extra}", row.extra_ports[extra]), path)
        return App(
            row.name, self.state, self.port(row.name, row.port), app=row.app,
            env=self.service_env(row), extra_urls=extra_urls, cwd=self.repo, ready=ready,
        )

    def available_services(self, *, quiet: bool = False) -> list[App]:
        """The services whose code exists; the others get a one-line notice."""
        found = []
        for row in self.rows.values():
            if row.importable():
                found.append(self.services[row.name])
            elif not quiet:
                say(f"skipping {row.name}: {row.module} is not importable yet")
        return found

    def run_hook(self, row: ServiceRow, hook: str) -> None:
        """Run `<package>.<hook>:main()` (sync or async) in a child with the service's env, so
        a hook sees exactly the settings the service does and cannot break this process."""
        module = row.hook(hook)
        if module is None:
            return
        say(f"{hook}: {row.name} ({module}.main)")
        code = (
            "import asyncio, inspect\n"
            f"from {module} import main\n"
            "result = main()\n"
            "if inspect.isawaitable(result):\n"
            "    asyncio.run(result)\n"
        )
        run = subprocess.run(
            [sys.executable, "-c", code], env={**os.environ, **self.service_env(row)},
            cwd=self.repo, check=False,
        )
        if run.returncode != 0:
            raise ServerError(f"{module}.main failed (exit {run.returncode}); see its output above")

    def ensure_databases(self, rows: list[ServiceRow]) -> None:
        for row in rows:
            if row.postgres_db:
                self.postgres.create_database(row.postgres_db)

    # -- whole-stack operations --------------------------------------------------------

    @contextmanager
    def lock(self) -> Iterator[None]:
        """One up/down/start/stop at a time per state folder (two `up`s would race for ports)."""
        run = self.state / "run"
        run.mkdir(parents=True, exist_ok=True)
        with open(run / "devstack.lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            yield

    def up(self, *, services: bool = True, seed: bool = True) -> dict[str, float]:
        """Start whatever is not running, wait until all is ready; answers seconds per phase."""
        timings: dict[str, float] = {}
        with self.lock():
            started = time.perf_counter()
            _parallel(lambda server: server.start(), list(self.backing.values()))
            timings["backing servers"] = time.perf_counter() - started
            if not services:
                return timings
            apps = self.available_services()
            rows = [self.rows[app.name] for app in apps]
            started = time.perf_counter()
            self.ensure_databases(rows)  # each service migrates its own schema at startup
            _parallel(lambda app: app.start(), apps)
            timings["services"] = time.perf_counter() - started
            if seed:
                started = time.perf_counter()
                for row in rows:
                    self.run_hook(row, "seed")
                timings["seed"] = time.perf_counter() - started
        return timings

    def down(self) -> None:
        """Stop services first (they drain into the servers), then the backing servers."""
        with self.lock():
            _parallel(lambda server: server.stop(), list(self.services.values()))
            _parallel(lambda server: server.stop(), list(self.backing.values()))

    def start(self, name: str) -> None:
        server = self.component(name)
        with self.lock():
            if name in self.rows:
                row = self.rows[name]
                if not row.importable():
                    raise ServerError(f"{name}: {row.module} is not importable yet")
                self.ensure_databases([row])
            server.start()

    def stop(self, name: str) -> None:
        server = self.component(name)
        with self.lock():
            server.stop()

    def status(self) -> dict[str, dict[str, object]]:
        """component → {url, pid, ready, …extra urls}; the shape `devstack ps` prints."""
        components = self.components()

        def one(server: Server) -> dict[str, object]:
            entry: dict[str, object] = {
                "url": server.url, "pid": server.pid, "ready": server.ready(),
            }
            entry.update(server.extra_urls())
            row = self.rows.get(server.name)
            if row is not None and not row.importable():
                entry["skipped"] = f"{row.module} is not importable yet"
            return entry

        with ThreadPoolExecutor(max_workers=8) as pool:
            entries = list(pool.map(one, components.values()))
        return dict(zip(components, entries, strict=True))


ServerT = TypeVar("ServerT", bound=Server)


def _parallel(action: Callable[[ServerT], None], servers: list[ServerT]) -> None:
    """Run `action` on every server at once (startup is mostly waiting); raise one error that
    names every server that failed, each with its log tail."""
    if not servers:
        return
    with ThreadPoolExecutor(max_workers=len(servers)) as pool:
        futures = [pool.submit(action, server) for server in servers]
    failures = [str(future.exception()) for future in futures if future.exception()]
    if failures:
        raise ServerError("\n\n".join(failures))
