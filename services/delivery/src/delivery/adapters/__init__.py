"""PostgreSQL implementations of the delivery service's ports."""
