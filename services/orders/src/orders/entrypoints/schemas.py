"""Request and response shapes of the orders API (msgspec), shared by the REST and gRPC adapters."""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

import msgspec
from msgspec import Meta

from fitshop_common.errors import FieldError, ValidationFailed
from fitshop_common.openapi import VISIBLE
from fitshop_common.security import Principal
from orders.domain.commands import PlaceOrder, RequestedLine
from orders.domain.money import Money
from orders.domain.order import Order, Payment, ShippingAddress


def _text(max_length: int, description: str) -> object:
    # a name of spaces is no name
    return Meta(min_length=1, max_length=max_length, pattern=VISIBLE, description=description)


class OrderLineRequest(msgspec.Struct):
    product_id: Annotated[UUID, Meta(description="A product id from the catalog.")]
    quantity: Annotated[int, Meta(ge=1, le=99, description="How many (1-99).")]


class ShippingAddressBody(msgspec.Struct):
    recipient: Annotated[str, _text(100, "Who receives the parcel.")]
    line1: Annotated[str, _text(200, "Street address.")]
    city: Annotated[str, _text(100, "City.")]
    postal_code: Annotated[str, Meta(pattern=r"^[0-9A-Za-z][0-9A-Za-z -]{2,11}$",
                                     description="Postal code (3-12 letters, digits, spaces).")]
    phone: Annotated[str, Meta(pattern=r"^\+?[0-9][0-9 -]{6,19}$",
                               description="Phone number, digits with optional +, spaces, dashes.")]


class CardPayment(msgspec.Struct):
    method: Literal["card"]
    card_number: Annotated[str, Meta(pattern=r"^[0-9]{16}$", description="16 digits.")]


class PlaceOrderRequest(msgspec.Struct):
    lines: Annotated[list[OrderLineRequest], Meta(min_length=1, max_length=50)]
    shipping_address: ShippingAddressBody
    payment: CardPayment

    def fingerprint(self) -> str:
        """Identifies the body for Idempotency-Key checks (a hash: card numbers are not kept)."""
        return hashlib.sha256(msgspec.json.encode(self)).hexdigest()

    def to_command(self, principal: Principal, *, idempotency_key: str | None,
                   locale: str) -> PlaceOrder:
        seen: dict[UUID, int] = {}
        for index, line in enumerate(self.lines):
            if line.product_id in seen:
                raise ValidationFailed(
                    "Each product may appear once per order; add up the quantities.",
                    errors=[FieldError(f"lines[{index}].product_id",
                                       f"repeats lines[{seen[line.product_id]}]")])
            seen[line.product_id] = index
        a = self.shipping_address
        return PlaceOrder(
            customer_id=principal.subject,
            customer_email=principal.email,
            locale=locale,
            lines=tuple(RequestedLine(str(line.product_id), line.quantity) for line in self.lines),
            shipping_address=ShippingAddress(recipient=a.recipient.strip(), line1=a.line1.strip(),
                                             city=a.city.strip(), postal_code=a.postal_code.strip(),
                                             phone=a.phone.strip()),
            card_number=self.payment.card_number,
            idempotency_key=idempotency_key,
            fingerprint=self.fingerprint(),
        )


class MoneyBody(msgspec.Struct):
    amount: int
    currency: str

    @classmethod
    def of(cls, money: Money) -> MoneyBody:
        return cls(amount=money.amount, currency=money.currency)


class OrderLineBody(msgspec.Struct):
    product_id: str
    name: str
    unit_price: MoneyBody
    quantity: int


class PaymentBody(msgspec.Struct):
    id: str
    status: str
    amount: MoneyBody
    card_last4: str | None = None
    decline_code: str | None = None

    @classmethod
    def of(cls, payment: Payment) -> PaymentBody:
        return cls(id=payment.id, status=payment.status.value, amount=MoneyBody.of(payment.amount),
                   card_last4=payment.card_last4, decline_code=payment.decline_code)


class OrderBody(msgspec.Struct):
    """An order as the API shows it."""

    id: str
    customer_id: str
    status: str
    lines: list[OrderLineBody]
    total: MoneyBody
    shipping_address: ShippingAddressBody
    payment: PaymentBody | None
    created_at: datetime
    updated_at: datetime
    version: int
    delivery_status: str | None = None

    @classmethod
    def of(cls, order: Order) -> OrderBody:
        a = order.shipping_address
        return cls(
            id=order.id,
            customer_id=order.customer_id,
            status=order.status.value,
            lines=[OrderLineBody(product_id=line.product_id, name=line.name,
                                 unit_price=MoneyBody.of(line.unit_price), quantity=line.quantity)
                   for line in order.lines],
            total=MoneyBody.of(order.total),
            shipping_address=ShippingAddressBody(recipient=a.recipient, line1=a.line1, city=a.city,
                                                 postal_code=a.postal_code, phone=a.phone),
            payment=PaymentBody.of(order.payment) if order.payment else None,
            created_at=order.created_at,
            updated_at=order.updated_at,
            version=order.version,
            delivery_status=order.delivery_status.value if order.delivery_status else None,
        )


class OrderPage(msgspec.Struct):
    items: list[OrderBody]
    next_cursor: str | None


def encode_cursor(after: tuple[datetime, str] | None) -> str | None:
    if after is None:
        return None
    raw = f"{after[0].isoformat()}|{after[1]}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """The position a `next_cursor` names; a cursor we did not write is a 422."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, _, order_id = raw.partition("|")
        when = datetime.fromisoformat(at)
        if when.tzinfo is None:
            raise ValueError("naive timestamp")
        return when, str(UUID(order_id))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValidationFailed("The cursor is not one this API gave out.",
                               errors=[FieldError("cursor", "unknown cursor")]) from exc
