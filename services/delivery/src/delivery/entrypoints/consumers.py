"""Order event handlers: async functions turning OrderPlaced / OrderCancelled into commands."""

from __future__ import annotations

import logging
from typing import Literal
from uuid import UUID

import msgspec

from delivery.application.service import DeliveryService
from delivery.domain.commands import CancelDelivery, RequestDelivery
from delivery.domain.values import Customer, Line, Locale, Money, ShippingAddress
from fitshop_common.events import Envelope, conforming
from fitshop_common.messaging import Handler

log = logging.getLogger(__name__)


class _Money(msgspec.Struct):
    amount: int
    currency: Literal["KRW"]


class _Line(msgspec.Struct):
    product_id: UUID
    name: str
    unit_price: _Money
    quantity: int


class _Address(msgspec.Struct):
    recipient: str
    line1: str
    city: str
    postal_code: str
    phone: str


class OrderPlacedData(msgspec.Struct):
    """The part of contracts/events/order.placed.v1 this service reads."""

    order_id: UUID
    customer_id: str
    lines: list[_Line]
    shipping_address: _Address
    customer_email: str | None = None
    locale: Literal["ko", "en"] = "ko"


class OrderCancelledData(msgspec.Struct):
    """The part of contracts/events/order.cancelled.v1 this service reads."""

    order_id: UUID
    customer_id: str
    reason: str = "cancelled by the customer"


def order_event_handlers(service: DeliveryService) -> dict[str, Handler]:
    async def handle_order_placed(event: Envelope) -> None:
        data = conforming(event, OrderPlacedData)
        await service.request_delivery(RequestDelivery(
            order_id=data.order_id,
            customer=Customer(data.customer_id, data.customer_email, Locale(data.locale)),
            lines=tuple(Line(x.product_id, x.name, Money(x.unit_price.amount,
                                                         x.unit_price.currency), x.quantity)
                        for x in data.lines),
            shipping_address=ShippingAddress(
                data.shipping_address.recipient, data.shipping_address.line1,
                data.shipping_address.city, data.shipping_address.postal_code,
                data.shipping_address.phone),
        ), event_id=event.id)

    async def handle_order_cancelled(event: Envelope) -> None:
        data = conforming(event, OrderCancelledData)
        await service.cancel_delivery(CancelDelivery(
            order_id=data.order_id, customer_id=data.customer_id, reason=data.reason,
        ), event_id=event.id)

    return {"order.placed": handle_order_placed, "order.cancelled": handle_order_cancelled}
