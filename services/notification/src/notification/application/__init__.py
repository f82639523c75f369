"""Use cases of the notification service and the ports they need."""
