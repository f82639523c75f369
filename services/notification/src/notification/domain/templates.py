"""The words: Korean (the default) and English titles and bodies, amounts in won."""

from __future__ import annotations

from dataclasses import dataclass

from notification.domain.commands import (
    DeliveryStatus,
    Item,
    Locale,
    Notify,
    SendCancellationNotice,
    SendPurchaseReceipt,
)


@dataclass(frozen=True)
class Message:
    title: str
    body: str


def won(amount: int, locale: Locale) -> str:
    """99000 → "99,000원" (ko) or "₩99,000" (en)."""
    return f"{amount:,}원" if locale is Locale.KO else f"₩{amount:,}"


_STATUS = {
    Locale.KO: {DeliveryStatus.REQUESTED: "접수", DeliveryStatus.STARTED: "배송 시작",
                DeliveryStatus.IN_TRANSIT: "배송 중", DeliveryStatus.DELIVERED: "배송 완료",
                DeliveryStatus.CANCELLED: "배송 취소"},
    Locale.EN: {DeliveryStatus.REQUESTED: "requested", DeliveryStatus.STARTED: "started",
                DeliveryStatus.IN_TRANSIT: "in transit", DeliveryStatus.DELIVERED: "delivered",
                DeliveryStatus.CANCELLED: "cancelled"},
}

_UPDATE_KO = {
    DeliveryStatus.STARTED: "판매자가 주문을 확인하고 배송을 시작했습니다.",
    DeliveryStatus.IN_TRANSIT: "상품이 배송 중입니다.",
    DeliveryStatus.DELIVERED: "상품이 배송 완료되었습니다.",
    DeliveryStatus.CANCELLED: "주문 취소로 배송이 취소되었습니다.",
}
_UPDATE_EN = {
    DeliveryStatus.STARTED: "The seller confirmed your order and started delivery.",
    DeliveryStatus.IN_TRANSIT: "Your parcel is on its way.",
    DeliveryStatus.DELIVERED: "Your parcel has been delivered.",
    DeliveryStatus.CANCELLED: "The delivery was cancelled because the order was cancelled.",
}


def _items(items: tuple[Item, ...], locale: Locale) -> str:
    return "\n".join(f"- {i.name} x {i.quantity}  {won(i.unit_price * i.quantity, locale)}"
                     for i in items)


def compose(cmd: Notify, locale: Locale) -> Message:
    order = str(cmd.order_id)
    short = order[:8]
    ko = locale is Locale.KO
    if isinstance(cmd, SendPurchaseReceipt):
        if ko:
            return Message(
                f"[fitshop] 주문 {short} 결제가 완료되었습니다",
                f"주문해 주셔서 감사합니다. 결제가 완료되었습니다.\n\n주문 번호: {order}\n\n"
                f"주문 상품\n{_items(cmd.items, locale)}\n\n결제 금액: {won(cmd.total, locale)}")
        return Message(
            f"[fitshop] Payment received for order {short}",
            f"Thank you for your order. Your payment has been received.\n\nOrder: {order}\n\n"
            f"Items\n{_items(cmd.items, locale)}\n\nTotal paid: {won(cmd.total, locale)}")
    if isinstance(cmd, SendCancellationNotice):
        if ko:
            return Message(
                f"[fitshop] 주문 {short}이(가) 취소되었습니다",
                f"주문이 취소되었습니다.\n\n주문 번호: {order}\n\n취소 상품\n"
                f"{_items(cmd.items, locale)}\n\n환불 금액: {won(cmd.refund, locale)}")
        return Message(
            f"[fitshop] Order {short} cancelled",
            f"Your order has been cancelled.\n\nOrder: {order}\n\nCancelled items\n"
            f"{_items(cmd.items, locale)}\n\nRefund: {won(cmd.refund, locale)}")
    status = _STATUS[locale][cmd.status]
    if ko:
        return Message(f"[fitshop] 주문 {short} 배송 상태: {status}",
                       f"{_UPDATE_KO.get(cmd.status, status)}\n\n주문 번호: {order}\n"
                       f"배송 상태: {status}")
    return Message(f"[fitshop] Order {short}: delivery {status}",
                   f"{_UPDATE_EN.get(cmd.status, status)}\n\nOrder: {order}\n"
                   f"Delivery status: {status}")
