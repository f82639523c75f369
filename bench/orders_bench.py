"""POST /orders throughput and latency: orders + the payment mock (zero latency) under granian,
real PostgreSQL and NATS, wrk at concurrency 32. Prints one JSON line of figures."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fitshop_common.migrate import migrate_service
from fitshop_common.postgres import create_pool
from fitshop_common.settings import PostgresSettings
from fitshop_devstack.probes import free_port
from fitshop_devstack.servers import Nats, Postgres
from orders.adapters.postgres_repository import PostgresProductReplica
from orders.domain.money import Money
from orders.domain.product import Product
from tests.support.granian import GranianProcess
from tests.support.tokens import JwksServer, Signer

DUMBBELL_ID = "0b5e7a52-2f37-4a0e-9d7c-3e1f00000001"
BODY = {
    "lines": [{"product_id": DUMBBELL_ID, "quantity": 1}],
    "shipping_address": {"recipient": "Kim Minji", "line1": "12 Teheran-ro", "city": "Seoul",
                         "postal_code": "06236", "phone": "010-1234-5678"},
    "payment": {"method": "card", "card_number": "4242424242424242"},
}
WRK_SCRIPT = """
wrk.method = "POST"
wrk.body = [[%s]]
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer %s"
"""


@contextmanager
def served(factory: str, port: int, env: dict[str, str], log: Path,
           workers: int = 1) -> Iterator[subprocess.Popen[bytes]]:
    """The app served as in production (one granian worker, single-threaded runtime), ready."""
    process = GranianProcess(factory, env, log, port, workers=workers,
                             extra_args=["--runtime-mode", "st", "--backpressure", "512"])
    try:
        process.start(timeout=90)
        assert process.proc is not None
        yield process.proc
    finally:
        process.stop()


async def seed(database_url: str) -> None:
    await migrate_service(database_url, "orders")
    pool = await create_pool(PostgresSettings(database_url=database_url, database_pool_min=1))
    async with pool.acquire() as conn:
        # stock so large that no request of the run can exhaust the replica's view of it
        await PostgresProductReplica(conn).put_if_newer(Product(
            DUMBBELL_ID, "DUMBBELL-10KG", "Dumbbell 10 kg", Money(35_000), 10**9, 1))
    await pool.close()


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        children = task / "children"
        if children.exists():
            found += [int(c) for c in children.read_text().split()]
    return found


def cpu_seconds(root: int) -> float:
    """User + system CPU of a process and all its descendants (Linux /proc)."""
    total, stack, tick = 0.0, [root], os.sysconf("SC_CLK_TCK")
    while stack:
        pid = stack.pop()
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            stack += _children(pid)
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return total


def millis(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(url: str, token: str, seconds: int, connections: int, state: Path) -> dict[str, float]:
    script = state / "post_order.lua"
    script.write_text(WRK_SCRIPT % (json.dumps(BODY), token))
    out = subprocess.run(
        ["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "--latency",
         "--timeout", "10s", "-s", str(script), url],
        check=True, capture_output=True, text=True).stdout
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = int(non_2xx.group(1)) if non_2xx else 0
    latency = dict(re.findall(r"^\s+(50|99)(?:\.0+)?%\s+(\S+)", out, re.MULTILINE))
    if set(latency) != {"50", "99"}:
        raise RuntimeError(f"unexpected wrk output:\n{out}")
    return {"requests": float(total), "failed": float(errors),
            "orders_per_s": (total - errors) / seconds,
            "p50_ms": millis(latency["50"]), "p99_ms": millis(latency["99"])}


@contextmanager
def served_pids(pg: Postgres, nats_server: Nats) -> Iterator[dict[str, int]]:
    yield {name: pid for name, pid in (("postgres", pg.pid), ("nats", nats_server.pid))
           if pid is not None}


def measure(state: Path, seconds: int = 30, *, concurrency: int = 32, workers: int = 1,
            profile: Path | None = None) -> dict[str, float]:
    """Serve everything, seed the replica, run the load; answers orders/s and latency."""
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk is needed: apt-get install wrk")
    state.mkdir(parents=True, exist_ok=True)
    pg = Postgres(state, free_port())
    nats_server = Nats(state, free_port(), monitor_port=free_port())
    pg.start()
    nats_server.start()
    signer = Signer()
    try:
        database = pg.create_database("bench_orders")
        asyncio.run(seed(database))
        token = signer.token("bench-customer", ["customer"], exp=int(time.time()) + 3600)
        payment_port, admin_port, orders_port = free_port(), free_port(), free_port()
        with JwksServer(signer).running() as jwks, \
                served("payment_gateway.entrypoints.http:create_app", payment_port,
                       {"SERVICE_NAME": "payment-gateway", "LOG_LEVEL": "WARNING",
                        "PAYMENT_ADMIN_PORT": str(admin_port)}, state / "payment.log") as payment, \
                served("orders.entrypoints.http:create_app", orders_port,
                       {"DATABASE_URL": database, "NATS_URL": nats_server.url,
                        "PAYMENT_URL": f"http://127.0.0.1:{payment_port}", "JWKS_URL": jwks.url,
                        "ORDERS_GRPC_PORT": "0", "SERVICE_NAME": "orders",
                        "LOG_LEVEL": "WARNING", "DATABASE_POOL_MAX": "40"},
                       state / "orders.log", workers) as orders, \
                served_pids(pg, nats_server) as servers:
            url = f"http://127.0.0.1:{orders_port}/api/v1/orders"
            wrk(url, token, 3, concurrency, state)  # warm-up: pools, JWKS, prepared statements
            spy = None
            if profile is not None:
                kind = "flamegraph" if profile.suffix == ".svg" else "raw"  # raw: folded stacks
                spy = subprocess.Popen([str(Path(sys.executable).parent / "py-spy"), "record", "--subprocesses", "-o", str(profile),
                                        "--format", kind, "-d", str(seconds),
                                        "-p", str(orders.pid)],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            processes = {"orders": orders.pid, "payment_mock": payment.pid, **servers}
            before = {name: cpu_seconds(pid) for name, pid in processes.items()}
            figures = wrk(url, token, seconds, concurrency, state)
            done = figures["requests"] or 1.0
            # Where the time goes: CPU milliseconds each process spent per order.
            for name, pid in processes.items():
                figures[f"cpu_ms_per_order_{name}"] = 1000 * (cpu_seconds(pid) - before[name]) / done
            if spy is not None:
                spy.wait(seconds + 30)
        figures.update({"concurrency": float(concurrency), "seconds": float(seconds),
                        "granian_workers": float(workers)})
        return figures
    finally:
        nats_server.stop()
        pg.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=30, help="length of the load phase")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", type=int, default=1, help="granian workers for orders")
    parser.add_argument("--profile", type=Path, help="py-spy profile: an .svg flame graph, else folded stacks")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="fitshop-orders-bench-") as tmp:
        figures = measure(Path(tmp), args.seconds, concurrency=args.concurrency,
                          workers=args.workers, profile=args.profile)
    print(json.dumps({"bench": "orders", **figures}))


if __name__ == "__main__":
    main()
