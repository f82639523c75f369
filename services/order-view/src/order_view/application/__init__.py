"""Use cases over the read model and the ports they need."""
