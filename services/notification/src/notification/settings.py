"""Settings of the e-mail channel, read from the environment with local defaults."""

from __future__ import annotations

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict


class MailSettings(BaseSettings):
    model_config = SettingsConfigDict(use_attribute_docstrings=True, extra="ignore", frozen=True)

    smtp_host: str = "127.0.0.1"
    """SMTP server (the local stack runs an aiosmtpd sink here)."""
    smtp_port: int = 8025
    """SMTP port."""
    smtp_from: str = "fitshop <no-reply@fitshop.example>"
    """Sender of every e-mail."""
    smtp_username: str | None = None
    """Login, when the server wants one (with smtp_password)."""
    smtp_password: str | None = None
    """Password for smtp_username."""
    smtp_starttls: bool = False
    """Upgrade the connection with STARTTLS (production relays); the local sink speaks plain."""
    smtp_timeout_seconds: float = 10.0
    """Longest wait for the server in one try."""
    email_tries_per_attempt: int = 3
    """Quick retries in hand (tenacity) before the job goes back to the queue."""
    email_max_attempts: int = 5
    """Queue attempts before an e-mail is dead-lettered."""
    email_retry_seconds: float = 30.0
    """How long a failed e-mail waits in the queue before the next attempt."""


@lru_cache
def mail_settings() -> MailSettings:
    return MailSettings()
