"""Kong's prometheus plugin: Kong's metric names, served by the status listener at /metrics."""

from __future__ import annotations

import time
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, disable_created_metrics

from edge.exchange import Exchange
from edge.plugins.base import Plugin

disable_created_metrics()  # type: ignore[no-untyped-call]

# Kong's DEFAULT_BUCKETS for its latency histograms (milliseconds).
LATENCY_BUCKETS = (1, 2, 5, 7, 10, 15, 20, 25, 30, 40, 50, 60, 70, 80, 90, 100, 200, 300, 400,
                   500, 1000, 2000, 5000, 10000, 30000, 60000)

REGISTRY = CollectorRegistry(auto_describe=True)
REQUESTS = Counter(
    "kong_http_requests", "HTTP status codes per consumer/service/route in Kong",
    ["service", "route", "code", "source", "workspace", "consumer"], registry=REGISTRY,
)
KONG_LATENCY = Histogram(
    "kong_kong_latency_ms", "Latency added by Kong and enabled plugins for each service/route",
    ["service", "route", "workspace"], buckets=LATENCY_BUCKETS, registry=REGISTRY,
)
UPSTREAM_LATENCY = Histogram(
    "kong_upstream_latency_ms", "Latency added by upstream response for each service/route",
    ["service", "route", "workspace"], buckets=LATENCY_BUCKETS, registry=REGISTRY,
)
REQUEST_LATENCY = Histogram(
    "kong_request_latency_ms", "Total latency incurred during requests for each service/route",
    ["service", "route", "workspace"], buckets=LATENCY_BUCKETS, registry=REGISTRY,
)
BANDWIDTH = Counter(
    "kong_bandwidth_bytes", "Total bandwidth (ingress/egress) throughput in bytes",
    ["service", "route", "direction", "workspace", "consumer"], registry=REGISTRY,
)


class PrometheusPlugin(Plugin):
    name = "prometheus"
    priority = 13

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.per_consumer: bool = self.setting("per_consumer", False)
        self.status_code_metrics: bool = self.setting("status_code_metrics", False)
        self.latency_metrics: bool = self.setting("latency_metrics", False)
        self.bandwidth_metrics: bool = self.setting("bandwidth_metrics", False)

    def log(self, exchange: Exchange) -> None:
        service, route = exchange.service.name, exchange.route.name
        consumer = ""
        if self.per_consumer and exchange.consumer is not None:
            consumer = exchange.consumer.username or exchange.consumer.id
        if self.status_code_metrics:
            REQUESTS.labels(service, route, str(exchange.status), exchange.source, "default",
                            consumer).inc()
        if self.latency_metrics:
            done = time.perf_counter()
            total_ms = (done - exchange.started) * 1000
            REQUEST_LATENCY.labels(service, route, "default").observe(total_ms)
            upstream_ms = 0.0
            if exchange.upstream_started is not None and exchange.upstream_headers_at is not None:
                upstream_ms = (exchange.upstream_headers_at - exchange.upstream_started) * 1000
                UPSTREAM_LATENCY.labels(service, route, "default").observe(upstream_ms)
            KONG_LATENCY.labels(service, route, "default").observe(max(0.0, total_ms - upstream_ms))
        if self.bandwidth_metrics:
            received = exchange.body.received
            BANDWIDTH.labels(service, route, "ingress", "default", consumer).inc(received)
            BANDWIDTH.labels(service, route, "egress", "default", consumer).inc(exchange.bytes_sent)
