"""Use cases of the provider and the ports they need."""
