"""The event envelope of DESIGN §5, its subjects and streams, and JSON Schema contract checks."""

from __future__ import annotations

import json
import os
import uuid
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

import msgspec
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from fitshop_common.logs import correlation_id as current_correlation_id


class Envelope(msgspec.Struct, frozen=True, kw_only=True):
    """What travels on the wire: metadata every consumer reads, plus the event's own `data`."""

    id: str
    type: str
    version: int
    occurred_at: str
    correlation_id: str
    causation_id: str | None = None
    producer: str
    data: dict[str, Any]

    @classmethod
    def new(
        cls,
        type: str,
        data: dict[str, Any],
        *,
        producer: str,
        correlation_id: str,
        causation_id: str | None = None,
        version: int = 1,
        occurred_at: datetime | None = None,
        id: str | None = None,
    ) -> Envelope:
        return cls(
            id=id or str(uuid.uuid4()),
            type=type,
            version=version,
            occurred_at=(occurred_at or datetime.now(UTC)).isoformat().replace("+00:00", "Z"),
            correlation_id=correlation_id,
            causation_id=causation_id or current_correlation_id.get(),
            producer=producer,
            data=data,
        )

    @property
    def context(self) -> str:
        """The producing bounded context (the stream it lives in)."""
        return self.producer

    def subject(self) -> str:
        return subject_for(self.producer, self.type)

    def encode(self) -> bytes:
        return msgspec.json.encode(self)


_decoder = msgspec.json.Decoder(Envelope)


def decode_envelope(payload: bytes) -> Envelope:
    """Raises msgspec.DecodeError / ValidationError for anything that is not an envelope."""
    return _decoder.decode(payload)


def subject_for(context: str, event_type: str) -> str:
    """`fitshop.<context>.<event>`, e.g. `fitshop.orders.order.placed`."""
    return f"fitshop.{context}.{event_type}"


def stream_for(context: str) -> str:
    """One stream per producing context, e.g. `ORDERS` holding `fitshop.orders.>`."""
    return context.upper().replace("-", "_")


DEAD_LETTER_STREAM = "DEADLETTER"
DEAD_LETTER_PREFIX = "fitshop.deadletter"


# --- contracts -------------------------------------------------------------------------------


def contracts_dir() -> Path:
    """`FITSHOP_CONTRACTS_DIR` (images), else `contracts/events/` at the repository root."""
    configured = os.environ.get("FITSHOP_CONTRACTS_DIR")
    if configured:
        return Path(configured)
    here = Path(__file__).resolve()
    for parent in here.parents:
        candidate = parent / "contracts" / "events"
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("contracts/events not found above " + str(here))


@lru_cache
def _registry() -> Registry[Any]:
    """Every schema under contracts/events, addressable by its `$id` (so types can `$ref` the envelope)."""
    resources = []
    for path in sorted(contracts_dir().glob("*.schema.json")):
        schema = json.loads(path.read_text())
        Draft202012Validator.check_schema(schema)
        resources.append((schema["$id"], Resource.from_contents(schema, DRAFT202012)))
    return Registry().with_resources(resources)


@lru_cache
def schema_validator(event_type: str, version: int) -> Draft202012Validator:
    path = contracts_dir() / f"{event_type}.v{version}.schema.json"
    if not path.is_file():
        raise LookupError(f"no contract for {event_type} v{version} (expected {path.name})")
    return Draft202012Validator(json.loads(path.read_text()), registry=_registry())


def contract_errors(event: Envelope | dict[str, Any]) -> list[str]:
    """Every way `event` breaks its published schema (empty when it conforms)."""
    body = msgspec.to_builtins(event) if isinstance(event, Envelope) else event
    validator = schema_validator(str(body.get("type")), int(body.get("version", 0)))
    return [
        f"{'/'.join(str(p) for p in err.absolute_path) or '<root>'}: {err.message}"
        for err in validator.iter_errors(body)
    ]


def assert_conforms(event: Envelope | dict[str, Any]) -> None:
    """For producer and consumer tests: fail with every schema violation listed."""
    errors = contract_errors(event)
    if errors:
        raise AssertionError("event breaks its contract:\n  " + "\n  ".join(errors))


DataT = TypeVar("DataT", bound=msgspec.Struct)


def conforming(event: Envelope, shape: type[DataT]) -> DataT:
    """For consumers: the event's data as `shape`, or `Poison` (dead-lettered at once) when the
    event breaks its published contract or is of a type/version nobody published."""
    from fitshop_common.messaging import Poison  # messaging imports this module

    try:
        errors = contract_errors(event)
    except LookupError as exc:
        raise Poison(str(exc)) from exc
    if errors:
        raise Poison(f"{event.type} v{event.version} breaks its contract: " + "; ".join(errors))
    try:
        return msgspec.convert(event.data, shape)
    except msgspec.ValidationError as exc:
        raise Poison(f"{event.type} data unreadable: {exc}") from exc
