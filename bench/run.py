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
SECTIONS = ["orders_bench"]
VIEW = "view_latency"
VIEW_RUNS = 3
"""The view's tail at 100/s swings with the VM's neighbours (steal): the phase runs this many
times, every run is shown, and the goal is judged on the worst of them."""
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
        from bench import view_latency

        runs = [view_latency.measure(Path(tmp) / f"{VIEW}-{n}", seconds) for n in range(VIEW_RUNS)]
        results[f"{VIEW}_runs"] = runs
        results[VIEW] = worst(runs)
        # The same path with the machine not saturated: what the design costs, not the cores.

        results[BELOW_SATURATION] = view_latency.measure(Path(tmp) / BELOW_SATURATION, seconds,
                                                         rate=50.0)
    return results


def worst(runs: list[dict[str, float]]) -> dict[str, float]:
    """The run the goal is judged on: the one with the highest p99, so no lucky run hides a bad one."""
    return max(runs, key=lambda r: r["p99_ms"])


def ratios(results: dict[str, Any]) -> dict[str, tuple[float, str]]:
    raw = results["raw"]
    out: dict[str, tuple[float, str]] = {}
    if "orders_bench" in results:
        out["orders/s ÷ raw PostgreSQL insert tps"] = (
            results["orders_bench"]["orders_per_s"] / raw["pg_insert_tps"],
            "goal ≥ 0.20",
        )
    if VIEW in results:
        view = results[VIEW]
        # the goal is set at 100 orders/s: say so when the machine placed fewer
        out["view p99 ÷ raw JetStream RTT p99 (worst run)"] = (
            view["p99_ms"] / raw["rtt_p99_ms"],
            f"goal ≤ 30; at {view['achieved_rate']:.0f} of {view['rate_per_s']:.0f} orders/s",
        )
        for n, each in enumerate(results.get(f"{VIEW}_runs", []), 1):
            out[f"view p99 ÷ raw JetStream RTT p99, run {n}"] = (
                each["p99_ms"] / raw["rtt_p99_ms"],
                f"CPU steal {100 * each['cpu_steal_share']:.1f} %",
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
    runs = results.get(f"{VIEW}_runs", [])
    if runs:
        lines += [f"## {VIEW}: the {len(runs)} runs at 100 orders/s", "",
                  "| run | p50 ms | p99 ms | max ms | CPU busy | CPU steal |", "|---|---|---|---|---|---|"]
        lines += [f"| {n} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | {r['max_ms']:.2f} |"
                  f" {100 * r['cpu_busy_share']:.0f} % | {100 * r['cpu_steal_share']:.1f} % |"
                  for n, r in enumerate(runs, 1)]
        lines += ["", f"The `{VIEW}` table below is the worst run (by p99), the one judged.", ""]
    for name in [*SECTIONS, VIEW, BELOW_SATURATION]:
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
