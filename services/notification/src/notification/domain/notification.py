"""A Notification: one message to one customer about one event, in one kind."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from notification.domain.commands import (
    Notify,
    SendCancellationNotice,
    SendPurchaseReceipt,
)
from notification.domain.templates import compose

# Fixed, so the same (event, customer, kind) always names the same notification.
_ID_SPACE = uuid.UUID("5d0c7f3a-8f8e-4f0e-9b1e-6e6f74696679")


class NotificationKind(StrEnum):
    PURCHASE_RECEIPT = "PURCHASE_RECEIPT"
    CANCELLATION = "CANCELLATION"
    DELIVERY_UPDATE = "DELIVERY_UPDATE"


class Channel(StrEnum):
    IN_APP = "IN_APP"
    EMAIL = "EMAIL"


def kind_of(cmd: Notify) -> NotificationKind:
    if isinstance(cmd, SendPurchaseReceipt):
        return NotificationKind.PURCHASE_RECEIPT
    if isinstance(cmd, SendCancellationNotice):
        return NotificationKind.CANCELLATION
    return NotificationKind.DELIVERY_UPDATE


def notification_id(event_id: str, customer_id: str, kind: NotificationKind) -> UUID:
    """Exactly one notification per (event, customer, kind): the id is derived from them."""
    return uuid.uuid5(_ID_SPACE, f"{event_id}|{customer_id}|{kind}")


@dataclass(frozen=True)
class Notification:
    id: UUID
    customer_id: str
    order_id: UUID
    kind: NotificationKind
    title: str
    body: str
    created_at: datetime
    email: str | None
    """Where the e-mail copy goes; None sends none (the in-app inbox always gets it)."""
    channel: Channel = Channel.IN_APP

    @classmethod
    def compose(cls, cmd: Notify, *, event_id: str, at: datetime) -> Notification:
        kind = kind_of(cmd)
        message = compose(cmd, cmd.recipient.locale)
        return cls(
            id=notification_id(event_id, cmd.recipient.customer_id, kind),
            customer_id=cmd.recipient.customer_id,
            order_id=cmd.order_id,
            kind=kind,
            title=message.title,
            body=message.body,
            created_at=at,
            email=cmd.recipient.email,
        )
