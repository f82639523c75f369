"""The served config: routes, the plugin instances that apply to a request, service addresses."""

from __future__ import annotations

from collections.abc import Mapping

from edge.config import ConfigError, GatewayConfig, Service
from edge.exchange import Exchange
from edge.plugins import PLUGIN_TYPES, Plugin
from edge.router import Router

_Scope = tuple[str | None, str | None, str | None]  # (route id, service id, consumer id)


class Gateway:
    """Everything built once from kong.yml; requests only read it."""

    def __init__(self, config: GatewayConfig, upstreams: Mapping[str, str]) -> None:
        self.config = config
        self.router = Router(config.routes)
        self.instances: dict[str, dict[_Scope, Plugin]] = {}
        for entry in config.plugins:
            if not entry.enabled or not entry.runs_on_http:
                continue
            scope = (
                entry.route.id if entry.route else None,
                entry.service.id if entry.service else None,
                entry.consumer.id if entry.consumer else None,
            )
            plugin = PLUGIN_TYPES[entry.name](entry, config)
            self.instances.setdefault(entry.name, {})[scope] = plugin
        # Kong runs plugins by handler priority, highest first.
        self.plugin_names = sorted(self.instances, key=lambda n: PLUGIN_TYPES[n].priority,
                                   reverse=True)
        self.addresses: dict[str, str] = {}
        for service in config.services:
            self.addresses[service.id] = self._address(service, upstreams)

    @staticmethod
    def _address(service: Service, upstreams: Mapping[str, str]) -> str:
        if service.host not in upstreams:
            raise ConfigError(
                f"service '{service.name}': host '{service.host}' has no local address; add "
                f"'{service.host}=http://127.0.0.1:PORT' to EDGE_UPSTREAMS"
            )
        return upstreams[service.host]

    def resolve(self, name: str, exchange: Exchange) -> Plugin | None:
        """The one instance of `name` for this request, most specific scope first (Kong's order)."""
        instances = self.instances.get(name)
        if not instances:
            return None
        route, service = exchange.route.id, exchange.service.id
        consumer = exchange.consumer.id if exchange.consumer else None
        combos: list[_Scope] = []
        if consumer is not None:
            combos += [(route, service, consumer), (route, None, consumer),
                       (None, service, consumer)]
        combos.append((route, service, None))
        if consumer is not None:
            combos.append((None, None, consumer))
        combos += [(route, None, None), (None, service, None), (None, None, None)]
        for combo in combos:
            plugin = instances.get(combo)
            if plugin is not None:
                return plugin
        return None
