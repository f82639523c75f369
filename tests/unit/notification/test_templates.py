"""Korean (default) and English wording: order id, items and totals in won, readable statuses."""

from __future__ import annotations

import uuid

import pytest

from notification.domain.commands import (
    DeliveryStatus,
    Item,
    Locale,
    Recipient,
    SendCancellationNotice,
    SendDeliveryUpdate,
    SendPurchaseReceipt,
)
from notification.domain.templates import compose, won

ORDER = uuid.UUID("3f2a9c1e-1111-4222-8333-444455556666")
ITEMS = (Item("DUMBBELL-10KG", 2, 35000), Item("YOGA-MAT-6MM", 1, 29000))


def recipient(locale: Locale) -> Recipient:
    return Recipient("alice", "alice@example.com", locale)


@pytest.mark.parametrize(("amount", "locale", "text"), [
    (99000, Locale.KO, "99,000원"), (99000, Locale.EN, "₩99,000"),
    (0, Locale.KO, "0원"), (1234567, Locale.EN, "₩1,234,567"),
])
def test_amounts_are_written_in_won_with_thousands_separators(
    amount: int, locale: Locale, text: str
) -> None:
    assert won(amount, locale) == text


def test_a_korean_purchase_receipt_lists_the_order_items_and_total_in_won() -> None:
    message = compose(SendPurchaseReceipt(ORDER, recipient(Locale.KO), ITEMS, 99000), Locale.KO)
    assert "결제가 완료" in message.title and "3f2a9c1e" in message.title
    assert str(ORDER) in message.body
    assert "- DUMBBELL-10KG x 2  70,000원" in message.body
    assert "- YOGA-MAT-6MM x 1  29,000원" in message.body
    assert "결제 금액: 99,000원" in message.body


def test_an_english_purchase_receipt_reads_in_english() -> None:
    message = compose(SendPurchaseReceipt(ORDER, recipient(Locale.EN), ITEMS, 99000), Locale.EN)
    assert message.title == "[fitshop] Payment received for order 3f2a9c1e"
    assert "Thank you for your order" in message.body
    assert "- DUMBBELL-10KG x 2  ₩70,000" in message.body
    assert "Total paid: ₩99,000" in message.body
    assert str(ORDER) in message.body


@pytest.mark.parametrize(("locale", "title", "refund"), [
    (Locale.KO, "취소되었습니다", "환불 금액: 99,000원"),
    (Locale.EN, "cancelled", "Refund: ₩99,000"),
])
def test_a_cancellation_notice_names_the_order_the_items_and_the_refund(
    locale: Locale, title: str, refund: str
) -> None:
    message = compose(SendCancellationNotice(ORDER, recipient(locale), ITEMS, 99000), locale)
    assert title in message.title
    assert str(ORDER) in message.body and "DUMBBELL-10KG" in message.body
    assert refund in message.body


@pytest.mark.parametrize(("status", "ko", "en"), [
    (DeliveryStatus.STARTED, "배송 시작", "delivery started"),
    (DeliveryStatus.IN_TRANSIT, "배송 중", "delivery in transit"),
    (DeliveryStatus.DELIVERED, "배송 완료", "delivery delivered"),
    (DeliveryStatus.CANCELLED, "배송 취소", "delivery cancelled"),
])
def test_a_delivery_update_says_the_new_status_in_both_languages(
    status: DeliveryStatus, ko: str, en: str
) -> None:
    korean = compose(SendDeliveryUpdate(ORDER, recipient(Locale.KO), status), Locale.KO)
    english = compose(SendDeliveryUpdate(ORDER, recipient(Locale.EN), status), Locale.EN)
    assert ko in korean.title and str(ORDER) in korean.body
    assert en in english.title and str(ORDER) in english.body
