"""The PaymentGateway port over the provider's HTTP API: timeouts, safe retries, a circuit breaker."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx2
from circuitbreaker import STATE_HALF_OPEN, CircuitBreaker
from prometheus_client import Gauge, Histogram
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_random_exponential

from orders.application.ports import (
    Approved,
    ChargeOutcome,
    ChargeRequest,
    Declined,
    LookupOutcome,
    NotFound,
    PaymentGateway,
    Refunded,
    RefundOutcome,
    RefundRefused,
    Unavailable,
)
from orders.domain.money import Money
from orders.domain.order import Payment, PaymentStatus

log = logging.getLogger(__name__)

LATENCY = Histogram("fitshop_payment_seconds", "Payment provider calls", ["operation", "outcome"],
                    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5))
BREAKER = Gauge("fitshop_payment_breaker_open", "1 while the payment circuit breaker is open")


@dataclass(frozen=True, slots=True)
class GatewayConfig:
    base_url: str
    timeout_seconds: float = 2.0
    """Longest wait for one provider answer; beyond it the outcome of a charge is unknown."""
    connect_timeout_seconds: float = 0.5
    attempts: int = 2
    """Tries per call for failures that are safe to repeat (never a read timeout of a charge)."""
    breaker_failures: int = 5
    """Consecutive failed calls that open the breaker."""
    breaker_recovery_seconds: float = 10.0
    """How long the breaker stays open before one probe call may close it again."""
    retry_after_seconds: int = 3
    """What we tell customers to wait when the provider gave no Retry-After."""
    max_connections: int = 100
    max_keepalive_connections: int = 8


class _ProviderFailed(Exception):
    """A 5xx answer: counts against the breaker like a timeout does."""

    def __init__(self, response: httpx2.Response) -> None:
        super().__init__(f"payment provider answered {response.status_code}")
        self.response = response


def _counts_as_failure(exc_type: type[BaseException], _: BaseException) -> bool:
    return issubclass(exc_type, _ProviderFailed | httpx2.TransportError)


_NOT_SENT = (httpx2.ConnectError, httpx2.ConnectTimeout, httpx2.PoolTimeout)


def _retryable(retry_timeouts: bool) -> Callable[[BaseException], bool]:
    def retryable(exc: BaseException) -> bool:
        if isinstance(exc, _NOT_SENT):
            return True  # the request never left: repeating it cannot double anything
        if isinstance(exc, _ProviderFailed):
            return exc.response.status_code == 500  # same Idempotency-Key: a replay, not a 2nd charge
        # A slow provider is not helped by more of the same; only idempotent reads/refunds retry.
        return retry_timeouts and isinstance(exc, httpx2.TimeoutException)

    return retryable


@dataclass(frozen=True, slots=True)
class _Failure:
    reason: str
    retry_after: int
    maybe_processed: bool  # the provider may have acted on the request


class HttpPaymentGateway(PaymentGateway):
    def __init__(self, config: GatewayConfig, client: httpx2.AsyncClient | None = None) -> None:
        self._config = config
        self._client = client or httpx2.AsyncClient(
            base_url=config.base_url,
            timeout=httpx2.Timeout(config.timeout_seconds, connect=config.connect_timeout_seconds),
            # The pool checks every kept connection on each request: keep what a steady
            # load reuses, not every connection a burst opened.
            limits=httpx2.Limits(max_connections=config.max_connections,
                                 max_keepalive_connections=config.max_keepalive_connections),
        )
        self.breaker = CircuitBreaker(failure_threshold=config.breaker_failures,
                                      recovery_timeout=config.breaker_recovery_seconds,
                                      expected_exception=_counts_as_failure,
                                      name="payment-provider")
        self._probe_in_flight = False

    async def aclose(self) -> None:
        await self._client.aclose()

    # --- the port ------------------------------------------------------------------------------

    async def charge(self, request: ChargeRequest) -> ChargeOutcome:
        body = {"amount": request.amount.amount, "currency": request.amount.currency,
                "card_number": request.card_number, "order_id": request.order_id,
                "description": request.description}
        result = await self._call("charge", lambda: self._client.post(
            "/v1/payments", json=body, headers={"Idempotency-Key": request.order_id}),
            retry_timeouts=False)
        if isinstance(result, _Failure):
            return Unavailable(result.reason, result.retry_after,
                               outcome_unknown=result.maybe_processed)
        data = _json(result)
        if result.status_code in (200, 201) and data.get("status") == "APPROVED" and data.get("id"):
            return Approved(_payment(data, request.amount))
        if result.status_code == 402 or data.get("status") == "DECLINED":
            data.setdefault("id", f"declined-{request.order_id}")  # ids are unique per record
            return Declined(_payment(data, request.amount, PaymentStatus.DECLINED))
        if result.status_code == 422:
            # The provider holds another body under this order id: settle by looking it up.
            log.error("payment idempotency key reused", extra={"order_id": request.order_id})
            return Unavailable("payment provider refused the idempotency key",
                               self._config.retry_after_seconds, outcome_unknown=True)
        log.error("unexpected payment answer", extra={"status": result.status_code,
                                                      "order_id": request.order_id})
        return Unavailable(f"payment provider answered {result.status_code}",
                           self._config.retry_after_seconds,
                           outcome_unknown=result.status_code < 400)

    async def find(self, idempotency_key: str) -> LookupOutcome:
        result = await self._call("find", lambda: self._client.get(
            "/v1/payments", params={"idempotency_key": idempotency_key}), retry_timeouts=True)
        if isinstance(result, _Failure):
            return Unavailable(result.reason, result.retry_after)
        if result.status_code == 404:
            return NotFound()
        data = _json(result)
        if (result.status_code != 200 or not data.get("id")
                or data.get("status") not in set(PaymentStatus)):
            return Unavailable(f"payment lookup answered {result.status_code}",
                               self._config.retry_after_seconds)
        payment = _payment(data, None)
        match payment.status:
            case PaymentStatus.APPROVED:
                return Approved(payment)
            case PaymentStatus.DECLINED:
                return Declined(payment)
            case PaymentStatus.CANCELLED:
                return Refunded(payment)

    async def refund(self, payment_id: str, reason: str | None) -> RefundOutcome:
        body = {"reason": reason} if reason else {}
        result = await self._call("refund", lambda: self._client.post(
            f"/v1/payments/{quote(payment_id, safe='')}/cancel", json=body), retry_timeouts=True)
        if isinstance(result, _Failure):
            return Unavailable(result.reason, result.retry_after)
        data = _json(result)
        if result.status_code == 200 and data.get("status") == "CANCELLED":
            return Refunded(_payment(data, None))
        if result.status_code in (404, 409):
            return RefundRefused(str(data.get("error") or data.get("message")
                                     or f"refund answered {result.status_code}"))
        return Unavailable(f"refund answered {result.status_code}", self._config.retry_after_seconds)

    # --- one guarded call ------------------------------------------------------------------------

    async def _call(self, operation: str, send: Callable[[], Awaitable[httpx2.Response]], *,
                    retry_timeouts: bool) -> httpx2.Response | _Failure:
        started = time.perf_counter()
        if self.breaker.opened:
            BREAKER.set(1)
            LATENCY.labels(operation, "breaker_open").observe(0)
            return _Failure("payment is busy (circuit open)",
                            max(1, math.ceil(self.breaker.open_remaining)), False)
        half_open = self.breaker.state == STATE_HALF_OPEN
        if half_open and self._probe_in_flight:
            return _Failure("payment is busy (recovering)", 1, False)  # one probe at a time
        self._probe_in_flight = half_open
        try:
            with self.breaker:
                response = await self._with_retries(send, retry_timeouts)
        except _ProviderFailed as exc:
            outcome = _Failure(f"payment provider answered {exc.response.status_code}",
                               _retry_after(exc.response, self._config.retry_after_seconds),
                               maybe_processed=exc.response.status_code != 503)
        except _NOT_SENT as exc:
            outcome = _Failure(f"payment provider unreachable ({type(exc).__name__})",
                               self._config.retry_after_seconds, False)
        except httpx2.TransportError as exc:  # read/write timeouts, dropped connections
            outcome = _Failure(f"payment provider did not answer ({type(exc).__name__})",
                               self._config.retry_after_seconds, True)
        else:
            LATENCY.labels(operation, str(response.status_code)).observe(
                time.perf_counter() - started)
            BREAKER.set(0)
            return response
        finally:
            if half_open:
                self._probe_in_flight = False
        LATENCY.labels(operation, "failed").observe(time.perf_counter() - started)
        BREAKER.set(1 if self.breaker.opened else 0)
        return outcome

    async def _with_retries(self, send: Callable[[], Awaitable[httpx2.Response]],
                            retry_timeouts: bool) -> httpx2.Response:
        async for attempt in AsyncRetrying(
            stop=stop_after_attempt(self._config.attempts),
            wait=wait_random_exponential(multiplier=0.05, max=0.3),
            retry=retry_if_exception(_retryable(retry_timeouts)),
            reraise=True,
        ):
            with attempt:
                response = await send()
                if response.status_code >= 500:
                    raise _ProviderFailed(response)
                return response
        raise AssertionError("tenacity re-raises the last failure")


def _json(response: httpx2.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _payment(data: dict[str, Any], fallback: Money | None,
             status: PaymentStatus | None = None) -> Payment:
    amount = data.get("amount")
    currency = data.get("currency") or (fallback.currency if fallback else "KRW")
    money = (Money(amount, currency) if isinstance(amount, int) and not isinstance(amount, bool)
             else fallback or Money.zero())
    return Payment(
        id=str(data.get("id") or ""),
        status=status or PaymentStatus(data.get("status", "APPROVED")),
        amount=money,
        card_last4=data.get("card_last4"),
        decline_code=data.get("decline_code"),
        message=data.get("message"),
    )


def _retry_after(response: httpx2.Response, default: int) -> int:
    try:
        return min(60, max(1, int(response.headers.get("Retry-After", default))))
    except ValueError:
        return default
