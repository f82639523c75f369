"""The e-mail channel over SMTP (aiosmtplib), with a stable Message-ID per notification."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formatdate

import aiosmtplib

from notification.application.ports import Email, EmailChannel, Failed, Sent
from notification.settings import MailSettings


class SmtpEmailChannel(EmailChannel):
    def __init__(self, settings: MailSettings) -> None:
        self._settings = settings

    def message(self, email: Email) -> EmailMessage:
        msg = EmailMessage()
        msg["From"] = self._settings.smtp_from
        msg["To"] = email.to
        msg["Subject"] = email.subject
        msg["Date"] = formatdate(usegmt=True)
        # The same notification always carries the same Message-ID, so a copy sent again
        # in the at-least-once window can be recognised (and dropped) by mail systems.
        msg["Message-ID"] = f"<{email.notification_id}@notification.fitshop.example>"
        msg.set_content(email.body)
        return msg

    async def send(self, email: Email) -> Sent | Failed:
        s = self._settings
        try:
            await aiosmtplib.send(
                self.message(email), hostname=s.smtp_host, port=s.smtp_port,
                username=s.smtp_username, password=s.smtp_password,
                start_tls=s.smtp_starttls, timeout=s.smtp_timeout_seconds)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            return Failed(f"recipient refused: {exc}", permanent=True)
        except aiosmtplib.SMTPResponseException as exc:
            # 5xx: the server will say the same next time; 4xx: try again later.
            return Failed(f"SMTP {exc.code}: {exc.message}", permanent=exc.code >= 500)
        except (TimeoutError, aiosmtplib.SMTPException, OSError) as exc:
            return Failed(f"SMTP unreachable: {exc!r}", permanent=False)
        return Sent()
