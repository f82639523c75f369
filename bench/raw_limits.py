"""The machine's raw speeds that every fitshop ratio divides by, measured in the same run."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import nats

from fitshop_devstack.probes import free_port
from fitshop_devstack.servers import Nats, Postgres

HELLO_APP = """
from litestar import Litestar, get

@get("/hello", sync_to_thread=False)
def hello() -> dict[str, str]:
    return {"hello": "world"}

app = Litestar([hello])
"""


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def postgres_insert_tps(pg: Postgres, seconds: int) -> float:
    """pgbench with a custom script: one INSERT per transaction, synchronous_commit on."""
    url = pg.create_database("bench_raw")
    subprocess.run(
        [
            str(pg.bin_dir / "psql"),
            url,
            "-qc",
            "CREATE TABLE IF NOT EXISTS raw_insert (id bigserial PRIMARY KEY, body jsonb)",
        ],
        check=True,
        capture_output=True,
    )
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as script:
        script.write(
            """INSERT INTO raw_insert (body) VALUES ('{"sku": "DUMBBELL-10KG", "qty": 1}');\n"""
        )
    out = subprocess.run(
        [
            str(pg.bin_dir / "pgbench"),
            "-n",
            "-f",
            script.name,
            "-c",
            "16",
            "-j",
            "2",
            "-T",
            str(seconds),
            url,
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    match = re.search(r"tps = ([\d.]+)", out)
    assert match, out
    return float(match.group(1))


async def jetstream_figures(url: str, count: int = 3000) -> dict[str, float]:
    """Publish→consume round trip (one at a time) and pipelined publish rate on a file stream."""
    nc = await nats.connect(url)
    js = nc.jetstream()
    await js.add_stream(name="RAW", subjects=["raw.>"])
    received: asyncio.Queue[float] = asyncio.Queue()

    async def on_msg(msg: Any) -> None:
        received.put_nowait(time.perf_counter())
        await msg.ack()

    await js.subscribe("raw.rtt", cb=on_msg, durable="raw-rtt", manual_ack=True)
    rtts: list[float] = []
    for _ in range(count):
        sent = time.perf_counter()
        await js.publish("raw.rtt", b'{"n": 1}')
        rtts.append((await received.get()) - sent)

    started = time.perf_counter()
    window = 256
    pending: set[asyncio.Future[Any]] = set()
    for i in range(count * 5):
        pending.add(asyncio.ensure_future(js.publish("raw.rate", b'{"n": %d}' % i)))
        if len(pending) >= window:
            _, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
    await asyncio.gather(*pending)
    rate = count * 5 / (time.perf_counter() - started)
    await nc.close()
    return {
        "rtt_p50_ms": percentile(rtts, 0.5) * 1000,
        "rtt_p99_ms": percentile(rtts, 0.99) * 1000,
        "publish_per_s": rate,
    }


def granian_hello_rps(state: Path, seconds: int) -> float:
    """Hello-world Litestar on granian (1 worker), loaded by wrk: the HTTP ceiling of this box."""
    (state / "hello_app.py").write_text(HELLO_APP)
    port = free_port()
    granian = Path(sys.executable).parent / "granian"
    proc = subprocess.Popen(
        [
            str(granian),
            "--interface",
            "asgi",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
            "hello_app:app",
        ],
        cwd=state,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        import httpx2

        for _ in range(100):
            try:
                httpx2.get(f"http://127.0.0.1:{port}/hello", timeout=0.5)
                break
            except httpx2.HTTPError:
                time.sleep(0.1)
        wrk = shutil.which("wrk")
        if wrk is None:
            raise RuntimeError(
                "wrk missing: make servers installs it (as root), or apt-get install -y wrk"
            )
        out = subprocess.run(
            [wrk, "-t2", "-c64", f"-d{seconds}s", f"http://127.0.0.1:{port}/hello"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        match = re.search(r"Requests/sec:\s+([\d.]+)", out)
        assert match, out
        return float(match.group(1))
    finally:
        proc.terminate()
        proc.wait()


def measure(state: Path, seconds: int = 10) -> dict[str, float]:
    pg = Postgres(state, free_port())
    nats_server = Nats(state, free_port(), monitor_port=free_port())
    pg.start()
    nats_server.start()
    try:
        figures = {"pg_insert_tps": postgres_insert_tps(pg, seconds)}
        figures.update(asyncio.run(jetstream_figures(nats_server.url)))
        figures["http_hello_rps"] = granian_hello_rps(state, seconds)
        return figures
    finally:
        nats_server.stop()
        pg.stop()


if __name__ == "__main__":
    with tempfile.TemporaryDirectory(prefix="fitshop-bench-") as tmp:
        print(json.dumps(measure(Path(tmp)), indent=2))
