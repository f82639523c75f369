"""The delivery application service: one method per command, each in one unit of work."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from delivery.application.ports import (
    CancelledOrder,
    DeliveryQueue,
    QueuePage,
    UnitOfWork,
)
from delivery.domain.commands import (
    CancelDelivery,
    ChangeDeliveryStatus,
    RequestDelivery,
    StartDelivery,
)
from delivery.domain.delivery import Changed, Delivery, Refused, Unchanged
from delivery.domain.events import (
    DeliveryCancelled,
    DeliveryEvent,
    DeliveryRequested,
    DeliveryStarted,
    DeliveryStatusChanged,
)
from delivery.domain.values import DeliveryStatus
from fitshop_common.events import Envelope

log = logging.getLogger(__name__)

PRODUCER = "delivery"
ORDERS_CONSUMER = "delivery-orders"
"""Inbox name of the order event consumer (the same as its durable)."""

_EVENT_TYPES: dict[type[DeliveryEvent], str] = {
    DeliveryRequested: "delivery.requested",
    DeliveryStarted: "delivery.started",
    DeliveryStatusChanged: "delivery.status_changed",
    DeliveryCancelled: "delivery.cancelled",
}


@dataclass(frozen=True)
class Missing:
    """No delivery has that id."""


@dataclass(frozen=True)
class Ignored:
    """The event changed nothing; `reason` says why (already seen, already there, tombstoned)."""

    reason: str


Result = Delivery | Refused | Missing
"""What a seller's command answers: the delivery as it is now, a refusal, or not found."""


def utc_now() -> datetime:
    return datetime.now(UTC)


class DeliveryService:
    def __init__(self, uow: Callable[[], UnitOfWork], queue: DeliveryQueue,
                 clock: Callable[[], datetime] = utc_now) -> None:
        self._uow = uow
        self._queue = queue
        self._now = clock

    # --- from order events -----------------------------------------------------------------

    async def request_delivery(self, cmd: RequestDelivery, *, event_id: str) -> Delivery | Ignored:
        async with self._uow() as uow:
            if not await uow.claim(ORDERS_CONSUMER, event_id):
                return Ignored("event already processed")
            await uow.lock_order(cmd.order_id)
            if await uow.deliveries.get_by_order(cmd.order_id) is not None:
                await uow.commit()  # keeps the inbox row: this event id is done too
                return Ignored("the order already has a delivery")
            if await uow.cancelled_orders.get(cmd.order_id) is not None:
                await uow.cancelled_orders.note_late_placement(cmd.order_id, self._now())
                await uow.commit()
                log.warning("order.placed arrived after order.cancelled; no delivery created",
                            extra={"order_id": str(cmd.order_id), "event_id": event_id})
                return Ignored("the order was cancelled before it was placed here")
            delivery = Delivery.request(
                delivery_id=uuid.uuid4(), order_id=cmd.order_id, customer=cmd.customer,
                lines=cmd.lines, shipping_address=cmd.shipping_address, at=self._now())
            await uow.deliveries.add(delivery)
            self._publish(uow, delivery, causation_id=event_id)
            await uow.commit()
            return delivery

    async def cancel_delivery(self, cmd: CancelDelivery, *, event_id: str) -> Delivery | Ignored:
        async with self._uow() as uow:
            if not await uow.claim(ORDERS_CONSUMER, event_id):
                return Ignored("event already processed")
            await uow.lock_order(cmd.order_id)
            delivery = await uow.deliveries.get_by_order(cmd.order_id, for_update=True)
            now = self._now()
            if delivery is None:
                # Out of order: remember the cancellation so a late OrderPlaced creates nothing.
                await uow.cancelled_orders.add(CancelledOrder(
                    order_id=cmd.order_id, customer_id=cmd.customer_id, reason=cmd.reason,
                    cancelled_at=now))
                await uow.commit()
                return Ignored("no delivery yet; the cancellation is remembered")
            outcome = delivery.cancel(cmd.reason, now)
            if isinstance(outcome, Unchanged):
                await uow.commit()
                return Ignored(outcome.reason)
            await uow.deliveries.save(delivery)
            self._publish(uow, delivery, causation_id=event_id)
            await uow.commit()
            if isinstance(outcome, Refused):
                log.warning("order.cancelled after delivery; the delivery stays DELIVERED",
                            extra={"order_id": str(cmd.order_id),
                                   "delivery_id": str(delivery.id), "reason": outcome.reason})
            return delivery

    # --- from the seller -------------------------------------------------------------------

    async def start_delivery(self, cmd: StartDelivery) -> Result:
        async with self._uow() as uow:
            delivery = await uow.deliveries.get(cmd.delivery_id, for_update=True)
            if delivery is None:
                return Missing()
            outcome = delivery.start(self._now())
            return await self._settle(uow, delivery, outcome)

    async def change_status(self, cmd: ChangeDeliveryStatus) -> Result:
        async with self._uow() as uow:
            delivery = await uow.deliveries.get(cmd.delivery_id, for_update=True)
            if delivery is None:
                return Missing()
            outcome = delivery.advance(cmd.status, self._now())
            return await self._settle(uow, delivery, outcome)

    async def _settle(self, uow: UnitOfWork, delivery: Delivery,
                      outcome: Changed | Refused | Unchanged) -> Result:
        if isinstance(outcome, Refused):
            return outcome
        await uow.deliveries.save(delivery)
        self._publish(uow, delivery, causation_id=None)
        await uow.commit()
        return delivery

    # --- reads -----------------------------------------------------------------------------

    async def get(self, delivery_id: UUID) -> Delivery | Missing:
        async with self._uow() as uow:
            delivery = await uow.deliveries.get(delivery_id)
        return delivery if delivery is not None else Missing()

    async def queue(self, status: DeliveryStatus | None, limit: int,
                    cursor: str | None) -> QueuePage:
        """Raises InvalidCursor for a cursor this service did not hand out."""
        return await self._queue.page(status, limit, cursor)

    # --- events ----------------------------------------------------------------------------

    def _publish(self, uow: UnitOfWork, delivery: Delivery, *, causation_id: str | None) -> None:
        envelopes = [envelope_for(e, causation_id=causation_id) for e in delivery.events
                     if type(e) in _EVENT_TYPES]
        delivery.events.clear()
        uow.publish(*envelopes)


def envelope_for(event: DeliveryEvent, *, causation_id: str | None = None) -> Envelope:
    """The published form of a domain event (contracts/events/delivery.*.v1)."""
    data: dict[str, Any] = {
        "delivery_id": str(event.delivery_id),
        "order_id": str(event.order_id),
        "customer_id": event.customer.customer_id,
        "customer_email": event.customer.email,
        "locale": str(event.customer.locale),
        "status": str(event.status),
        "version": event.version,
        "changed_at": rfc3339(event.at),
    }
    if isinstance(event, DeliveryStarted | DeliveryStatusChanged | DeliveryCancelled):
        data["previous_status"] = str(event.previous_status)
    if isinstance(event, DeliveryCancelled):
        data["reason"] = event.reason
    return Envelope.new(_EVENT_TYPES[type(event)], data, producer=PRODUCER,
                        correlation_id=str(event.order_id), causation_id=causation_id,
                        occurred_at=event.at)


def rfc3339(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


__all__ = ["DeliveryService", "Ignored", "Missing", "Result"]
