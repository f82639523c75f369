"""Kong 3.9's route matching (traditional_compatible priorities) and the upstream path."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from edge.config import ConfigError, Route

UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_PERCENT = re.compile(r"%([0-9A-Fa-f]{2})")
_SLASHES = re.compile(r"/{2,}")


def normalize_path(raw: str) -> str:
    """Kong's normalisation for routing: decode unreserved %XX, merge slashes, drop dot segments."""

    def decode(match: re.Match[str]) -> str:
        char = chr(int(match.group(1), 16))
        return char if char in UNRESERVED else "%" + match.group(1).upper()

    path = _SLASHES.sub("/", _PERCENT.sub(decode, raw or "/"))
    return remove_dot_segments(path if path.startswith("/") else "/" + path)


def remove_dot_segments(path: str) -> str:
    """RFC 3986 section 5.2.4, so `/api/v1/orders/../../x` is routed (and proxied) as `/api/x`."""
    output: list[str] = []
    segments = path.split("/")
    for index, segment in enumerate(segments[1:], start=1):
        last = index == len(segments) - 1
        if segment == "..":
            if output:
                output.pop()
            if last:
                output.append("")
        elif segment == ".":
            if last:
                output.append("")
        else:
            output.append(segment)
    return "/" + "/".join(output)


@dataclass(frozen=True)
class Match:
    route: Route
    postfix: str
    """What follows the matched path (Kong's request_postfix), used when strip_path is on."""


@dataclass(frozen=True)
class _Matcher:
    route: Route
    path: str | None
    pattern: re.Pattern[str] | None
    priority: int

    def matches(self, method: str, path: str) -> Match | None:
        if self.route.methods and method not in self.route.methods:
            return None
        if self.path is None:
            return Match(self.route, path)
        if self.pattern is not None:
            found = self.pattern.match(path)
            return Match(self.route, path[found.end():]) if found else None
        if path.startswith(self.path):
            return Match(self.route, path[len(self.path):])
        return None


def route_priority(route: Route, path: str | None) -> int:
    """The 64-bit priority Kong 3.9 gives one (route, path) pair; the highest matching one wins.

    Layout (kong/router/transform.lua, get_priority): number of matched fields (methods, paths)
    in bits 61-63, a regex path flag in bit 51, regex_priority in bits 19-50 (regex paths only),
    and the prefix length in bits 0-18. So a route with methods beats one without, whatever the
    path length; regex beats prefix at equal field count; then longer prefixes win.
    """
    weight = (1 if route.methods else 0) + (1 if path is not None else 0)
    regex = path is not None and path.startswith("~")
    length = 0 if path is None or regex else len(path)
    priority = weight << 61
    if regex:
        priority |= (1 << 51) | (route.regex_priority << 19)
    return priority | (length & 0x7FFFF)


class Router:
    """Picks the route of a request the way Kong's router does for the fields the edge supports."""

    def __init__(self, routes: Iterable[Route]) -> None:
        matchers: list[_Matcher] = []
        for route in routes:
            for path in route.paths or (None,):
                pattern = re.compile("^" + path[1:]) if path and path.startswith("~") else None
                matchers.append(_Matcher(route, path, pattern, route_priority(route, path)))
        # Kong's ATC router keeps matchers ordered by (priority, route id), highest first.
        matchers.sort(key=lambda m: (m.priority, m.route.id), reverse=True)
        _refuse_ambiguous(matchers)
        self._matchers = tuple(matchers)

    def match(self, method: str, path: str) -> Match | None:
        for matcher in self._matchers:
            found = matcher.matches(method, path)
            if found:
                return found
        return None


def _refuse_ambiguous(matchers: list[_Matcher]) -> None:
    """Kong settles equal priorities by route id; the edge insists the file never needs that."""
    for index, first in enumerate(matchers):
        for second in matchers[index + 1:]:
            if second.priority != first.priority:
                break
            if first.route is second.route:
                continue
            methods_overlap = (
                not first.route.methods
                or not second.route.methods
                or set(first.route.methods) & set(second.route.methods)
            )
            same_target = first.pattern is not None or first.path == second.path
            if methods_overlap and same_target:
                raise ConfigError(
                    f"routes '{first.route.name}' and '{second.route.name}' tie on priority for "
                    f"path {first.path!r}/{second.path!r}: Kong would pick by route id; give them "
                    "distinct methods, paths or regex_priority"
                )


def upstream_path(match: Match, request_path: str) -> str:
    """Kong's path_handling v0: the path sent upstream from the service path and strip_path."""
    base = match.route.service.path or "/"
    postfix = match.postfix
    if base.endswith("/"):
        if not match.route.strip_path:
            return base + request_path[1:]
        if postfix == "":
            if base == "/":
                return "/"
            return base if request_path.endswith("/") else base[:-1]
        if postfix.startswith("/"):
            return base[:-1] + postfix
        return base + postfix
    if not match.route.strip_path:
        return base if request_path == "/" else base + request_path
    if postfix == "":
        return base + "/" if len(request_path) > 1 and request_path.endswith("/") else base
    if postfix.startswith("/"):
        return base + postfix
    return base + "/" + postfix
