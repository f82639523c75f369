"""Reads kong.yml into a typed model; refuses, by name, anything the edge does not implement."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from edge import specs

ID_NAMESPACE = uuid.UUID("6f1c2a3e-44f5-5b6c-9d7e-8f9a0b1c2d3e")
"""Namespace of the ids the edge derives for entities that kong.yml leaves without one."""


class ConfigError(Exception):
    """kong.yml holds something the dev edge does not implement (or that Kong itself rejects)."""


@dataclass(frozen=True)
class Service:
    id: str
    name: str
    host: str
    port: int
    path: str | None = None
    connect_timeout: int = 60_000
    read_timeout: int = 60_000
    write_timeout: int = 60_000
    retries: int = 5


@dataclass(frozen=True)
class Route:
    id: str
    name: str
    service: Service
    paths: tuple[str, ...] = ()
    methods: tuple[str, ...] = ()
    strip_path: bool = True
    preserve_host: bool = False
    regex_priority: int = 0


@dataclass(frozen=True)
class Consumer:
    id: str
    username: str | None = None
    custom_id: str | None = None


@dataclass(frozen=True)
class JwtCredential:
    id: str
    key: str
    algorithm: str
    public_key: RSAPublicKey = field(repr=False)
    consumer: Consumer


@dataclass(frozen=True)
class PluginEntry:
    """One plugin instance of kong.yml with its scope (None = any)."""

    id: str
    name: str
    config: Mapping[str, Any]
    where: str
    route: Route | None = None
    service: Service | None = None
    consumer: Consumer | None = None
    enabled: bool = True
    runs_on_http: bool = True


@dataclass(frozen=True)
class GatewayConfig:
    services: tuple[Service, ...]
    routes: tuple[Route, ...]
    consumers: tuple[Consumer, ...]
    jwt_credentials: Mapping[str, JwtCredential]
    plugins: tuple[PluginEntry, ...]
    source: str = ""


def load_config(path: str | Path) -> GatewayConfig:
    """Load and check kong.yml; raises ConfigError naming the first thing the edge cannot serve."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"cannot read the gateway config {path}: {error}") from error
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ConfigError(f"{path} is not valid YAML: {error}") from error
    return parse_config(document, source=str(path))


def parse_config(document: Any, *, source: str = "<config>") -> GatewayConfig:
    """Build the model from a loaded kong.yml document."""
    return _Parser(source).parse(document)


def derived_id(kind: str, name: str) -> str:
    return str(uuid.uuid5(ID_NAMESPACE, f"{kind}:{name}"))


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.services: dict[str, Service] = {}
        self.routes: dict[str, Route] = {}
        self.consumers: dict[str, Consumer] = {}
        self.credentials: dict[str, JwtCredential] = {}
        self.plugins: list[PluginEntry] = []
        self.pending_plugins: list[tuple[dict[str, Any], str, dict[str, Any]]] = []
        self.by_ref: dict[str, dict[str, Any]] = {"service": {}, "route": {}, "consumer": {}}

    def fail(self, where: str, problem: str) -> ConfigError:
        return ConfigError(f"{self.source}: {where}: {problem}")

    def fields(self, entity: Any, spec: Mapping[str, specs.Check | None], where: str) -> None:
        if not isinstance(entity, dict):
            raise self.fail(where, "must be a mapping")
        for key, value in entity.items():
            if key not in spec:
                known = ", ".join(sorted(spec))
                raise self.fail(
                    f"{where}.{key}",
                    f"field '{key}' is not implemented by the dev edge (implemented: {known})",
                )
            check = spec[key]
            if check is not None:
                problem = check(value)
                if problem:
                    raise self.fail(f"{where}.{key}", problem)

    def items(self, value: Any, where: str) -> list[Any]:
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.fail(where, "must be a list")
        return value

    def parse(self, document: Any) -> GatewayConfig:
        if not isinstance(document, dict):
            raise self.fail("top level", "must be a mapping")
        self.fields(document, specs.TOP_LEVEL, "top level")
        if "_format_version" not in document:
            raise self.fail("top level", "_format_version is required (\"3.0\")")
        for index, raw in enumerate(self.items(document.get("services"), "services")):
            self.service(raw, f"services[{index}]")
        for index, raw in enumerate(self.items(document.get("routes"), "routes")):
            where = f"routes[{index}]"
            ref = raw.get("service") if isinstance(raw, dict) else None
            if ref is None:
                raise self.fail(where, "a top-level route needs 'service' (name or id)")
            self.route(raw, where, self.lookup("service", ref, where))
        for index, raw in enumerate(self.items(document.get("consumers"), "consumers")):
            self.consumer(raw, f"consumers[{index}]")
        for index, raw in enumerate(self.items(document.get("plugins"), "plugins")):
            self.pending_plugins.append((raw, f"plugins[{index}]", {}))
        for raw, where, scope in self.pending_plugins:
            self.plugin(raw, where, scope)
        self.check_unique_plugins()
        return GatewayConfig(
            services=tuple(self.services.values()),
            routes=tuple(self.routes.values()),
            consumers=tuple(self.consumers.values()),
            jwt_credentials=dict(self.credentials),
            plugins=tuple(self.plugins),
            source=self.source,
        )

    def register(
        self, kind: str, entity: Any, name: str | None, entity_id: str, where: str
    ) -> None:
        refs = self.by_ref[kind]
        for ref in {name, entity_id} - {None}:
            if ref in refs:
                raise self.fail(where, f"{kind} '{ref}' is defined twice")
            refs[str(ref)] = entity

    def lookup(self, kind: str, ref: Any, where: str) -> Any:
        if not isinstance(ref, str) or ref not in self.by_ref[kind]:
            raise self.fail(where, f"refers to {kind} {ref!r}, which kong.yml does not define")
        return self.by_ref[kind][ref]

    @staticmethod
    def named(where: str, raw: Any, *keys: str) -> str:
        """`services[2] (orders)`: the position, and the entity's name when it has one."""
        if isinstance(raw, dict):
            for key in keys:
                if isinstance(raw.get(key), str):
                    return f"{where} ({raw[key]})"
        return where

    def service(self, raw: Any, where: str) -> None:
        where = self.named(where, raw, "name")
        self.fields(raw, specs.SERVICE, where)
        name = raw.get("name")
        if "url" in raw:
            if any(k in raw for k in ("protocol", "host", "port", "path")):
                raise self.fail(where, "give either 'url' or protocol/host/port/path, not both")
            url = urlsplit(raw["url"])
            host, port, path = url.hostname or "", url.port or 80, url.path or None
        else:
            if "host" not in raw:
                raise self.fail(where, "a service needs 'url' or 'host'")
            host, port, path = raw["host"], raw.get("port", 80), raw.get("path")
        service_id = raw.get("id") or derived_id("service", name or f"{host}:{port}")
        service = Service(
            id=service_id,
            name=name or service_id,
            host=host,
            port=port,
            path=path,
            connect_timeout=raw.get("connect_timeout", 60_000),
            read_timeout=raw.get("read_timeout", 60_000),
            write_timeout=raw.get("write_timeout", 60_000),
            retries=raw.get("retries", 5),
        )
        self.register("service", service, name, service_id, where)
        self.services[service_id] = service
        for index, route in enumerate(self.items(raw.get("routes"), f"{where}.routes")):
            route_where = f"{where}.routes[{index}]"
            if isinstance(route, dict) and "service" in route:
                raise self.fail(route_where, "a nested route takes its service from its parent")
            self.route(route, route_where, service)
        for index, plugin in enumerate(self.items(raw.get("plugins"), f"{where}.plugins")):
            self.pending_plugins.append((plugin, f"{where}.plugins[{index}]", {"service": service}))

    def route(self, raw: Any, where: str, service: Service) -> None:
        where = self.named(where, raw, "name")
        self.fields(raw, specs.ROUTE, where)
        name = raw.get("name")
        paths = tuple(raw.get("paths", ()))
        methods = tuple(raw.get("methods", ()))
        if not paths and not methods:
            raise self.fail(where, "a route needs 'paths' or 'methods' (hosts/headers/snis "
                            "are not implemented by the dev edge)")
        route_id = raw.get("id") or derived_id("route", name or f"{service.name}:{paths}:{methods}")
        route = Route(
            id=route_id,
            name=name or route_id,
            service=service,
            paths=paths,
            methods=methods,
            strip_path=raw.get("strip_path", True),
            preserve_host=raw.get("preserve_host", False),
            regex_priority=raw.get("regex_priority", 0),
        )
        self.register("route", route, name, route_id, where)
        self.routes[route_id] = route
        for index, plugin in enumerate(self.items(raw.get("plugins"), f"{where}.plugins")):
            self.pending_plugins.append((plugin, f"{where}.plugins[{index}]", {"route": route}))

    def consumer(self, raw: Any, where: str) -> None:
        where = self.named(where, raw, "username", "custom_id")
        self.fields(raw, specs.CONSUMER, where)
        username, custom_id = raw.get("username"), raw.get("custom_id")
        if username is None and custom_id is None:
            raise self.fail(where, "a consumer needs 'username' or 'custom_id'")
        consumer_id = raw.get("id") or derived_id("consumer", username or f"custom:{custom_id}")
        consumer = Consumer(id=consumer_id, username=username, custom_id=custom_id)
        self.register("consumer", consumer, username, consumer_id, where)
        self.consumers[consumer_id] = consumer
        for index, secret in enumerate(self.items(raw.get("jwt_secrets"), f"{where}.jwt_secrets")):
            self.jwt_secret(secret, f"{where}.jwt_secrets[{index}]", consumer)
        for index, plugin in enumerate(self.items(raw.get("plugins"), f"{where}.plugins")):
            self.pending_plugins.append(
                (plugin, f"{where}.plugins[{index}]", {"consumer": consumer})
            )

    def jwt_secret(self, raw: Any, where: str, consumer: Consumer) -> None:
        where = self.named(where, raw, "key")
        self.fields(raw, specs.JWT_SECRET, where)
        for required in ("key", "algorithm", "rsa_public_key"):
            if required not in raw:
                raise self.fail(where, f"'{required}' is required by the dev edge")
        key = raw["key"]
        if key in self.credentials:
            raise self.fail(where, f"jwt_secrets key '{key}' is defined twice (Kong: unique)")
        try:
            public_key = load_pem_public_key(raw["rsa_public_key"].encode())
        except ValueError as error:
            problem = f"is not a PEM public key: {error}"
            raise self.fail(f"{where}.rsa_public_key", problem) from error
        if not isinstance(public_key, RSAPublicKey):
            raise self.fail(f"{where}.rsa_public_key", "must be an RSA public key for RS256")
        self.credentials[key] = JwtCredential(
            id=raw.get("id") or derived_id("jwt_secret", key),
            key=key,
            algorithm=raw["algorithm"],
            public_key=public_key,
            consumer=consumer,
        )

    def plugin(self, raw: Any, where: str, scope: dict[str, Any]) -> None:
        where = self.named(where, raw, "name")
        self.fields(raw, specs.PLUGIN, where)
        name = raw.get("name")
        if name is None:
            raise self.fail(where, "a plugin needs 'name'")
        if name not in specs.PLUGIN_CONFIG:
            implemented = ", ".join(sorted(specs.PLUGIN_CONFIG))
            raise self.fail(where, f"plugin '{name}' is not implemented by the dev edge "
                            f"(implemented: {implemented})")
        for kind in ("service", "route", "consumer"):
            if kind in raw:
                if kind in scope:
                    raise self.fail(where, f"a nested plugin takes its {kind} from its parent")
                scope = {**scope, kind: self.lookup(kind, raw[kind], f"{where}.{kind}")}
        if "consumer" in scope and name in specs.NO_CONSUMER_SCOPE:
            raise self.fail(where, f"Kong does not allow plugin '{name}' on a consumer")
        config = raw.get("config", {})
        self.fields(config, specs.PLUGIN_CONFIG[name], f"{where}.config")
        self.check_plugin_rules(name, config, f"{where}.config")
        plugin_id = raw.get("id") or derived_id(
            "plugin", f"{name}:{[getattr(scope.get(k), 'id', None) for k in sorted(scope)]}"
        )
        self.plugins.append(
            PluginEntry(
                id=plugin_id,
                name=name,
                config=config,
                where=where,
                route=scope.get("route"),
                service=scope.get("service"),
                consumer=scope.get("consumer"),
                enabled=raw.get("enabled", True),
                runs_on_http="http" in raw.get("protocols", ["http"]),
            )
        )

    def check_plugin_rules(self, name: str, config: Mapping[str, Any], where: str) -> None:
        """The cross-field checks of Kong 3.9's plugin schemas for the settings the edge allows."""
        if name == "rate-limiting":
            periods = ("second", "minute", "hour", "day", "month", "year")
            limits = [(p, config[p]) for p in periods if p in config]
            if not limits:
                raise self.fail(where, "set at least one of " + ", ".join(periods))
            for (lower, low), (upper, high) in itertools.pairwise(limits):
                if high < low:
                    raise self.fail(where, f"the limit for {upper} cannot be lower "
                                    f"than the limit for {lower}")
            limit_by = config.get("limit_by", "consumer")
            if limit_by == "header" and "header_name" not in config:
                raise self.fail(where, "limit_by 'header' needs header_name")
            if limit_by == "path" and "path" not in config:
                raise self.fail(where, "limit_by 'path' needs path")
        if (name == "jwt" and config.get("maximum_expiration", 0) > 0
                and "exp" not in config.get("claims_to_verify", [])):
            raise self.fail(where, "maximum_expiration needs 'exp' in claims_to_verify")

    def check_unique_plugins(self) -> None:
        seen: dict[tuple[str, str | None, str | None, str | None], str] = {}
        for entry in self.plugins:
            key = (
                entry.name,
                entry.route.id if entry.route else None,
                entry.service.id if entry.service else None,
                entry.consumer.id if entry.consumer else None,
            )
            if key in seen:
                raise self.fail(entry.where, f"same plugin and scope as {seen[key]} (Kong: unique)")
            seen[key] = entry.where
