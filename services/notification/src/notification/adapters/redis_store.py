"""Redis adapters: the in-app inbox (written once per event, atomically with its e-mail job)
and the e-mail queue (a Redis stream with a consumer group, retries and dead letters)."""

from __future__ import annotations

import base64
import binascii
import os
import re
import socket
import uuid
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from redis.asyncio import Redis
from redis.exceptions import ResponseError

from fitshop_common.inbox import RedisOnce
from notification.application.ports import (
    Email,
    EmailJob,
    EmailQueue,
    EmailStatus,
    InboxItem,
    InboxPage,
    InvalidCursor,
    NotificationStore,
)
from notification.domain.notification import Channel, Notification, NotificationKind

PREFIX = "notification"
INBOX_CONSUMER = "notification"
MAILER_GROUP = "mailer"

# Runs after RedisOnce's guard (which already recorded the event id), in the same script:
# keys = {notification hash, customer index, e-mail queue}; args = {index member,
# '1' to queue an e-mail, then the hash's field/value pairs}.
_RECORD = """
if redis.call('EXISTS', keys[1]) == 1 then
  return 0
end
local fields = {}
for i = 3, #args do fields[#fields + 1] = args[i] end
redis.call('HSET', keys[1], unpack(fields))
redis.call('ZADD', keys[2], 0, args[1])
if args[2] == '1' then
  redis.call('XADD', keys[3], '*', 'notification_id', args[4])
end
return 1
"""

_MEMBER = re.compile(r"^\d{16}:[0-9a-f-]{36}$")


def notification_key(notification_id: UUID | str) -> str:
    return f"{PREFIX}:n:{notification_id}"


def customer_index_key(customer_id: str) -> str:
    return f"{PREFIX}:customer:{customer_id}"


EMAIL_QUEUE = f"{PREFIX}:email:queue"
EMAIL_DEAD = f"{PREFIX}:email:dead"


def _member(n: Notification) -> str:
    """Sorts by time, then id: the index is read newest first by lexical range."""
    micros = int(n.created_at.timestamp() * 1_000_000)
    return f"{micros:016d}:{n.id}"


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


class RedisNotificationStore(NotificationStore):
    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self._once = RedisOnce(redis, INBOX_CONSUMER, _RECORD, prefix=f"{PREFIX}:inbox")

    async def record_once(self, event_id: str, notification: Notification) -> bool:
        n = notification
        fields: list[str] = [
            "id", str(n.id), "customer_id", n.customer_id, "order_id", str(n.order_id),
            "kind", str(n.kind), "title", n.title, "body", n.body, "channel", str(n.channel),
            "created_at", _iso(n.created_at), "email_to", n.email or "",
            "email_status", str(EmailStatus.PENDING if n.email else EmailStatus.NONE),
            "email_attempts", "0",
        ]
        result = await self._once(
            event_id,
            [notification_key(n.id), customer_index_key(n.customer_id), EMAIL_QUEUE],
            [_member(n), "1" if n.email else "0", *fields],
        )
        return result == 1

    async def page(self, customer_id: str, limit: int, cursor: str | None) -> InboxPage:
        top = "+" if cursor is None else "(" + _decode_cursor(cursor)
        members: list[str] = await self._redis.zrange(
            customer_index_key(customer_id), top, "-", desc=True, bylex=True,
            offset=0, num=limit + 1)
        shown = members[:limit]
        pipe = self._redis.pipeline(transaction=False)
        for member in shown:
            pipe.hgetall(notification_key(member.split(":", 1)[1]))
        rows: list[dict[str, str]] = await pipe.execute() if shown else []
        items = [_item(row) for row in rows if row]
        more = len(members) > limit
        return InboxPage(items, _encode_cursor(shown[-1]) if more and shown else None)


def _item(row: dict[str, str]) -> InboxItem:
    return InboxItem(
        Notification(
            id=UUID(row["id"]), customer_id=row["customer_id"], order_id=UUID(row["order_id"]),
            kind=NotificationKind(row["kind"]), title=row["title"], body=row["body"],
            created_at=datetime.fromisoformat(row["created_at"]),
            email=row.get("email_to") or None, channel=Channel(row["channel"])),
        EmailStatus(row.get("email_status", EmailStatus.NONE)),
    )


def _encode_cursor(member: str) -> str:
    return base64.urlsafe_b64encode(member.encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> str:
    try:
        member = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise InvalidCursor("The cursor is not one this service handed out.") from exc
    if not _MEMBER.match(member):
        raise InvalidCursor("The cursor is not one this service handed out.")
    return member


class RedisEmailQueue(EmailQueue):
    """Jobs are stream entries; a job left unacknowledged is taken again after `retry_seconds`.

    A lease per notification keeps two workers from sending one e-mail at the same time, and
    the notification's `email_status` (SENT) keeps a redelivered job from sending it again.
    """

    def __init__(self, redis: Redis, *, retry_seconds: float, lease_seconds: float,
                 block_seconds: float = 0.5, worker: str | None = None) -> None:
        self._redis = redis
        self._retry_ms = max(1, int(retry_seconds * 1000))
        self._lease_ms = max(1, int(lease_seconds * 1000))
        self._block_ms = max(1, int(block_seconds * 1000))
        self.worker = worker or f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"

    async def ensure(self) -> None:
        try:
            await self._redis.xgroup_create(EMAIL_QUEUE, MAILER_GROUP, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    async def take(self, max_jobs: int) -> list[EmailJob]:
        due = await self._redis.xautoclaim(EMAIL_QUEUE, MAILER_GROUP, self.worker,
                                           min_idle_time=self._retry_ms, count=max_jobs)
        entries: list[tuple[str, dict[str, str]]] = list(due[1])
        if due[2:] and due[2]:  # deleted while pending: nothing left to send
            await self._redis.xack(EMAIL_QUEUE, MAILER_GROUP, *due[2])
        if len(entries) < max_jobs:
            fresh = await self._redis.xreadgroup(
                MAILER_GROUP, self.worker, {EMAIL_QUEUE: ">"}, count=max_jobs - len(entries),
                block=None if entries else self._block_ms)
            for _stream, batch in fresh or []:
                entries.extend(batch)
        jobs = []
        for entry_id, fields in entries:
            job = await self._lease(entry_id, fields.get("notification_id", ""))
            if job is not None:
                jobs.append(job)
        return jobs

    async def _lease(self, entry_id: str, notification_id: str) -> EmailJob | None:
        lease = _lease_key(notification_id)
        # Lease first, then look: a sender releases the lease only after marking the e-mail
        # SENT, so whoever gets the lease next sees SENT and does not send it again.
        if not await self._redis.set(lease, self.worker, nx=True, px=self._lease_ms):
            return None  # another worker is sending it right now
        key = notification_key(notification_id)
        to, subject, body, status = await self._redis.hmget(
            key, "email_to", "title", "body", "email_status")
        if not to or status == EmailStatus.SENT:
            await self._settle(entry_id)  # sent before its ack was lost, or nothing to send
            await self._redis.delete(lease)
            return None
        attempt = int(await self._redis.hincrby(key, "email_attempts", 1))
        return EmailJob(entry_id, Email(UUID(notification_id), to, subject or "", body or ""),
                        attempt)

    async def _settle(self, entry_id: str) -> None:
        pipe = self._redis.pipeline(transaction=True)
        pipe.xack(EMAIL_QUEUE, MAILER_GROUP, entry_id)
        pipe.xdel(EMAIL_QUEUE, entry_id)
        await pipe.execute()

    async def sent(self, job: EmailJob) -> None:
        nid = str(job.email.notification_id)
        pipe = self._redis.pipeline(transaction=True)
        pipe.hset(notification_key(nid), mapping={
            "email_status": str(EmailStatus.SENT), "email_sent_at": _iso(datetime.now(UTC)),
            "email_error": ""})
        pipe.xack(EMAIL_QUEUE, MAILER_GROUP, job.job_id)
        pipe.xdel(EMAIL_QUEUE, job.job_id)
        pipe.delete(_lease_key(nid))
        await pipe.execute()

    async def retry_later(self, job: EmailJob, reason: str) -> None:
        nid = str(job.email.notification_id)
        pipe = self._redis.pipeline(transaction=True)
        pipe.hset(notification_key(nid), mapping={
            "email_status": str(EmailStatus.RETRYING), "email_error": reason[:500]})
        pipe.delete(_lease_key(nid))
        await pipe.execute()

    async def dead_letter(self, job: EmailJob, reason: str) -> None:
        nid = str(job.email.notification_id)
        pipe = self._redis.pipeline(transaction=True)
        pipe.xadd(EMAIL_DEAD, {"notification_id": nid, "to": job.email.to,
                               "subject": job.email.subject, "reason": reason[:1000],
                               "attempts": str(job.attempt),
                               "failed_at": _iso(datetime.now(UTC))})
        pipe.hset(notification_key(nid), mapping={
            "email_status": str(EmailStatus.FAILED), "email_error": reason[:500]})
        pipe.xack(EMAIL_QUEUE, MAILER_GROUP, job.job_id)
        pipe.xdel(EMAIL_QUEUE, job.job_id)
        pipe.delete(_lease_key(nid))
        await pipe.execute()

    async def dead_letters(self) -> list[dict[str, Any]]:
        """For operators and tests: every dead-lettered e-mail with its reason."""
        return [fields for _id, fields in await self._redis.xrange(EMAIL_DEAD)]


def _lease_key(notification_id: str) -> str:
    return f"{PREFIX}:email:lease:{notification_id}"
