"""Redis and SMTP implementations of the notification service's ports."""
