"""The `devstack` command: up, down, ps, start, stop, logs, dev, install, wipe."""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

from fitshop_devstack import install
from fitshop_devstack.components import ACCOUNTS, Stack, state_dir
from fitshop_devstack.install import InstallError
from fitshop_devstack.servers import ServerError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="devstack", description="Run fitshop's local stack: real servers on loopback.",
        epilog="State folder: $FITSHOP_STATE or <repo>/.state. "
               "Ports: FITSHOP_<NAME>_PORT (e.g. FITSHOP_NATS_PORT).",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("up", help="start everything, seed, wait until ready (idempotent)")
    up.add_argument("--servers-only", action="store_true",
                    help="only the backing servers (postgres, mongo, redis, nats)")
    commands.add_parser("down", help="stop everything; data stays")
    commands.add_parser("ps", help="print component → {url, pid, ready} as one JSON object")
    start = commands.add_parser("start", help="start one component and wait until it is ready")
    start.add_argument("name")
    stop = commands.add_parser("stop", help="stop one component")
    stop.add_argument("name")
    commands.add_parser("logs", help="follow every component's log until Ctrl-C")
    commands.add_parser("dev", help="up, follow the logs until Ctrl-C, then down")
    commands.add_parser("install", help="only locate, install or build the server binaries")
    commands.add_parser("wipe", help="stop everything and delete the state folder")
    args = parser.parse_args(argv)

    try:
        return _run(args)
    except (ServerError, InstallError, KeyError) as error:
        print(f"devstack {args.command}: {error}", file=sys.stderr)
        return 1


def _run(args: argparse.Namespace) -> int:
    if args.command == "install":
        return _install()
    stack = Stack(state_dir())
    if args.command == "up":
        return _up(stack, servers_only=args.servers_only)
    if args.command == "down":
        stack.down()
        print(f"stopped; data kept in {stack.state}")
    elif args.command == "ps":
        print(json.dumps(stack.status(), indent=2))
    elif args.command == "start":
        stack.start(args.name)
        print(f"{args.name} ready at {stack.component(args.name).url}")
    elif args.command == "stop":
        stack.stop(args.name)
        print(f"{args.name} stopped")
    elif args.command == "logs":
        _follow(stack.state / "logs")
    elif args.command == "dev":
        status = _up(stack, servers_only=False)
        if status == 0:
            _follow(stack.state / "logs")
        stack.down()
        return status
    elif args.command == "wipe":
        stack.down()
        stack.postgres.destroy()  # its cluster may live outside the state folder
        shutil.rmtree(stack.state, ignore_errors=True)
        print(f"wiped {stack.state}")
    return 0


def _install() -> int:
    for name, (path, seconds) in install.install_all().items():
        print(f"{name:<13} {path}  ({seconds:.1f} s)")
    return 0


def _up(stack: Stack, *, servers_only: bool) -> int:
    started = time.perf_counter()
    timings = stack.up(services=not servers_only)
    total = time.perf_counter() - started
    phases = ", ".join(f"{phase} {seconds:.1f} s" for phase, seconds in timings.items())
    print(f"fitshop local stack ready in {total:.1f} s ({phases}); state in {stack.state}")
    for name, server in stack.components().items():
        if server.pid is not None:
            extras = "  ".join(server.extra_urls().values())
            print(f"  {name:<16} {server.url}  {extras}".rstrip())
    if not servers_only:
        edge_row = stack.rows.get("edge")
        edge = "" if edge_row and edge_row.importable() else "  (edge not written yet)"
        print(f"\ngateway: {stack.gateway_url}{edge}\naccounts:\n{ACCOUNTS}")
    return 0


def _follow(folder: Path, *, backlog: int = 10) -> None:
    """`tail -F` over every *.log in the folder, each line prefixed with its component."""
    offsets: dict[Path, int] = {}
    partial: dict[Path, bytes] = {}
    try:
        while True:
            for path in sorted(folder.glob("*.log")):
                size = path.stat().st_size
                if path not in offsets:
                    lines = path.read_bytes().splitlines(keepends=True)[-backlog:]
                    offsets[path] = size
                    _print_lines(path.stem, lines)
                    continue
                if size < offsets[path]:  # truncated or replaced: start over
                    offsets[path] = 0
                if size == offsets[path]:
                    continue
                with open(path, "rb") as handle:
                    handle.seek(offsets[path])
                    chunk = partial.pop(path, b"") + handle.read(size - offsets[path])
                offsets[path] = size
                lines = chunk.splitlines(keepends=True)
                if lines and not lines[-1].endswith(b"\n"):
                    partial[path] = lines.pop()  # wait for the rest of the line
                _print_lines(path.stem, lines)
            time.sleep(0.2)
    except KeyboardInterrupt:
        return


def _print_lines(name: str, lines: list[bytes]) -> None:
    for line in lines:
        text = line.decode(errors="replace").rstrip("\n")
        print(f"{name:>15} | {text}", flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
