"""`make bench`: measure the raw limits and every fitshop figure in one run, print ratios, write docs."""

from __future__ import annotations

import argparse
import importlib
import json
import platform
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import raw_limits

DOC = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"

# Written by hand after profiling; appended to the generated tables so the doc stays whole.
ANALYSIS = Path(__file__).with_name("analysis.md")

# Each section is a module in bench/ with `measure(state: Path, seconds: int) -> dict[str, float]`.
SECTIONS = ["orders_bench", "view_latency"]
BELOW_SATURATION = "view_latency_at_50_per_s"


def run(seconds: int) -> dict[str, Any]:
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="fitshop-bench-") as tmp:
        results["raw"] = raw_limits.measure(Path(tmp) / "raw", min(seconds, 10))
        for name in SECTIONS:
            try:
                module = importlib.import_module(f"bench.{name}")
            except ModuleNotFoundError:
                continue
            results[name] = module.measure(Path(tmp) / name, seconds)
        # The same path with the machine not saturated: what the design costs, not the cores.
        from bench import view_latency

        results[BELOW_SATURATION] = view_latency.measure(Path(tmp) / BELOW_SATURATION, seconds,
                                                         rate=50.0)
    return results


def ratios(results: dict[str, Any]) -> dict[str, tuple[float, str]]:
    raw = results["raw"]
    out: dict[str, tuple[float, str]] = {}
    if "orders_bench" in results:
        out["orders/s ÷ raw PostgreSQL insert tps"] = (
            results["orders_bench"]["orders_per_s"] / raw["pg_insert_tps"],
            "goal ≥ 0.20",
        )
    if "view_latency" in results:
        view = results["view_latency"]
        # the goal is set at 100 orders/s: say so when the machine placed fewer
        out["view p99 ÷ raw JetStream RTT p99"] = (
            view["p99_ms"] / raw["rtt_p99_ms"],
            f"goal ≤ 30; at {view['achieved_rate']:.0f} of {view['rate_per_s']:.0f} orders/s",
        )
    if BELOW_SATURATION in results:
        out["view p99 ÷ raw JetStream RTT p99, at 50 orders/s"] = (
            results[BELOW_SATURATION]["p99_ms"] / raw["rtt_p99_ms"],
            "not the goal's rate: the same path with CPU to spare",
        )
    return out


def render(results: dict[str, Any], seconds: int) -> str:
    raw = results["raw"]
    lines = [
        "# Benchmarks",
        "",
        f"Measured by `make bench` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.machine()},"
        f" {Path('/proc/cpuinfo').read_text().count('processor') if Path('/proc/cpuinfo').exists() else '?'} cores,"
        f" {seconds} s per load phase. Ratios divide by raw limits measured in the SAME run.",
        "",
        "## Raw limits of this machine",
        "",
        "| figure | value |",
        "|---|---|",
        f"| PostgreSQL one-INSERT-per-transaction (pgbench, 16 clients, synchronous_commit on) | {raw['pg_insert_tps']:.0f} tps |",
        f"| JetStream publish→consume RTT p50 / p99 (file store, one at a time) | {raw['rtt_p50_ms']:.2f} / {raw['rtt_p99_ms']:.2f} ms |",
        f"| JetStream publish rate (256 in flight) | {raw['publish_per_s']:.0f} msg/s |",
        f"| Litestar hello world on granian, 1 worker (wrk, 64 connections) | {raw['http_hello_rps']:.0f} req/s |",
        "",
    ]
    for name in [*SECTIONS, BELOW_SATURATION]:
        if name in results:
            lines += [f"## {name}", "", "| figure | value |", "|---|---|"]
            lines += [
                f"| {k} | {v:.2f} |" if isinstance(v, float) else f"| {k} | {v} |"
                for k, v in results[name].items()
            ]
            lines.append("")
    found = ratios(results)
    if found:
        lines += ["## Ratios", "", "| ratio | value | goal |", "|---|---|---|"]
        lines += [f"| {k} | {v:.3f} | {goal} |" for k, (v, goal) in found.items()]
        lines.append("")
    lines.append(ANALYSIS.read_text())
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=30, help="length of each load phase")
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/ alone")
    args = parser.parse_args()
    results = run(args.seconds)
    print(json.dumps(results, indent=2))
    for name, (value, goal) in ratios(results).items():
        print(f"{name}: {value:.3f} ({goal})")
    if not args.no_write:
        DOC.write_text(render(results, args.seconds) + "\n")
        print(f"wrote {DOC}")


if __name__ == "__main__":
    main()
