"""Use-case outcomes as the API answers them: a body, or the problem to raise (REST and gRPC)."""

from __future__ import annotations

from fitshop_common.errors import (
    Conflict,
    FieldError,
    NotFound,
    PaymentRequired,
    ServiceUnavailable,
    ValidationFailed,
)
from orders.application.results import (
    Cancelled,
    CancelOrderResult,
    CancelRefused,
    IdempotencyKeyReused,
    LinesUnavailable,
    OrderNotFound,
    PaymentDeclined,
    PaymentUnavailable,
    Placed,
    PlaceOrderResult,
    RefundUnavailable,
)
from orders.entrypoints.schemas import OrderBody

ORDERS_PATH = "/api/v1/orders"
BUSY = "Payment is busy, please retry shortly."
UNCONFIRMED = ("We could not confirm the payment yet. Nothing is lost: the order will be settled "
               "shortly; check it at the Location given, or retry with the same Idempotency-Key.")


def order_location(order_id: str) -> str:
    return f"{ORDERS_PATH}/{order_id}"


def placed_or_problem(result: PlaceOrderResult) -> OrderBody:
    """Map the PlaceOrder outcome to the body of a 201, or raise its problem."""
    match result:
        case Placed(order=order):
            return OrderBody.of(order)
        case PaymentDeclined(order=order):
            reason = order.payment.message or order.payment.decline_code if order.payment else None
            error = PaymentRequired(f"The card was declined{f' ({reason})' if reason else ''}. "
                                    "Nothing was charged.")
            error.headers["Location"] = order_location(order.id)
            raise error
        case PaymentUnavailable(order=order, retry_after=retry_after, outcome_unknown=unknown):
            busy = ServiceUnavailable(UNCONFIRMED if unknown else BUSY, retry_after=retry_after)
            busy.headers["Location"] = order_location(order.id)
            raise busy
        case LinesUnavailable(problems=problems):
            raise Conflict("Some products cannot be ordered right now.", errors=[
                FieldError(f"lines[{p.index}].product_id", p.reason) for p in problems])
        case IdempotencyKeyReused(key=key):
            raise ValidationFailed("This Idempotency-Key was already used with another request.",
                                   errors=[FieldError("Idempotency-Key",
                                                      f"{key!r} belongs to an earlier, different request")])


def cancelled_or_problem(result: CancelOrderResult) -> OrderBody:
    """Map the CancelOrder outcome to the body of a 200, or raise its problem."""
    match result:
        case Cancelled(order=order):
            return OrderBody.of(order)
        case CancelRefused(reason=reason):
            raise Conflict(f"This order cannot be cancelled: {reason}.")
        case OrderNotFound(order_id=order_id):
            raise NotFound(f"There is no order {order_id}.")
        case RefundUnavailable(retry_after=retry_after):
            raise ServiceUnavailable("Refunds are busy, please retry the cancellation shortly.",
                                     retry_after=retry_after)
