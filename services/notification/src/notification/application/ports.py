"""The ports the notification use cases need: the in-app store, the e-mail queue and channel."""

from __future__ import annotations

import abc
from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID

from notification.domain.notification import Notification


class EmailStatus(StrEnum):
    NONE = "NONE"
    """The event named no address: in-app only."""
    PENDING = "PENDING"
    RETRYING = "RETRYING"
    SENT = "SENT"
    FAILED = "FAILED"
    """Dead-lettered after its attempts (or refused for good)."""


@dataclass(frozen=True)
class InboxItem:
    notification: Notification
    email_status: EmailStatus


@dataclass(frozen=True)
class InboxPage:
    items: list[InboxItem]
    next_cursor: str | None


class InvalidCursor(ValueError):
    """The cursor was not one this service handed out."""


class NotificationStore(abc.ABC):
    """The in-app channel: each customer's inbox, newest first."""

    @abc.abstractmethod
    async def record_once(self, event_id: str, notification: Notification) -> bool:
        """Store the notification and, when it has an address, queue its e-mail: both or
        neither, and only the first time `event_id` is seen. False when it was seen before."""

    @abc.abstractmethod
    async def page(self, customer_id: str, limit: int, cursor: str | None) -> InboxPage:
        """Raises InvalidCursor for a cursor it did not issue."""


@dataclass(frozen=True)
class Email:
    notification_id: UUID
    to: str
    subject: str
    body: str


@dataclass(frozen=True)
class EmailJob:
    """A queued e-mail held by this worker; `attempt` counts from 1."""

    job_id: str
    email: Email
    attempt: int


class EmailQueue(abc.ABC):
    """The e-mail channel's own queue: at least once, with its own retries and dead letters."""

    @abc.abstractmethod
    async def take(self, max_jobs: int) -> list[EmailJob]:
        """New jobs and jobs whose retry is due, leased to this worker; already-sent ones
        are settled silently and never returned."""

    @abc.abstractmethod
    async def sent(self, job: EmailJob) -> None: ...

    @abc.abstractmethod
    async def retry_later(self, job: EmailJob, reason: str) -> None: ...

    @abc.abstractmethod
    async def dead_letter(self, job: EmailJob, reason: str) -> None: ...


@dataclass(frozen=True)
class Sent:
    pass


@dataclass(frozen=True)
class Failed:
    reason: str
    permanent: bool
    """True when sending again cannot help (e.g. the server refused the address)."""


class EmailChannel(abc.ABC):
    @abc.abstractmethod
    async def send(self, email: Email) -> Sent | Failed: ...
