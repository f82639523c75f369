"""The one Litestar app factory every service uses: health, errors, auth, metrics, logs, shutdown."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from litestar import Litestar
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins import PluginProtocol
from litestar.plugins.prometheus import PrometheusConfig, PrometheusController
from litestar.types import ControllerRouterHandler

from fitshop_common.errors import EXCEPTION_HANDLERS
from fitshop_common.health import Health, HealthController
from fitshop_common.logs import configure_logging
from fitshop_common.middleware import correlation_middleware
from fitshop_common.openapi import StrictStructSchemaPlugin
from fitshop_common.security import TokenVerifier, provide_principal
from fitshop_common.settings import JwtSettings, ServiceSettings
from fitshop_common.workers import Workers

log = logging.getLogger(__name__)

class MetricsController(PrometheusController):
    """Prometheus text format on /metrics; for scrapers, not part of the public API."""

    include_in_schema = False


Lifespan = Callable[[Litestar], AbstractAsyncContextManager[None]]


def create_service_app(
    *,
    settings: ServiceSettings,
    route_handlers: Sequence[ControllerRouterHandler],
    lifespan: Lifespan | None = None,
    jwt: JwtSettings | None = None,
    token_verifier: TokenVerifier | None = None,
    version: str = "1.0.0",
    description: str = "",
    dependencies: dict[str, Provide] | None = None,
    plugins: Sequence[PluginProtocol] = (),
) -> Litestar:
    """Build a service's app.

    `lifespan(app)` opens the service's resources and may register health checks
    (`app.state.health.add_check`) and background loops (`app.state.workers.spawn`). When it
    has entered, the service counts as started; on shutdown the service goes not-ready, the
    loops drain within `settings.shutdown_grace_seconds`, then `lifespan` closes resources.
    Pass `jwt` (or a ready `token_verifier`, as tests do) when any route needs a bearer token.
    `plugins` are Litestar plugins of the service (e.g. an OpenAPI schema plugin).
    """
    configure_logging(settings.service_name, settings.log_level)
    health = Health()
    health.switch_enabled = settings.liveness_switch
    metrics = PrometheusConfig(
        app_name=settings.service_name.replace("-", "_"),
        group_path=True,
        exclude=["/health", "/metrics"],
    )

    @asynccontextmanager
    async def run(app: Litestar) -> AsyncIterator[None]:
        app.state.workers = Workers()
        verifier = token_verifier or (TokenVerifier(jwt) if jwt else None)
        app.state.token_verifier = verifier
        try:
            if lifespan is None:
                health.started = True
                yield
            else:
                async with lifespan(app):
                    settle_heap()
                    health.started = True
                    log.info("started")
                    try:
                        yield
                    finally:
                        # granian has stopped accepting and finished in-flight requests by now;
                        # other probes must see us not-ready while the loops drain.
                        health.draining = True
                        await app.state.workers.shutdown(settings.shutdown_grace_seconds)
        finally:
            if verifier is not None and token_verifier is None:
                await verifier.aclose()
            log.info("stopped")

    return Litestar(
        route_handlers=[HealthController, MetricsController, *route_handlers],
        lifespan=[run],
        state=State({"health": health}),
        dependencies={
            "health": Provide(lambda: health, sync_to_thread=False),
            "principal": Provide(provide_principal),
            **(dependencies or {}),
        },
        exception_handlers=EXCEPTION_HANDLERS,
        middleware=[correlation_middleware, metrics.middleware],
        request_max_body_size=settings.max_body_bytes,
        plugins=[StrictStructSchemaPlugin(), *plugins],
        logging_config=None,  # ours (JSON, see configure_logging) stays in charge
        openapi_config=OpenAPIConfig(
            title=f"fitshop {settings.service_name}",
            version=version,
            description=description,
            components=Components(
                security_schemes={
                    "bearer": SecurityScheme(type="http", scheme="bearer", bearer_format="JWT")
                }
            ),
        ),
    )


def settle_heap() -> None:
    """After startup: move every object built so far (modules, the app, pools) out of the
    collector's sight, and collect the young generation less often. A request allocates
    thousands of short-lived objects; with the default thresholds the collector runs every few
    requests and now and then walks the whole heap, a pause every in-flight request waits out.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_YOUNG_THRESHOLD, 20, 20)


GC_YOUNG_THRESHOLD = 20_000

__all__ = ["Lifespan", "create_service_app", "settle_heap"]
