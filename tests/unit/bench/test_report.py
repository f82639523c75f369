"""`make bench` reports: the view goal is judged on the worst run, and every run is shown."""

from __future__ import annotations

from typing import Any

from bench import run


def view_run(p99: float, steal: float) -> dict[str, float]:
    return {"p50_ms": p99 / 3, "p99_ms": p99, "max_ms": p99 * 2, "rate_per_s": 100.0,
            "achieved_rate": 100.0, "cpu_busy_share": 0.7, "cpu_steal_share": steal}


def results() -> dict[str, Any]:
    runs = [view_run(40.0, 0.08), view_run(12.0, 0.01), view_run(15.0, 0.02)]
    return {
        "raw": {"pg_insert_tps": 10_000.0, "rtt_p50_ms": 0.3, "rtt_p99_ms": 0.5,
                "publish_per_s": 15_000.0, "http_hello_rps": 9_000.0},
        "orders_bench": {"orders_per_s": 200.0},
        "view_latency_runs": runs,
        "view_latency": run.worst(runs),
    }


def test_the_judged_run_is_the_one_with_the_highest_p99() -> None:
    runs = [view_run(12.0, 0.01), view_run(40.0, 0.08), view_run(15.0, 0.02)]
    assert run.worst(runs) is runs[1]


def test_the_view_ratio_is_the_worst_run_s_p99_over_the_raw_rtt_p99() -> None:
    found = run.ratios(results())
    assert found["view p99 ÷ raw JetStream RTT p99 (worst run)"][0] == 40.0 / 0.5
    assert found["view p99 ÷ raw JetStream RTT p99, run 1"] == (80.0, "CPU steal 8.0 %")
    assert found["orders/s ÷ raw PostgreSQL insert tps"][0] == 0.02


def test_the_report_lists_every_run_with_its_steal() -> None:
    text = run.render(results(), seconds=30)
    assert "| 1 | 13.33 | 40.00 | 80.00 | 70 % | 8.0 % |" in text
    assert "| 3 | 5.00 | 15.00 | 30.00 | 70 % | 2.0 % |" in text
    assert "| view p99 ÷ raw JetStream RTT p99 (worst run) | 80.000 |" in text
