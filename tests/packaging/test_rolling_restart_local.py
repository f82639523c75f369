"""The local analogue of the Kubernetes zero-downtime rollout drill (deploy/rollout-demo.sh).

Two replicas of orders (real granian processes on real PostgreSQL and NATS) sit behind a
stand-in for their Kubernetes Service, which sends each new connection to a Ready replica;
the dev edge (the same gateway config Kong runs) routes to that Service. Under steady load
through the edge, each replica in turn is taken out exactly as the chart does it:

1. it leaves the Service endpoints (the pod is Terminating),
2. preStop: it keeps serving for a moment while clients forget it,
3. SIGTERM: granian stops accepting, finishes in-flight requests, the app drains and exits,
4. a new replica starts and only joins the endpoints once /health/ready says 200 (the
   readinessProbe), which is also when the rollout moves on to the next one.

The load must see zero failed requests. What this does not cover: the kubelet, kube-proxy's
own timing and Kong itself — that part is the cluster drill, never run here.
"""

from __future__ import annotations

import http.client
import itertools
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from joserfc.jwk import RSAKey

from fitshop_devstack import probes
from fitshop_devstack.probes import free_port
from fitshop_devstack.servers import App
from tests.support.tokens import JwksServer, Signer

REPO = Path(__file__).resolve().parents[2]
DEMO_KEYS = REPO / "gateway-config" / "demo-keys"
PRESTOP_SECONDS = 1.0
LOAD_CONCURRENCY = 4

pytestmark = pytest.mark.slow


class ServiceStandIn:
    """What Kong (upstream keep-alive off, charts/values/kong.yaml) and kube-proxy do together
    for a ClusterIP Service: every request travels on a NEW connection, which goes to one of the
    Ready endpoints, round robin. A pod that left the endpoints gets no new request, whatever
    connections the gateway keeps open on its own side."""

    HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade",
                  "proxy-connection"}

    def __init__(self) -> None:
        self.endpoints: list[int] = []
        self._turn = itertools.count()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                ready = list(outer.endpoints)
                port = ready[next(outer._turn) % len(ready)]
                upstream = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                try:
                    headers = {k: v for k, v in self.headers.items() if k.lower() not in outer.HOP_BY_HOP}
                    upstream.request(self.command, self.path, body=body, headers=headers)
                    response = upstream.getresponse()
                    payload = response.read()
                    status, reason, answer_headers = response.status, response.reason, response.getheaders()
                except OSError as error:
                    status, reason, answer_headers, payload = 502, "Bad Gateway", [], str(error).encode()
                finally:
                    upstream.close()
                self.send_response(status, reason)
                for key, value in answer_headers:
                    if key.lower() not in outer.HOP_BY_HOP | {"content-length"}:
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _forward

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


class Edge(App):
    """The dev edge, ready when its Kong-like status listener says so."""

    def __init__(self, state: Path, port: int, env: dict[str, str]) -> None:
        self.status_port = free_port()
        super().__init__("edge", state, port, app="edge.app:create_app",
                         env={**env, "EDGE_STATUS_LISTEN": f"127.0.0.1:{self.status_port}"}, cwd=REPO)

    def probe(self) -> bool:
        return probes.http_ok(self.status_port, "/status/ready", timeout=1.0)


def demo_signer() -> Signer:
    """A signer holding the newest demo key, so that the edge (kong.yml's jwt_secrets) and
    orders (our JWKS server) both accept its tokens."""
    pem = sorted(DEMO_KEYS.glob("*.pem"))[-1]
    signer = Signer.__new__(Signer)
    signer.kid = pem.stem
    signer.key = RSAKey.import_key(pem.read_bytes(), parameters={"kid": pem.stem, "use": "sig",
                                                                   "alg": "RS256"})
    return signer


class Load:
    """Steady traffic through the edge from a few clients; counts every answer."""

    def __init__(self, url: str, token: str) -> None:
        self.url = url
        self.headers = {"Authorization": f"Bearer {token}"}
        self.answers: Counter[str] = Counter()
        self.failures: list[str] = []
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, daemon=True) for _ in range(LOAD_CONCURRENCY)]

    def _run(self) -> None:
        with httpx.Client(base_url=self.url, timeout=10.0, headers=self.headers) as client:
            while not self._stop.is_set():
                try:
                    response = client.get("/api/v1/orders", params={"limit": 5})
                    self.answers[str(response.status_code)] += 1
                    if response.status_code != 200:
                        self.failures.append(f"{response.status_code} {response.text[:200]}")
                except httpx.HTTPError as error:
                    self.answers["error"] += 1
                    self.failures.append(f"{type(error).__name__}: {error}")
                time.sleep(0.02)  # ~4 x 40 req/s: below Kong's 200/s for authenticated traffic

    def __enter__(self) -> Load:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(15)

    @property
    def total(self) -> int:
        return sum(self.answers.values())


@contextmanager
def running(server: App) -> Iterator[App]:
    server.start()
    try:
        yield server
    finally:
        server.stop()


def orders_replica(state: Path, env: dict[str, str], index: int) -> App:
    port = free_port()
    return App(f"orders-{index}", state, port, app="orders.entrypoints.http:create_app",
               env={**env, "ORDERS_GRPC_PORT": str(free_port())}, cwd=REPO)


def roll(service: ServiceStandIn, old: App, new: App) -> None:
    """Replace one replica the way the chart's Deployment does (maxUnavailable 0, maxSurge 1)."""
    new.start()  # surge pod; start() returns once /health/ready answers 200 (readinessProbe)
    service.endpoints.append(new.port)
    service.endpoints.remove(old.port)  # old pod Terminating: out of the endpoints...
    time.sleep(PRESTOP_SECONDS)  # ...while preStop keeps it serving
    old.stop()  # SIGTERM, drain, exit


def test_rolling_restart_of_two_orders_replicas_under_load_fails_no_request(
    tmp_path: Path, pg_url: str, nats_url: str,
) -> None:
    assert any(DEMO_KEYS.glob("*.pem")), "gateway-config/demo-keys holds no key (make keys)"
    signer = demo_signer()
    with JwksServer(signer).running() as jwks:
        env: dict[str, Any] = {
            "DATABASE_URL": pg_url,
            "NATS_URL": nats_url,
            "JWKS_URL": jwks.url,
            "JWT_ISSUER": "http://127.0.0.1:8000/auth",
            "JWT_AUDIENCE": "fitshop",
            "PAYMENT_URL": f"http://127.0.0.1:{free_port()}",  # not called by this load
            "SHUTDOWN_GRACE_SECONDS": "10",
            "SERVICE_NAME": "orders",
            "LOG_LEVEL": "WARNING",
        }
        service = ServiceStandIn()
        service.start()
        first, second = orders_replica(tmp_path, env, 1), orders_replica(tmp_path, env, 2)
        try:
            first.start()
            second.start()
            service.endpoints[:] = [first.port, second.port]
            edge = Edge(tmp_path, free_port(), {"EDGE_UPSTREAMS": f"fitshop-orders=http://127.0.0.1:{service.port}",
                                                "EDGE_LOG_LEVEL": "WARNING"})
            with running(edge), Load(edge.url, signer.token("alice", ["customer"])) as load:
                time.sleep(2)
                before = load.total
                assert before > 0 and not load.failures, load.failures[:5]
                third = orders_replica(tmp_path, env, 3)
                roll(service, first, third)
                fourth = orders_replica(tmp_path, env, 4)
                roll(service, second, fourth)
                time.sleep(2)
            assert load.total > before + 20, f"the load stalled: {dict(load.answers)}"
            assert load.failures == [], f"{len(load.failures)} failed of {load.total}: {load.failures[:5]}"
            assert set(load.answers) == {"200"}
        finally:
            for replica in (first, second, locals().get("third"), locals().get("fourth")):
                if replica is not None:
                    replica.stop()
            service.stop()
