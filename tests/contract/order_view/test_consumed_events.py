"""Consumer side of the event contracts: what order-view reads is what the schemas promise."""

from __future__ import annotations

import json
import uuid

import msgspec
import pytest

from fitshop_common.events import Envelope, assert_conforms, contracts_dir
from order_view.application.projection import (
    DELIVERY_EVENTS,
    FIELDS_READ,
    ORDER_EVENTS,
    delivery_part,
    order_part,
)
from tests.contract.order_view.events import (
    cancelled_story,
    delivered_story,
    delivery,
    order_placed,
)


def _schema(event_type: str) -> dict[str, object]:
    return json.loads((contracts_dir() / f"{event_type}.v1.schema.json").read_text())


@pytest.mark.parametrize("event_type", [*ORDER_EVENTS, *DELIVERY_EVENTS])
def test_every_field_order_view_reads_is_required_by_the_contract(event_type: str) -> None:
    data_schema = _schema(event_type)["properties"]["data"]  # type: ignore[index]
    required = set(data_schema["required"])
    read = {f.name for f in msgspec.structs.fields(FIELDS_READ[event_type])}
    assert read <= required, f"order-view depends on optional or unknown fields: {read - required}"


def test_the_test_events_conform_to_their_schemas() -> None:
    order_id = str(uuid.uuid4())
    for event in [*delivered_story(order_id), *cancelled_story(order_id)]:
        assert_conforms(event)


def test_optional_fields_and_unknown_additions_do_not_disturb_the_projection() -> None:
    order_id = str(uuid.uuid4())
    placed = order_placed(order_id, customer_email="alice@example.com", locale="ko",
                          gift_wrap=True)  # a field added later (additive change, same version)
    started = delivery("started", order_id, version=2, customer_email=None, locale="en")
    assert_conforms(placed)
    assert_conforms(started)
    assert order_part(placed).order_id == order_id
    assert delivery_part(started).version == 2


def test_every_projected_type_has_a_contract() -> None:
    for event_type in [*ORDER_EVENTS, *DELIVERY_EVENTS]:
        assert _schema(event_type)["properties"]["type"] == {"const": event_type}  # type: ignore[index]


def test_an_envelope_round_trips_through_the_wire_format() -> None:
    event = order_placed(str(uuid.uuid4()))
    assert msgspec.json.decode(event.encode(), type=Envelope) == event
