"""A mock of an external card-payment provider: payments, idempotency, refunds and injectable faults."""
