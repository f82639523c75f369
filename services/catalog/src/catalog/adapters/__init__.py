"""MongoDB storage of products (revisions with their outbox, and the list view)."""
