"""Redis and JetStream implementations of the application ports."""
