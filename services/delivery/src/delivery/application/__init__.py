"""Use cases of the delivery service and the ports they need."""
