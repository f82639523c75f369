"""Health semantics of DESIGN §6: live (restart me?), ready (send me traffic?), startup (done booting?)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException

log = logging.getLogger(__name__)

Check = Callable[[], Awaitable[object]]


class Health:
    """Process health: startup flag, draining flag, named dependency checks, a liveness switch."""

    def __init__(self, check_timeout: float = 1.0) -> None:
        self.started = False
        self.draining = False
        self.alive = True
        self.switch_enabled = False
        self._checks: dict[str, Check] = {}
        self._timeout = check_timeout

    def add_check(self, name: str, check: Check) -> None:
        """Register a dependency probe: it must return (anything) when reachable, raise otherwise."""
        self._checks[name] = check

    async def _run(self, check: Check) -> str:
        try:
            await asyncio.wait_for(check(), self._timeout)
        except Exception as exc:
            return f"down: {type(exc).__name__}: {exc}"[:200]
        return "up"

    async def readiness(self) -> tuple[bool, dict[str, Any]]:
        names = list(self._checks)
        results = await asyncio.gather(*(self._run(self._checks[n]) for n in names))
        checks = dict(zip(names, results, strict=True))
        ok = self.started and not self.draining and all(r == "up" for r in results)
        return ok, {"started": self.started, "draining": self.draining, "checks": checks}


class HealthController(Controller):
    """Kubernetes probes; never behind the gateway."""

    path = "/health"
    include_in_schema = False

    @get("/live", operation_id="healthLive", sync_to_thread=False)
    def live(self, health: NamedDependency[Health]) -> Response[dict[str, Any]]:
        """Fails only when the process must be restarted."""
        return Response({"alive": health.alive}, status_code=200 if health.alive else 503)

    @get("/ready", operation_id="healthReady")
    async def ready(self, health: NamedDependency[Health]) -> Response[dict[str, Any]]:
        """Fails while starting, while draining on SIGTERM and while a dependency is down."""
        ok, body = await health.readiness()
        return Response(body, status_code=200 if ok else 503)

    @get("/startup", operation_id="healthStartup", sync_to_thread=False)
    def startup(self, health: NamedDependency[Health]) -> Response[dict[str, Any]]:
        """Succeeds once startup (migrations, streams, pools) has finished."""
        return Response({"started": health.started}, status_code=200 if health.started else 503)

    @post("/live/fail", operation_id="healthLiveFail", status_code=202, sync_to_thread=False)
    def fail_liveness(self, health: NamedDependency[Health]) -> dict[str, bool]:
        """Self-healing drill: make liveness fail so the kubelet restarts the pod (off by default)."""
        if not health.switch_enabled:
            raise NotFoundException()
        log.warning("liveness switched off on purpose; expect a restart")
        health.alive = False
        return {"alive": False}
