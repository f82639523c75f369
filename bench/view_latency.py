"""Issue 5: time from an order.placed on JetStream until GET /api/v1/my-orders/{id} shows PLACED.

Real Redis and NATS (fresh, under a temporary folder), order-view served by granian on a free
port, order.placed published at a steady rate the way the orders outbox relay does (one
publish at a time, `Nats-Msg-Id` = event id, awaiting each PubAck). For every order it records:

- visible: publish start → the first GET that answers 200 with status PLACED (polled every
  `--poll-ms`), the figure the issue asks for;
- applied: publish start → the view change arriving on the customer's Redis pub/sub channel
  (published by the apply script itself), i.e. the pipeline without the HTTP polling.

`python bench/view_latency.py --seconds 30` prints one JSON line; `bench.run` calls `measure`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a script: `tests.support` and `bench` live at the root
    sys.path.insert(0, str(REPO))

import httpx2  # noqa: E402
import nats  # noqa: E402
import redis.asyncio as aioredis  # noqa: E402

from fitshop_common.events import Envelope, assert_conforms  # noqa: E402
from fitshop_common.messaging import ensure_stream  # noqa: E402
from fitshop_common.settings import NatsSettings  # noqa: E402
from fitshop_devstack.probes import free_port  # noqa: E402
from fitshop_devstack.servers import Nats, Redis  # noqa: E402
from tests.support.tokens import AUDIENCE, ISSUER, JwksServer, Signer  # noqa: E402

CUSTOMER = "bench-customer"
WARMUP_ORDERS = 30
GIVE_UP_SECONDS = 30.0


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def order_placed(order_id: str) -> Envelope:
    price = {"amount": 25000, "currency": "KRW"}
    total = {"amount": 50000, "currency": "KRW"}
    return Envelope.new("order.placed", {
        "order_id": order_id, "customer_id": CUSTOMER, "order_version": 1,
        "lines": [{"product_id": str(uuid.UUID(int=0xD0B)), "name": "DUMBBELL-10KG",
                   "unit_price": price, "quantity": 2}],
        "total": total,
        "shipping_address": {"recipient": "Bench", "line1": "1 Gym-ro", "city": "Seoul",
                             "postal_code": "04524", "phone": "010-0000-0000"},
        "payment": {"id": f"pay-{order_id[:8]}", "status": "APPROVED", "amount": total},
        "placed_at": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
    }, producer="orders", correlation_id=order_id)


class ServedView:
    """order-view under granian, as `make up` and the chart run it."""

    def __init__(self, state: Path, redis_url: str, nats_url: str, jwks_url: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = state / "order-view.log"
        env = {**os.environ, "REDIS_URL": redis_url, "NATS_URL": nats_url, "JWKS_URL": jwks_url,
               "JWT_ISSUER": ISSUER, "JWT_AUDIENCE": AUDIENCE, "LOG_LEVEL": "WARNING"}
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen(
                [str(Path(sys.executable).parent / "granian"), "--interface", "asgi", "--factory",
                 "--host", "127.0.0.1", "--port", str(self.port), "--workers", "1",
                 "order_view.entrypoints.http:create_app"],
                cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True)  # its own group: the worker process goes down with it

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"order-view exited; see {self.log}")
            try:
                if httpx2.get(self.url + "/health/ready", timeout=1).status_code == 200:
                    return
            except httpx2.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"order-view never became ready; see {self.log}")

    def stop(self) -> None:
        for sig, wait in ((signal.SIGTERM, 20.0), (signal.SIGKILL, 5.0)):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, sig)
            try:
                self.proc.wait(wait)
                return
            except subprocess.TimeoutExpired:
                continue


async def _load(nats_url: str, redis_url: str, base_url: str, token: str, *, seconds: float,
                rate: float, poll_seconds: float, probe_rate: float, tracing: bool = False) -> dict[str, float]:
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    settings = NatsSettings(nats_url=nats_url)
    await ensure_stream(js, "orders", settings)
    redis = aioredis.Redis.from_url(redis_url)
    pubsub = redis.pubsub(ignore_subscribe_messages=True)
    await pubsub.subscribe(f"order-view:updates:{CUSTOMER}")
    started_at: dict[str, float] = {}
    applied: dict[str, float] = {}
    visible: dict[str, float] = {}

    async def listen() -> None:
        while True:
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
            if message is not None:
                order_id = json.loads(message["data"])["order"]["order_id"]
                applied.setdefault(order_id, time.perf_counter())

    # Polling is load on the service under test: a fixed budget of GETs per second keeps a slow
    # moment from snowballing into more pending orders, more GETs and slower moments.
    next_slot = 0.0
    gets = 0

    async def probe_slot() -> None:
        nonlocal next_slot
        now = time.perf_counter()
        slot = max(now, next_slot)
        next_slot = slot + 1 / probe_rate
        await asyncio.sleep(slot - now)

    async def watch(http: httpx2.AsyncClient, order_id: str) -> None:
        nonlocal gets
        while time.perf_counter() - started_at[order_id] < GIVE_UP_SECONDS:
            await probe_slot()
            response = await http.get(f"/api/v1/my-orders/{order_id}")
            gets += 1
            if response.status_code == 200 and response.json()["status"] == "PLACED":
                visible[order_id] = time.perf_counter()
                return
            await asyncio.sleep(poll_seconds)

    async def trace() -> None:
        """Once a second on stderr: where events wait (not yet delivered vs. being applied)."""
        while True:
            await asyncio.sleep(1.0)
            info = await js.consumer_info("ORDERS", "order-view-orders")
            print(json.dumps({"t": round(time.perf_counter(), 1), "pending": info.num_pending,
                              "ack_pending": info.num_ack_pending, "gets": gets,
                              "applied": len(applied), "load": os.getloadavg()[0]}),
                  file=sys.stderr)

    listener = asyncio.create_task(listen())
    tracer = asyncio.create_task(trace()) if tracing else None
    limits = httpx2.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx2.AsyncClient(base_url=base_url, headers={"Authorization": f"Bearer {token}"},
                                  limits=limits, timeout=10) as http:
        async def phase(count: int) -> list[str]:
            ids, watchers = [], []
            begin = time.perf_counter()
            for n in range(count):
                await asyncio.sleep(max(0.0, begin + n / rate - time.perf_counter()))
                order_id = str(uuid.uuid4())
                event = order_placed(order_id)
                if n == 0:
                    assert_conforms(event)
                started_at[order_id] = time.perf_counter()
                await js.publish(event.subject(), event.encode(), headers={"Nats-Msg-Id": event.id})
                watchers.append(asyncio.create_task(watch(http, order_id)))
                ids.append(order_id)
            await asyncio.gather(*watchers)
            return ids

        await phase(WARMUP_ORDERS)  # connections, JWKS, script cache, JIT-free but warm
        ids = await phase(int(seconds * rate))
    await asyncio.sleep(0.2)
    listener.cancel()
    if tracer is not None:
        tracer.cancel()
    await pubsub.aclose()
    await redis.aclose()
    await nc.close()

    seen = [(visible[i] - started_at[i]) * 1000 for i in ids if i in visible]
    reached = [(applied[i] - started_at[i]) * 1000 for i in ids if i in applied]
    return {
        "load_avg_1m": os.getloadavg()[0],
        "orders": float(len(ids)),
        "missed": float(len(ids) - len(seen)),
        "rate_per_s": rate,
        "poll_ms": poll_seconds * 1000,
        "probe_budget_per_s": probe_rate,
        "gets": float(gets),
        "p50_ms": percentile(seen, 0.5),
        "p99_ms": percentile(seen, 0.99),
        "max_ms": max(seen),
        "applied_p50_ms": percentile(reached, 0.5),
        "applied_p99_ms": percentile(reached, 0.99),
    }


def measure(state: Path, seconds: int = 30, *, rate: float = 100.0, poll_ms: float = 1.0,
            probe_rate: float = 1000.0, tracing: bool = False) -> dict[str, float]:
    """The figures for `bench.run` (fresh Redis and NATS under `state`)."""
    state.mkdir(parents=True, exist_ok=True)
    redis_server = Redis(state, free_port())
    nats_server = Nats(state, free_port(), monitor_port=free_port())
    redis_server.start()
    nats_server.start()
    signer = Signer()
    try:
        with JwksServer(signer).running() as jwks:
            served = ServedView(state, redis_server.url, nats_server.url, jwks.url)
            try:
                served.wait_ready()
                token = signer.token(CUSTOMER, exp=int(time.time()) + 3600)
                return asyncio.run(_load(nats_server.url, redis_server.url, served.url, token,
                                         seconds=seconds, rate=rate, poll_seconds=poll_ms / 1000,
                                         probe_rate=probe_rate, tracing=tracing))
            finally:
                served.stop()
    finally:
        nats_server.stop()
        redis_server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30, help="length of the steady phase")
    parser.add_argument("--rate", type=float, default=100, help="order.placed events per second")
    parser.add_argument("--poll-ms", type=float, default=1.0, help="pause between two GETs of one order")
    parser.add_argument("--probe-rate", type=float, default=1000,
                        help="most GETs per second, all orders together")
    parser.add_argument("--trace", action="store_true",
                        help="print the consumer's backlog every second on stderr")
    parser.add_argument("--no-raw", action="store_true",
                        help="skip measuring raw JetStream publish→consume RTT for the ratio")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="fitshop-bench-view-") as tmp:
        figures: dict[str, Any] = {"bench": "view_latency",
                                   **measure(Path(tmp) / "view", int(args.seconds) or 1,
                                             rate=args.rate, poll_ms=args.poll_ms,
                                             probe_rate=args.probe_rate, tracing=args.trace)}
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
