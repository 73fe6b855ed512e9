"""W3C trace context carried in Kafka headers, so one trace spans every hop."""

from __future__ import annotations

from collections.abc import Sequence

from opentelemetry import context, propagate, trace

tracer = trace.get_tracer("alpha_panda.streaming")

Headers = Sequence[tuple[str, bytes]]


def recording() -> bool:
    """Tell whether an OpenTelemetry SDK is installed, i.e. whether spans are worth building.

    Without one a hop forwards the trace context it received unchanged: the trace still spans
    every hop, and the ~25 us a no-op span costs per event is saved.
    """
    return not isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider)


def extract(headers: Headers | None) -> context.Context:
    """Return the trace context a message's headers carry (an empty one when none)."""
    carrier = {name: value.decode("latin-1") for name, value in headers or ()}
    return propagate.extract(carrier)


def inject() -> dict[str, str]:
    """Return the current trace context as a header dictionary."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier


def to_headers(carrier: dict[str, str]) -> list[tuple[str, bytes]]:
    """Encode a trace carrier as Kafka headers."""
    return [(name, value.encode("latin-1")) for name, value in carrier.items()]
