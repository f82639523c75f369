"""The faults the provider can be told to suffer: latency, random errors, overload, outage."""

from __future__ import annotations

from dataclasses import dataclass

MAX_LATENCY_MS = 120_000


class InvalidFaults(ValueError):
    """A fault setting outside its range; `field` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Faults:
    """Faults in force. The default value is a healthy provider."""

    latency_ms: int = 0
    """Added to every API call (before the decision, or after it with `charge_then_delay`)."""
    latency_jitter_ms: int = 0
    """A uniformly random extra delay in [0, jitter] on top of `latency_ms`."""
    error_rate: float = 0.0
    """Probability in [0, 1] that a call fails with 500 before anything is decided."""
    max_concurrency: int | None = None
    """Calls in flight beyond this answer 503 (overload); None means unlimited."""
    outage: bool = False
    """Every API call answers 503."""
    charge_then_delay: bool = False
    """Apply the latency after the payment is decided and stored: "timed out, but charged"."""

    def __post_init__(self) -> None:
        for name in ("latency_ms", "latency_jitter_ms"):
            value = getattr(self, name)
            if not 0 <= value <= MAX_LATENCY_MS:
                raise InvalidFaults(name, f"must be between 0 and {MAX_LATENCY_MS}")
        if not 0.0 <= self.error_rate <= 1.0:
            raise InvalidFaults("error_rate", "must be between 0 and 1")
        if self.max_concurrency is not None and self.max_concurrency < 1:
            raise InvalidFaults("max_concurrency", "must be at least 1 (or null for unlimited)")
