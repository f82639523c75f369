"""Why a provider call was refused; the HTTP adapter turns each into the provider's error format."""

from __future__ import annotations


class ProviderError(Exception):
    """Base of refusals; `code` is the machine-readable `error` of the response body."""

    code = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class PaymentNotFound(ProviderError):
    code = "payment_not_found"


class IdempotencyKeyReused(ProviderError):
    """Same key, different request body: the provider cannot tell which one was meant."""

    code = "idempotency_key_reused"


class PaymentNotCancellable(ProviderError):
    code = "payment_not_cancellable"


class Overloaded(ProviderError):
    """Over the concurrency limit, or in an outage: retry after `retry_after` seconds."""

    code = "overloaded"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class InjectedFailure(ProviderError):
    """A fault-injected internal error; nothing was decided or stored."""

    code = "internal"
