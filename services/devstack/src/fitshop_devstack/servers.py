"""Real server processes on loopback: start, wait until ready, report, restart and stop them."""

from __future__ import annotations

import contextlib
import functools
import grp
import hashlib
import os
import pwd
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TypedDict

from fitshop_devstack import install, probes
from fitshop_devstack.probes import HOST

START_MARKER = "--- devstack: starting"


class ServerError(RuntimeError):
    """A server did not start or stop; the message ends with the tail of its log."""


class Server:
    """One detached process with data under `state`, found again through its pid file.

    Processes run in their own session, so Ctrl-C in the terminal that ran `devstack up`
    does not reach them and a later `devstack` call (another process) can stop them.
    """

    #: Substrings of /proc/PID/cmdline that prove a pid is still our server (pids get reused).
    process_names: tuple[str, ...] = ()
    #: The signal that asks for a clean shutdown.
    stop_signal: signal.Signals = signal.SIGTERM
    #: Run the process as this user (only when we are root and the server refuses root).
    run_as: str | None = None
    #: How long a clean shutdown may take before the process group is killed.
    stop_timeout: float = 20.0

    def __init__(self, name: str, state: Path, port: int) -> None:
        self.name = name
        self.state = state.absolute()
        self.port = port
        self._process: subprocess.Popen[bytes] | None = None

    # -- what subclasses describe ------------------------------------------------------

    @property
    def url(self) -> str:
        raise NotImplementedError

    def command(self) -> list[str]:
        raise NotImplementedError

    def environment(self) -> Mapping[str, str]:
        return os.environ

    def prepare(self) -> None:
        """Create data folders (and install binaries); must be idempotent."""

    def probe(self) -> bool:
        """One readiness check; cheap, because it is polled."""
        raise NotImplementedError

    def extra_urls(self) -> dict[str, str]:
        """Other endpoints worth listing in `devstack ps` (admin ports, monitors)."""
        return {}

    # -- files -------------------------------------------------------------------------

    @property
    def log_path(self) -> Path:
        return self.state / "logs" / f"{self.name}.log"

    @property
    def pid_path(self) -> Path:
        return self.state / "run" / f"{self.name}.pid"

    def log_tail(self, lines: int = 30) -> str:
        """The end of the log written since the last start."""
        try:
            text = self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return "(no log yet)"
        text = text.rsplit(START_MARKER, 1)[-1].split("\n", 1)[-1]
        return "\n".join(text.splitlines()[-lines:]) or "(log is empty)"

    # -- state -------------------------------------------------------------------------

    @property
    def pid(self) -> int | None:
        """The pid of the running server, or None (a stale pid file counts as not running)."""
        try:
            pid = int(self.pid_path.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None
        return pid if self._alive(pid) else None

    def ready(self) -> bool:
        return self.probe()

    def _alive(self, pid: int) -> bool:
        if self._process is not None and self._process.pid == pid:
            return self._process.poll() is None  # reaps our own child, so no zombie lingers
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (FileNotFoundError, ProcessLookupError, IndexError):
            return False
        if fields[0] == "Z":
            return False
        return any(name in cmdline for name in self.process_names)

    # -- life cycle --------------------------------------------------------------------

    def start(self, timeout: float = 60.0) -> None:
        """Start unless already running, then wait until ready (or raise with the log tail)."""
        if self.pid is None:
            if probes.port_in_use(self.port):
                raise ServerError(
                    f"{self.name}: port {self.port} is taken by another process "
                    f"(not ours: no live pid in {self.pid_path}); stop it or pick another port"
                )
            self.prepare()
            self._spawn()
        self.wait_ready(timeout)

    def _spawn(self) -> None:
        for folder in (self.log_path.parent, self.pid_path.parent):
            folder.mkdir(parents=True, exist_ok=True)
        command = self.command()
        with open(self.log_path, "ab") as log:
            stamp = time.strftime("%Y-%m-%d %H:%M:%S")
            log.write(f"{START_MARKER} {stamp}: {' '.join(command)}\n".encode())
            log.flush()
            self._process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=dict(self.environment()),
                cwd=self.working_dir(),
                start_new_session=True,
                **_identity(self.run_as),
            )
        self.pid_path.write_text(f"{self._process.pid}\n")

    def working_dir(self) -> Path:
        return self.state

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while not self.probe():
            if self.pid is None:
                raise ServerError(f"{self.name} exited while starting. Log:\n{self.log_tail()}")
            if time.monotonic() > deadline:
                raise ServerError(
                    f"{self.name} not ready after {timeout:.0f}s on port {self.port}. "
                    f"Log:\n{self.log_tail()}"
                )
            time.sleep(0.02)

    def stop(self, timeout: float | None = None) -> None:
        """Ask for a clean shutdown; kill the whole process group if it takes too long."""
        pid = self.pid
        if pid is not None:
            os.kill(pid, self.stop_signal)
            if not self._wait_gone(pid, timeout or self.stop_timeout):
                self._kill_group(pid)
                if not self._wait_gone(pid, 5.0):
                    raise ServerError(f"{self.name} (pid {pid}) survived SIGKILL")
        self.pid_path.unlink(missing_ok=True)
        self._process = None

    def kill(self) -> None:
        """Crash the server (SIGKILL, no shutdown work): for fault drills."""
        pid = self.pid
        if pid is not None:
            self._kill_group(pid)
            self._wait_gone(pid, 5.0)
        self.pid_path.unlink(missing_ok=True)
        self._process = None

    def restart(self, timeout: float = 60.0) -> None:
        """Stop and start again on the same port with the same data."""
        self.stop()
        self.start(timeout)

    def _kill_group(self, pid: int) -> None:
        # Our session's group holds the server's helpers, except those that start their own
        # session (PostgreSQL's backends do), so descendants are killed by name too.
        stragglers = _descendants(pid)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
        for child in stragglers:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGKILL)

    def _wait_gone(self, pid: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while self._alive(pid):
            if time.monotonic() > deadline:
                return False
            time.sleep(0.02)
        return True


def _descendants(pid: int) -> list[int]:
    """Every process below `pid`, read from /proc."""
    children: dict[int, list[int]] = {}
    for stat_file in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat_file.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(stat_file.parent.name))
    found: list[int] = []
    pending = [pid]
    while pending:
        below = children.get(pending.pop(), [])
        found += below
        pending += below
    return found


class _Identity(TypedDict):
    user: str | None
    group: int | None
    extra_groups: list[int] | None


def _identity(user: str | None) -> _Identity:
    """Popen options that drop root for the child (what `runuser -u USER --` does, minus the
    extra runuser process in between that would swallow signals meant for the server)."""
    if user is None:
        return {"user": None, "group": None, "extra_groups": None}
    return {"user": user, "group": pwd.getpwnam(user).pw_gid, "extra_groups": []}


def _needs_other_user(user: str) -> str | None:
    return user if install.is_root() else None


class Postgres(Server):
    """PostgreSQL from the distribution's binaries; `fast=True` trades durability for speed."""

    process_names = ("postgres",)
    stop_signal = signal.SIGINT  # "fast" shutdown; SIGTERM would wait for clients to leave

    def __init__(self, state: Path, port: int, *, fast: bool = False, name: str = "postgres"):
        super().__init__(name, state, port)
        self.fast = fast
        self.run_as = _needs_other_user("postgres")

    @property
    def url(self) -> str:
        return self.url_for("postgres")

    def url_for(self, database: str) -> str:
        return f"postgresql://postgres@{HOST}:{self.port}/{database}"

    @functools.cached_property
    def bin_dir(self) -> Path:
        return install.postgres_bin_dir()

    @property
    def root(self) -> Path:
        """STATE/postgres when the postgres user can reach it, else a postgres-owned folder in
        /tmp keyed by the state folder (pytest's /tmp/pytest-of-root is 0700, for one); then
        STATE/postgres is a symlink to it so people can still find the data."""
        inside = self.state / "postgres"
        if self.run_as is None or not _user_exists(self.run_as):
            return inside  # nothing installed yet: prepare() installs before asking again
        socket_fits = len(str(inside)) < 80  # Unix socket paths are limited to ~107 bytes
        if socket_fits and _traversable_by(self.state, self.run_as):
            return inside
        key = hashlib.sha256(str(self.state).encode()).hexdigest()[:12]
        return Path(tempfile.gettempdir()) / f"fitshop-pg-{key}"

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    def prepare(self) -> None:
        self.bin_dir  # noqa: B018 -- install first: that creates the postgres account
        self.state.mkdir(parents=True, exist_ok=True)
        self.root.mkdir(parents=True, exist_ok=True)
        link = self.state / "postgres"
        if self.root != link:
            _sweep_stale_clusters()
            (self.root / "state-folder").write_text(f"{self.state}\n")
            if not link.is_symlink() and not link.exists():
                link.symlink_to(self.root)
        if self.run_as is not None:
            user = pwd.getpwnam(self.run_as)
            os.chown(self.root, user.pw_uid, user.pw_gid)
        self.root.chmod(0o700)
        if not (self.data_dir / "PG_VERSION").exists():
            self._initdb()

    def _initdb(self) -> None:
        command = [
            str(self.bin_dir / "initdb"), "-D", str(self.data_dir), "-U", "postgres",
            "-A", "trust", "-E", "UTF8", "--no-locale", "--no-instructions",
        ]
        if self.fast:
            command.append("--no-sync")
        run = subprocess.run(
            command, capture_output=True, text=True, cwd=self.root, check=False,
            **_identity(self.run_as),
        )
        if run.returncode != 0:
            shutil.rmtree(self.data_dir, ignore_errors=True)
            raise ServerError(f"initdb failed:\n{run.stdout}\n{run.stderr}")

    def command(self) -> list[str]:
        settings = ["listen_addresses=127.0.0.1"]
        if self.fast:
            # Tests throw the data away, so no fsync; the local stack keeps PostgreSQL's real
            # durability because benchmarks compare against its real speed. synchronous_commit
            # stays on: with fsync off it costs only a write(), and it keeps every committed
            # transaction through a crash of the server process (kill -9 fault drills).
            settings += ["fsync=off", "full_page_writes=off"]
        command = [
            str(self.bin_dir / "postgres"), "-D", str(self.data_dir),
            "-p", str(self.port), "-k", str(self.root),
        ]
        for setting in settings:
            command += ["-c", setting]
        return command

    def working_dir(self) -> Path:
        return self.root

    def probe(self) -> bool:
        # postmaster.pid's 8th line says "starting"/"ready" (what `pg_ctl -w` polls); asking the
        # socket only after "ready" keeps "the database system is starting up" out of the log.
        try:
            lines = (self.data_dir / "postmaster.pid").read_text().splitlines()
        except PermissionError:
            lines = ["", "", "", "", "", "", "", "ready"]
        except OSError:
            return False
        if len(lines) < 8 or lines[7].strip() != "ready":
            return False
        return probes.postgres_ready(self.port)

    def create_database(self, name: str) -> str:
        """Create a database unless it exists; answers its URL."""
        if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", name):
            raise ValueError(f"database names are lower_snake_case, at most 63 chars: {name!r}")
        run = subprocess.run(
            [str(self.bin_dir / "psql"), "-h", HOST, "-p", str(self.port), "-U", "postgres",
             "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-qc", f'CREATE DATABASE "{name}"'],
            capture_output=True, text=True, check=False,
            env={**os.environ, "PGCONNECT_TIMEOUT": "5"},
        )
        if run.returncode != 0 and "already exists" not in run.stderr:
            raise ServerError(f"CREATE DATABASE {name} failed: {run.stderr.strip()}")
        return self.url_for(name)

    def destroy(self) -> None:
        """Stop and delete the cluster (also when it lives outside the state folder)."""
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)
        link = self.state / "postgres"
        if link.is_symlink():
            link.unlink()


def _user_exists(user: str) -> bool:
    try:
        pwd.getpwnam(user)
    except KeyError:
        return False
    return True


def _traversable_by(path: Path, user: str) -> bool:
    """Can `user` reach into `path` (search permission on it and every parent)?"""
    account = pwd.getpwnam(user)
    groups = {account.pw_gid} | {g.gr_gid for g in grp.getgrall() if user in g.gr_mem}
    for folder in [path, *path.parents]:
        if not folder.exists():
            continue  # we create it with the default 0755
        info = folder.stat()
        if info.st_uid == account.pw_uid:
            bit = stat.S_IXUSR
        elif info.st_gid in groups:
            bit = stat.S_IXGRP
        else:
            bit = stat.S_IXOTH
        if not info.st_mode & bit:
            return False
    return True


def _sweep_stale_clusters() -> None:
    """Remove /tmp clusters whose state folder is gone (e.g. a test session that crashed)."""
    for root in Path(tempfile.gettempdir()).glob("fitshop-pg-*"):
        try:
            owner = Path((root / "state-folder").read_text().strip())
        except OSError:
            continue
        if not owner.exists() and not _cluster_running(root / "data"):
            shutil.rmtree(root, ignore_errors=True)


def _cluster_running(data_dir: Path) -> bool:
    """Is the postmaster named in the data folder's lock file alive?"""
    try:
        pid = int((data_dir / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return False
    return Path(f"/proc/{pid}").exists()


class Redis(Server):
    """redis-server without persistence: the read models it holds are rebuilt from events."""

    process_names = ("redis-server",)

    def __init__(self, state: Path, port: int, *, name: str = "redis"):
        super().__init__(name, state, port)

    @property
    def url(self) -> str:
        return f"redis://{HOST}:{self.port}/0"

    def prepare(self) -> None:
        (self.state / "redis").mkdir(parents=True, exist_ok=True)

    def command(self) -> list[str]:
        return [
            str(install.redis_server()), "--port", str(self.port), "--bind", HOST,
            "--dir", str(self.state / "redis"), "--save", "", "--appendonly", "no",
            "--daemonize", "no", "--logfile", "",
        ]

    def probe(self) -> bool:
        return probes.redis_ready(self.port)

    def flush(self) -> None:
        """Empty every Redis database."""
        probes.redis_command(self.port, "FLUSHALL")


class Nats(Server):
    """nats-server with JetStream, its file store under STATE/nats, and the HTTP monitor on."""

    process_names = ("nats-server",)

    def __init__(self, state: Path, port: int, *, monitor_port: int, name: str = "nats"):
        super().__init__(name, state, port)
        self.monitor_port = monitor_port

    @property
    def url(self) -> str:
        return f"nats://{HOST}:{self.port}"

    @property
    def monitor_url(self) -> str:
        return f"http://{HOST}:{self.monitor_port}"

    def extra_urls(self) -> dict[str, str]:
        return {"monitor_url": self.monitor_url}

    def prepare(self) -> None:
        (self.state / "nats").mkdir(parents=True, exist_ok=True)

    def command(self) -> list[str]:
        return [
            str(install.nats_server()), "-js", "-sd", str(self.state / "nats"),
            # A fixed name keeps JetStream's view of "this server" the same across restarts.
            "-n", f"fitshop-{self.name}",
            "-a", HOST, "-p", str(self.port), "-m", str(self.monitor_port),
        ]

    def start(self, timeout: float = 60.0) -> None:
        if self.pid is None and probes.port_in_use(self.monitor_port):
            raise ServerError(f"{self.name}: monitor port {self.monitor_port} is taken")
        super().start(timeout)

    def probe(self) -> bool:
        return probes.http_ok(self.monitor_port, "/healthz?js-enabled-only=true", timeout=0.5)

    def delete_all_streams(self) -> list[str]:
        """Forget every JetStream stream (and so every consumer, KV and object bucket)."""
        return probes.jetstream_delete_all_streams(self.port)


class Mongo(Server):
    """A MongoDB wire-protocol server: `mongod` if installed, else FerretDB v1 on SQLite
    (no multi-document transactions, no change streams)."""

    process_names = ("ferretdb", "mongod")

    def __init__(self, state: Path, port: int, *, name: str = "mongo"):
        super().__init__(name, state, port)

    @property
    def url(self) -> str:
        return f"mongodb://{HOST}:{self.port}/"

    def url_for(self, database: str) -> str:
        return f"mongodb://{HOST}:{self.port}/{database}"

    @property
    def kind(self) -> install.MongoKind:
        return install.mongo_server()[0]

    def prepare(self) -> None:
        folder = "ferretdb/data" if self.kind == "ferretdb" else "mongod"
        (self.state / folder).mkdir(parents=True, exist_ok=True)

    def command(self) -> list[str]:
        kind, binary = install.mongo_server()
        if kind == "mongod":
            return [
                str(binary), "--dbpath", str(self.state / "mongod"), "--bind_ip", HOST,
                "--port", str(self.port), "--quiet",
            ]
        return [
            str(binary), "--handler=sqlite",
            f"--sqlite-url=file:{self.state / 'ferretdb' / 'data'}/",
            f"--state-dir={self.state / 'ferretdb'}",
            f"--listen-addr={HOST}:{self.port}",
            "--debug-addr=-",  # "-" turns the metrics/pprof listener off (default port 8088)
            "--telemetry=disable", "--log-level=warn",
        ]

    def probe(self) -> bool:
        return probes.mongo_ready(self.port)


class Smtp(Server):
    """A real SMTP server (aiosmtpd) that keeps every message in a Maildir under STATE/mail,
    so the local stack's e-mails can be read, and tests can read what notification sent."""

    process_names = ("aiosmtpd",)

    def __init__(self, state: Path, port: int, *, name: str = "smtp"):
        super().__init__(name, state, port)

    @property
    def url(self) -> str:
        return f"smtp://{HOST}:{self.port}"

    @property
    def maildir(self) -> Path:
        return self.state / "mail"

    def prepare(self) -> None:
        # Maildir makes tmp/new/cur itself, but only when the folder does not exist yet.
        if self.maildir.exists() and not (self.maildir / "tmp").is_dir():
            self.maildir.rmdir()
        self.state.mkdir(parents=True, exist_ok=True)

    def command(self) -> list[str]:
        return [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"{HOST}:{self.port}",
                "-c", "aiosmtpd.handlers.Mailbox", str(self.maildir)]

    def probe(self) -> bool:
        return probes.port_in_use(self.port)


class App(Server):
    """One service: its ASGI app factory served by granian, ready when /health/ready says 200."""

    process_names = ("granian",)
    stop_timeout = 40.0  # above SHUTDOWN_GRACE_SECONDS (25 s by default): let it drain

    def __init__(
        self, name: str, state: Path, port: int, *, app: str, env: Mapping[str, str],
        extra_urls: Mapping[str, str] | None = None, cwd: Path | None = None,
        ready: tuple[int, str] | None = None,
    ) -> None:
        super().__init__(name, state, port)
        self._ready = ready or (port, "/health/ready")
        self.app = app
        self.env = dict(env)
        self._extra_urls = dict(extra_urls or {})
        self._cwd = cwd

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def extra_urls(self) -> dict[str, str]:
        return dict(self._extra_urls)

    def command(self) -> list[str]:
        # The granian next to the running interpreter: the workspace venv has every service.
        granian = Path(sys.executable).parent / "granian"
        return [
            str(granian), "--interface", "asgi", "--factory", "--host", HOST,
            "--port", str(self.port), "--workers", "1", "--runtime-mode", "st", self.app,
        ]

    def environment(self) -> Mapping[str, str]:
        return {**os.environ, **self.env}

    def working_dir(self) -> Path:
        return self._cwd or self.state

    def probe(self) -> bool:
        port, path = self._ready
        return probes.http_ok(port, path, timeout=1.0)
