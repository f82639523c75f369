"""Notify once per event into the in-app store; e-mails retried in hand, requeued, dead-lettered."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from notification.application.ports import Email, Failed, Sent
from notification.application.service import EmailDispatcher, NotificationService
from notification.domain.notification import NotificationKind
from notification.entrypoints.consumers import command_for
from tests.contract.delivery.order_events import order_placed
from tests.unit.notification.fakes import FakeQueue, FakeStore, ScriptedChannel

AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DOWN = Failed("SMTP unreachable: connection refused", permanent=False)


def an_email() -> Email:
    return Email(uuid.uuid4(), "alice@example.com", "[fitshop] receipt", "body")


def dispatcher(queue: FakeQueue, channel: ScriptedChannel, **kw: int) -> EmailDispatcher:
    return EmailDispatcher(queue, channel, backoff_seconds=0.001, **kw)  # type: ignore[arg-type]


async def test_an_event_notified_twice_writes_one_notification_and_queues_one_email() -> None:
    store = FakeStore()
    service = NotificationService(store)
    event = order_placed()
    assert await service.notify(command_for(event), event_id=event.id, occurred_at=AT)
    assert not await service.notify(command_for(event), event_id=event.id, occurred_at=AT)
    [notification] = store.notifications.values()
    assert notification.kind is NotificationKind.PURCHASE_RECEIPT
    assert [e.to for e in store.emails] == ["alice@example.com"]


async def test_an_event_without_an_address_is_notified_in_app_only() -> None:
    store = FakeStore()
    event = order_placed(email=None)
    await NotificationService(store).notify(command_for(event), event_id=event.id,
                                            occurred_at=AT)
    assert len(store.notifications) == 1
    assert store.emails == []


async def test_a_sent_email_is_settled_as_sent() -> None:
    queue, channel = FakeQueue(an_email()), ScriptedChannel(Sent())
    assert await dispatcher(queue, channel).dispatch_once() == 1
    assert len(queue.sent_jobs) == 1 and queue.dead == [] and queue.retrying == []


async def test_a_blip_is_retried_in_hand_and_the_email_goes_out_once() -> None:
    queue, channel = FakeQueue(an_email()), ScriptedChannel(DOWN, Sent())
    await dispatcher(queue, channel, tries_per_attempt=3).dispatch_once()
    assert len(channel.tries) == 2
    assert len(queue.sent_jobs) == 1


async def test_an_outage_sends_the_email_back_to_the_queue_after_the_tries_in_hand() -> None:
    queue, channel = FakeQueue(an_email()), ScriptedChannel(DOWN)
    await dispatcher(queue, channel, tries_per_attempt=3, max_attempts=5).dispatch_once()
    assert len(channel.tries) == 3
    [(_, reason)] = queue.retrying
    assert "connection refused" in reason
    assert queue.sent_jobs == [] and queue.dead == []


async def test_after_its_last_attempt_an_email_is_dead_lettered_with_the_reason() -> None:
    queue, channel = FakeQueue(an_email()), ScriptedChannel(DOWN)
    worker = dispatcher(queue, channel, tries_per_attempt=2, max_attempts=3)
    for _ in range(3):
        await worker.dispatch_once()
    assert len(queue.retrying) == 2
    [(job, reason)] = queue.dead
    assert job.attempt == 3 and "connection refused" in reason
    assert len(channel.tries) == 6
    assert await worker.dispatch_once() == 0  # nothing left to try


async def test_a_refused_address_is_dead_lettered_at_once() -> None:
    queue = FakeQueue(an_email())
    channel = ScriptedChannel(Failed("recipient refused", permanent=True))
    await dispatcher(queue, channel, tries_per_attempt=3).dispatch_once()
    assert len(channel.tries) == 1
    assert [reason for _, reason in queue.dead] == ["recipient refused"]


async def test_a_channel_that_raises_is_treated_as_a_transient_failure() -> None:
    queue, channel = FakeQueue(an_email()), ScriptedChannel(RuntimeError("bug"))
    await dispatcher(queue, channel, tries_per_attempt=2).dispatch_once()
    [(_, reason)] = queue.retrying
    assert "bug" in reason
