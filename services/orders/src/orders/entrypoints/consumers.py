"""JetStream event handlers: catalog announcements feed the replica, delivery news moves orders."""

from __future__ import annotations

import logging
from typing import Annotated, Any, TypeVar

import msgspec
from msgspec import Meta

from fitshop_common.events import Envelope
from fitshop_common.messaging import Handler, Poison
from orders.application.service import OrdersService, UnknownOrder
from orders.domain.commands import FollowDelivery, ReplicateProduct
from orders.domain.money import Money
from orders.domain.order import DeliveryStatus
from orders.domain.product import Product

log = logging.getLogger(__name__)

Uuid = Annotated[str, Meta(pattern=r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")]
Version = Annotated[int, Meta(ge=1)]


class Price(msgspec.Struct):
    amount: Annotated[int, Meta(ge=0)]
    currency: Annotated[str, Meta(pattern=r"^[A-Z]{3}$")]


class ProductAnnounced(msgspec.Struct):
    """`data` of product.registered / product.updated (the full state after the change)."""

    product_id: Uuid
    sku: str
    name: str
    price: Price
    stock: Annotated[int, Meta(ge=0)]
    version: Version
    category: str = ""


class ProductDeletedData(msgspec.Struct):
    product_id: Uuid
    version: Version
    sku: str = ""


class DeliveryNews(msgspec.Struct):
    """`data` of every delivery.* event this service follows."""

    delivery_id: Uuid
    order_id: Uuid
    status: DeliveryStatus
    version: Version


T = TypeVar("T")


def _read(event: Envelope, shape: type[T]) -> T:
    try:
        return msgspec.convert(event.data, shape)
    except msgspec.ValidationError as exc:
        # Retrying cannot fix a malformed event: dead-letter it for an operator.
        raise Poison(f"{event.type} {event.id}: {exc}") from exc


def catalog_handlers(service: OrdersService) -> dict[str, Handler]:
    async def on_product_announced(event: Envelope) -> None:
        data = _read(event, ProductAnnounced)
        product = Product(id=data.product_id, sku=data.sku, name=data.name,
                          price=Money(data.price.amount, data.price.currency), stock=data.stock,
                          version=data.version, category=data.category)
        await service.replicate_product(ReplicateProduct(event_id=event.id, product=product))

    async def on_product_deleted(event: Envelope) -> None:
        data = _read(event, ProductDeletedData)
        tombstone = Product.tombstone(data.product_id, data.version, data.sku)
        await service.replicate_product(ReplicateProduct(event_id=event.id, product=tombstone))

    return {
        "product.registered": on_product_announced,
        "product.updated": on_product_announced,
        "product.deleted": on_product_deleted,
    }


def delivery_handlers(service: OrdersService) -> dict[str, Handler]:
    async def on_delivery_news(event: Envelope) -> None:
        data = _read(event, DeliveryNews)
        command = FollowDelivery(event_id=event.id, order_id=data.order_id,
                                 delivery_id=data.delivery_id, status=data.status,
                                 delivery_version=data.version)
        try:
            update = await service.follow_delivery(command)
        except UnknownOrder as exc:
            raise Poison(str(exc)) from exc
        log.info("delivery news", extra=_fields(event, update=update.value))

    return {t: on_delivery_news for t in ("delivery.requested", "delivery.started",
                                          "delivery.status_changed", "delivery.cancelled")}


def _fields(event: Envelope, **more: Any) -> dict[str, Any]:
    return {"event_id": event.id, "event_type": event.type, **more}
