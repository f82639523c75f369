"""Order events that move stock: OrderPlaced takes units, OrderCancelled gives them back."""

from __future__ import annotations

from typing import Annotated

import msgspec

from catalog.application.service import CatalogService
from catalog.domain.commands import OrderLine, ReturnStockForOrder, TakeStockForOrder
from fitshop_common.events import Envelope
from fitshop_common.messaging import Handler, Poison


class _Line(msgspec.Struct):
    product_id: str
    quantity: Annotated[int, msgspec.Meta(ge=1)]


class _OrderLines(msgspec.Struct):
    """The part of order.placed / order.cancelled the catalog reads (the rest is ignored)."""

    order_id: str
    lines: list[_Line]


def _lines_of(event: Envelope) -> tuple[str, tuple[OrderLine, ...]]:
    try:
        order = msgspec.convert(event.data, _OrderLines)
    except msgspec.ValidationError as exc:
        raise Poison(f"{event.type} {event.id} has no usable order lines: {exc}") from exc
    return order.order_id, tuple(OrderLine(line.product_id, line.quantity) for line in order.lines)


def order_handlers(service: CatalogService) -> dict[str, Handler]:
    """The handlers of the `catalog-orders` durable consumer, by event type."""

    async def handle_order_placed(event: Envelope) -> None:
        order_id, lines = _lines_of(event)
        await service.take_stock_for_order(TakeStockForOrder(event.id, order_id, lines))

    async def handle_order_cancelled(event: Envelope) -> None:
        order_id, lines = _lines_of(event)
        await service.return_stock_for_order(ReturnStockForOrder(event.id, order_id, lines))

    return {"order.placed": handle_order_placed, "order.cancelled": handle_order_cancelled}
