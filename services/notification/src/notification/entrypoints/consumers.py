"""Event handlers: OrderPlaced, OrderCancelled and Delivery* become notification commands.

DeliveryRequested is not notified: it happens together with OrderPlaced, whose purchase
receipt already tells the customer the order is in; the first delivery update is "started".
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

import msgspec

from fitshop_common.events import Envelope, conforming
from fitshop_common.messaging import Handler, Poison
from notification.application.service import NotificationService
from notification.domain.commands import (
    DeliveryStatus,
    Item,
    Locale,
    Notify,
    Recipient,
    SendCancellationNotice,
    SendDeliveryUpdate,
    SendPurchaseReceipt,
)

ORDER_EVENTS = ("order.placed", "order.cancelled")
DELIVERY_EVENTS = ("delivery.started", "delivery.status_changed", "delivery.cancelled")


class _Money(msgspec.Struct):
    amount: int


class _Line(msgspec.Struct):
    name: str
    unit_price: _Money
    quantity: int


class _Refund(msgspec.Struct):
    amount: _Money


class _About(msgspec.Struct, kw_only=True):
    order_id: UUID
    customer_id: str
    customer_email: str | None = None
    locale: Literal["ko", "en"] = "ko"


class OrderPlacedData(_About, kw_only=True):
    lines: list[_Line]
    total: _Money


class OrderCancelledData(_About, kw_only=True):
    lines: list[_Line]
    refund: _Refund


class DeliveryChangedData(_About, kw_only=True):
    status: DeliveryStatus
    previous_status: DeliveryStatus | None = None


def _recipient(data: _About) -> Recipient:
    return Recipient(data.customer_id, data.customer_email, Locale(data.locale))


def _items(lines: list[_Line]) -> tuple[Item, ...]:
    return tuple(Item(x.name, x.quantity, x.unit_price.amount) for x in lines)


def command_for(event: Envelope) -> Notify:
    """Which notification an event asks for (raises Poison for a broken event)."""
    if event.type == "order.placed":
        placed = conforming(event, OrderPlacedData)
        return SendPurchaseReceipt(placed.order_id, _recipient(placed), _items(placed.lines),
                                   placed.total.amount)
    if event.type == "order.cancelled":
        cancelled = conforming(event, OrderCancelledData)
        return SendCancellationNotice(cancelled.order_id, _recipient(cancelled),
                                      _items(cancelled.lines), cancelled.refund.amount.amount)
    if event.type in DELIVERY_EVENTS:
        changed = conforming(event, DeliveryChangedData)
        return SendDeliveryUpdate(changed.order_id, _recipient(changed), changed.status,
                                  changed.previous_status)
    raise Poison(f"{event.type} is not an event this service notifies about")


def notification_handlers(service: NotificationService,
                          types: tuple[str, ...]) -> dict[str, Handler]:
    async def handle(event: Envelope) -> None:
        await service.notify(command_for(event), event_id=event.id,
                             occurred_at=datetime.fromisoformat(event.occurred_at))

    return dict.fromkeys(types, handle)
