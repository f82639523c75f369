"""Issue 5: time from POST /api/v1/orders answering 201 until GET /api/v1/my-orders/{id} shows PLACED.

The real path end to end: real PostgreSQL, NATS and Redis (fresh, under a temporary folder);
orders and the payment mock served by granian exactly as `bench.orders_bench` serves them (its
`served`, `seed` and request body are reused); order-view served by granian too, checking the
same signer's tokens. POST /orders is fired open-loop at a steady rate (each request leaves on
its schedule, whether earlier ones have answered or not). For every 201 it records:

- visible: the 201 → the first GET /api/v1/my-orders/{id} that answers 200 with status PLACED,
  the figure the issue asks for. The GET is sent when the view's change notice arrives on the
  customer's Redis channel (published by the apply script itself, what the SSE stream relays),
  so no polling period inflates the figure and one GET per order is enough; without a notice
  the order is fetched every `--fallback-ms` anyway (rarely: a short fallback turns a slow
  moment into a storm of GETs on a saturated machine, which is what the old polling did);
- applied: the 201 → that notice, i.e. the pipeline without the GET. It can be negative: the
  outbox row commits before orders answers, so the relay may already be at work.

The client speaks HTTP/1.1 through h11 on kept-alive connections (bench/http1.py) and runs on
uvloop: on a 2-core machine its CPU is taken from the services it measures.

`python bench/view_latency.py --seconds 30` prints one JSON line; `bench.run` calls `measure`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a script: `tests.support` and `bench` live at the root
    sys.path.insert(0, str(REPO))

import h11  # noqa: E402
import nats  # noqa: E402
import redis.asyncio as aioredis  # noqa: E402
import uvloop  # noqa: E402

from bench.http1 import Http1Pool  # noqa: E402
from bench.orders_bench import BODY, cpu_seconds, seed, served  # noqa: E402
from fitshop_common.app import settle_heap  # noqa: E402
from fitshop_devstack.probes import free_port  # noqa: E402
from fitshop_devstack.servers import Nats, Postgres, Redis  # noqa: E402
from tests.support.tokens import AUDIENCE, ISSUER, JwksServer, Signer  # noqa: E402

CUSTOMER = "bench-customer"
WARMUP_SECONDS = 2.0
GIVE_UP_SECONDS = 30.0
POST_CONNECTIONS = 32
ORDER = json.dumps(BODY).encode()  # encoded once: the client's CPU is taken from the services'
JSON = [("Content-Type", "application/json")]
GET_CONNECTIONS = 16


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _load(orders_url: str, view_url: str, redis_url: str, nats_url: str, token: str, *,
                seconds: float, rate: float, fallback_seconds: float,
                processes: dict[str, int], tracing: bool = False) -> dict[str, float]:
    redis = aioredis.Redis.from_url(redis_url)
    pubsub = redis.pubsub(ignore_subscribe_messages=True)
    await pubsub.subscribe(f"order-view:updates:{CUSTOMER}")
    created_at: dict[str, float] = {}  # order id → when its 201 arrived
    applied: dict[str, float] = {}
    visible: dict[str, float] = {}
    notices: dict[str, asyncio.Event] = {}  # order id → set when its view changed
    post_ms: list[float] = []
    send_lag_ms: list[float] = []
    post_failed = 0
    gets = 0

    async def listen() -> None:
        while True:
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
            if message is not None:
                order_id = json.loads(message["data"])["order"]["order_id"]
                applied.setdefault(order_id, time.perf_counter())
                notices.setdefault(order_id, asyncio.Event()).set()

    async def watch(view: Http1Pool, order_id: str) -> None:
        """GET the order when its change notice arrives (or every `fallback_seconds` without one)
        until it answers PLACED: the figure is the GET's answer, not held back by a poll period."""
        nonlocal gets
        notice = notices.setdefault(order_id, asyncio.Event())
        while time.perf_counter() - created_at[order_id] < GIVE_UP_SECONDS:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(notice.wait(), fallback_seconds)
            notice.clear()
            try:
                status, body = await view.request("GET", f"/api/v1/my-orders/{order_id}")
            except (OSError, h11.ProtocolError):
                continue
            gets += 1
            if status == 200 and json.loads(body)["status"] == "PLACED":
                visible[order_id] = time.perf_counter()
                return

    async def place(post: Http1Pool, view: Http1Pool, due: float, ids: list[str]) -> None:
        nonlocal post_failed
        sent = time.perf_counter()
        send_lag_ms.append((sent - due) * 1000)
        try:
            status, body = await post.request("POST", "/api/v1/orders", ORDER, JSON)
        except (OSError, h11.ProtocolError) as exc:
            post_failed += 1
            print(json.dumps({"post_failed": repr(exc)}), file=sys.stderr)
            return
        answered = time.perf_counter()
        if status != 201:
            post_failed += 1
            print(json.dumps({"post_failed": status, "body": body.decode(errors="replace")}),
                  file=sys.stderr)
            return
        post_ms.append((answered - sent) * 1000)
        order_id = json.loads(body)["id"]
        created_at[order_id] = answered
        ids.append(order_id)
        await watch(view, order_id)

    async def trace(js: Any) -> None:
        """Once a second on stderr: where events wait (not yet delivered vs. being applied)."""
        while True:
            await asyncio.sleep(1.0)
            info = await js.consumer_info("ORDERS", "order-view-orders")
            print(json.dumps({"t": round(time.perf_counter(), 1), "created": len(created_at),
                              "pending": info.num_pending, "ack_pending": info.num_ack_pending,
                              "gets": gets, "applied": len(applied),
                              "load": os.getloadavg()[0]}), file=sys.stderr)

    listener = asyncio.create_task(listen())
    nc = tracer = None
    if tracing:
        nc = await nats.connect(nats_url)
        tracer = asyncio.create_task(trace(nc.jetstream()))
    auth = [("Authorization", f"Bearer {token}")]
    post = Http1Pool(*_host_port(orders_url), size=POST_CONNECTIONS, headers=auth)
    view = Http1Pool(*_host_port(view_url), size=GET_CONNECTIONS, headers=auth)

    async def phase(count: int) -> tuple[list[str], float, float]:
        ids: list[str] = []
        tasks = []
        begin = time.perf_counter()
        for n in range(count):
            due = begin + n / rate
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            tasks.append(asyncio.create_task(place(post, view, due, ids)))
        await asyncio.gather(*tasks)
        last_201 = max((created_at[i] for i in ids), default=begin)
        return ids, begin, last_201

    # connections, pools, JWKS, prepared statements, script cache
    await phase(max(1, int(WARMUP_SECONDS * rate)))
    settle_heap()  # the client's own collector pauses would count as latency of the shop
    del post_ms[:], send_lag_ms[:]
    post_failed = gets = 0
    cpu_before = {name: cpu_seconds(pid) for name, pid in processes.items()}
    steal_before = machine_ticks()
    client_before, wall_before = time.process_time(), time.perf_counter()
    ids, begin, last_201 = await phase(int(seconds * rate))
    wall = time.perf_counter() - wall_before
    client_cpu = time.process_time() - client_before
    cpu = {name: cpu_seconds(pid) - cpu_before[name] for name, pid in processes.items()}
    steal_after = machine_ticks()
    await post.aclose()
    await view.aclose()
    await asyncio.sleep(0.2)
    listener.cancel()
    if tracer is not None:
        tracer.cancel()
    if nc is not None:
        await nc.close()
    await pubsub.aclose()
    await redis.aclose()

    seen = [(visible[i] - created_at[i]) * 1000 for i in ids if i in visible]
    reached = [(applied[i] - created_at[i]) * 1000 for i in ids if i in applied]
    if not seen:
        raise RuntimeError("no order ever showed up as PLACED; see order-view.log and orders.log")
    orders = len(ids) or 1
    figures = {
        "orders": float(len(ids)),
        "missed": float(len(ids) - len(seen)),
        "post_failed": float(post_failed),
        "rate_per_s": rate,
        # 201s per second of the steady phase (stretched if orders fell behind the schedule)
        "achieved_rate": len(ids) / max(seconds, last_201 - begin),
        "p50_ms": percentile(seen, 0.5),
        "p99_ms": percentile(seen, 0.99),
        "max_ms": max(seen),
        "applied_p50_ms": percentile(reached, 0.5),
        "applied_p99_ms": percentile(reached, 0.99),
        "post_p50_ms": percentile(post_ms, 0.5),
        "post_p99_ms": percentile(post_ms, 0.99),
        "send_lag_p99_ms": percentile(send_lag_ms, 0.99),
        "gets_per_order": gets / orders,
        "load_avg_1m": os.getloadavg()[0],
    }
    # Where the CPU goes: milliseconds each process spent per placed order, and how busy the
    # machine was (1.0 = every core busy for the whole steady phase).
    for name, used in {**cpu, "bench_client": client_cpu}.items():
        figures[f"cpu_ms_per_order_{name}"] = 1000 * used / orders
    figures["cpu_busy_share"] = (sum(cpu.values()) + client_cpu) / (wall * (os.cpu_count() or 1))
    # Time the hypervisor gave our vCPUs to someone else: not ours to spend, and it shows up
    # as latency. Noisy neighbours on a shared VM make the tail vary from run to run.
    steal, total = (after - before for before, after in zip(steal_before, steal_after, strict=True))
    figures["cpu_steal_share"] = steal / total if total else 0.0
    return figures


def machine_ticks() -> tuple[int, int]:
    """(steal, all) CPU ticks of the whole machine so far (/proc/stat)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return fields[7], sum(fields[:8])


def _host_port(url: str) -> tuple[str, int]:
    host, _, port = url.removeprefix("http://").partition(":")
    return host, int(port)


def measure(state: Path, seconds: int = 30, *, rate: float = 100.0, fallback_ms: float = 1000.0,
            tracing: bool = False) -> dict[str, float]:
    """The figures for `bench.run` (fresh PostgreSQL, NATS and Redis under `state`)."""
    state.mkdir(parents=True, exist_ok=True)
    pg = Postgres(state, free_port())
    nats_server = Nats(state, free_port(), monitor_port=free_port())
    redis_server = Redis(state, free_port())
    signer = Signer()
    with contextlib.ExitStack() as stack:
        for server in (pg, nats_server, redis_server):
            server.start()
            stack.callback(server.stop)
        database = pg.create_database("bench_orders")
        asyncio.run(seed(database))
        token = signer.token(CUSTOMER, ["customer"], exp=int(time.time()) + 3600)
        jwks = stack.enter_context(JwksServer(signer).running())
        tokens = {"JWKS_URL": jwks.url, "JWT_ISSUER": ISSUER, "JWT_AUDIENCE": AUDIENCE}
        payment_port, admin_port, orders_port, view_port = (free_port() for _ in range(4))
        payment = stack.enter_context(served(
            "payment_gateway.entrypoints.http:create_app", payment_port,
            {"SERVICE_NAME": "payment-gateway", "LOG_LEVEL": "WARNING",
             "PAYMENT_ADMIN_PORT": str(admin_port)}, state / "payment.log"))
        orders = stack.enter_context(served(
            "orders.entrypoints.http:create_app", orders_port,
            {"DATABASE_URL": database, "NATS_URL": nats_server.url,
             "PAYMENT_URL": f"http://127.0.0.1:{payment_port}", "ORDERS_GRPC_PORT": "0",
             "SERVICE_NAME": "orders", "LOG_LEVEL": "WARNING", "DATABASE_POOL_MAX": "40",
             **tokens}, state / "orders.log"))
        view = stack.enter_context(served(
            "order_view.entrypoints.http:create_app", view_port,
            {"REDIS_URL": redis_server.url, "NATS_URL": nats_server.url,
             "SERVICE_NAME": "order-view", "LOG_LEVEL": "WARNING", **tokens},
            state / "order-view.log"))
        processes = {"orders": orders.pid, "order_view": view.pid, "payment_mock": payment.pid}
        processes.update({name: pid for name, pid in (
            ("postgres", pg.pid), ("nats", nats_server.pid), ("redis", redis_server.pid))
            if pid is not None})
        return uvloop.run(_load(
            f"http://127.0.0.1:{orders_port}", f"http://127.0.0.1:{view_port}",
            redis_server.url, nats_server.url, token, seconds=seconds, rate=rate,
            fallback_seconds=fallback_ms / 1000, processes=processes, tracing=tracing))
    raise AssertionError("unreachable")  # ExitStack does not swallow exceptions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30, help="length of the steady phase")
    parser.add_argument("--rate", type=float, default=100, help="POST /orders per second (open loop)")
    parser.add_argument("--fallback-ms", type=float, default=1000.0,
                        help="GET an order this often when no change notice arrives")
    parser.add_argument("--trace", action="store_true",
                        help="print the consumer's backlog every second on stderr")
    parser.add_argument("--no-raw", action="store_true",
                        help="skip measuring raw JetStream publish→consume RTT for the ratio")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="fitshop-bench-view-") as tmp:
        figures: dict[str, Any] = {"bench": "view_latency",
                                   **measure(Path(tmp) / "view", int(args.seconds) or 1,
                                             rate=args.rate, fallback_ms=args.fallback_ms,
                                             tracing=args.trace)}
        if not args.no_raw:
            from bench.raw_limits import jetstream_figures

            nats_server = Nats(Path(tmp) / "raw", free_port(), monitor_port=free_port())
            nats_server.start()
            try:
                raw = asyncio.run(jetstream_figures(nats_server.url))
            finally:
                nats_server.stop()
            figures["jetstream_rtt_p99_ms"] = raw["rtt_p99_ms"]
            figures["ratio_p99"] = figures["p99_ms"] / raw["rtt_p99_ms"]
    figures["cpus"] = os.cpu_count() or 0
    print(json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in figures.items()}))


if __name__ == "__main__":
    main()
