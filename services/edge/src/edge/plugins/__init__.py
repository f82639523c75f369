"""The plugins the dev edge implements, by Kong name."""

from __future__ import annotations

from edge.plugins.base import Plugin
from edge.plugins.correlation_id import CorrelationIdPlugin
from edge.plugins.cors import CorsPlugin
from edge.plugins.jwt import JwtPlugin
from edge.plugins.prometheus import PrometheusPlugin
from edge.plugins.rate_limiting import RateLimitingPlugin
from edge.plugins.request_size_limiting import RequestSizeLimitingPlugin

PLUGIN_TYPES: dict[str, type[Plugin]] = {
    plugin.name: plugin
    for plugin in (
        CorrelationIdPlugin,
        CorsPlugin,
        JwtPlugin,
        RequestSizeLimitingPlugin,
        RateLimitingPlugin,
        PrometheusPlugin,
    )
}

__all__ = ["PLUGIN_TYPES", "Plugin"]
