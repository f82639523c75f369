"""In-memory fakes of the notification service's own ports (never of drivers)."""

from __future__ import annotations

from notification.application.ports import (
    Email,
    EmailChannel,
    EmailJob,
    EmailQueue,
    EmailStatus,
    Failed,
    InboxItem,
    InboxPage,
    InvalidCursor,
    NotificationStore,
    Sent,
)
from notification.domain.notification import Notification


class FakeStore(NotificationStore):
    def __init__(self) -> None:
        self.seen: set[str] = set()
        self.notifications: dict[str, Notification] = {}
        self.emails: list[Email] = []

    async def record_once(self, event_id: str, notification: Notification) -> bool:
        if event_id in self.seen or str(notification.id) in self.notifications:
            return False
        self.seen.add(event_id)
        self.notifications[str(notification.id)] = notification
        if notification.email:
            self.emails.append(Email(notification.id, notification.email, notification.title,
                                     notification.body))
        return True

    async def page(self, customer_id: str, limit: int, cursor: str | None) -> InboxPage:
        own = sorted((n for n in self.notifications.values() if n.customer_id == customer_id),
                     key=lambda n: (n.created_at, str(n.id)), reverse=True)
        start = 0
        if cursor is not None:
            ids = [str(n.id) for n in own]
            if cursor not in ids:
                raise InvalidCursor("unknown cursor")
            start = ids.index(cursor) + 1
        page = own[start:start + limit]
        more = start + limit < len(own)
        return InboxPage([InboxItem(n, EmailStatus.PENDING) for n in page],
                         str(page[-1].id) if more and page else None)


class FakeQueue(EmailQueue):
    def __init__(self, *emails: Email) -> None:
        self.waiting = [EmailJob(f"job-{i}", e, 1) for i, e in enumerate(emails)]
        self.sent_jobs: list[EmailJob] = []
        self.retrying: list[tuple[EmailJob, str]] = []
        self.dead: list[tuple[EmailJob, str]] = []

    async def take(self, max_jobs: int) -> list[EmailJob]:
        taken, self.waiting = self.waiting[:max_jobs], self.waiting[max_jobs:]
        return taken

    async def sent(self, job: EmailJob) -> None:
        self.sent_jobs.append(job)

    async def retry_later(self, job: EmailJob, reason: str) -> None:
        self.retrying.append((job, reason))
        # Back in line with one more attempt counted, as the real queue does.
        self.waiting.append(EmailJob(job.job_id, job.email, job.attempt + 1))

    async def dead_letter(self, job: EmailJob, reason: str) -> None:
        self.dead.append((job, reason))


class ScriptedChannel(EmailChannel):
    """Answers the outcomes it was given, in order, then keeps answering the last one."""

    def __init__(self, *outcomes: Sent | Failed | Exception) -> None:
        self.outcomes = list(outcomes)
        self.tries: list[Email] = []

    async def send(self, email: Email) -> Sent | Failed:
        self.tries.append(email)
        outcome = self.outcomes.pop(0) if len(self.outcomes) > 1 else self.outcomes[0]
        if isinstance(outcome, Exception):
            raise outcome
        return outcome
