"""Live figures of a running session, read from the services' metrics and the caches."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from local_run.processes import ServiceProcess

Counts = dict[tuple[str, str, str], float]
"""(metric, service, topic) -> value."""


async def scrape(services: list[ServiceProcess]) -> Counts:
    """Return every service's consumed and emitted event counters."""
    counts: Counts = defaultdict(float)
    async with aiohttp.ClientSession() as http:
        for service in services:
            try:
                async with http.get(f"{service.url}/metrics") as response:
                    text = await response.text()
            except aiohttp.ClientError:
                continue
            for family in text_string_to_metric_families(text):
                if family.name not in ("alpha_panda_events_consumed", "alpha_panda_events_emitted"):
                    continue
                for sample in family.samples:
                    if sample.name.endswith("_total"):
                        key = (family.name, service.name, sample.labels["topic"])
                        counts[key] += sample.value
    return counts


def total(counts: Counts, metric: str, topic: str, service_prefix: str = "") -> int:
    """Sum one metric over the services whose name starts with `service_prefix`."""
    return int(
        sum(
            value
            for (name, service, seen_topic), value in counts.items()
            if name == f"alpha_panda_events_{metric}"
            and seen_topic == topic
            and service.startswith(service_prefix)
        )
    )


@dataclass
class EquityCurve:
    """Net P&L sampled through the session, for the maximum drawdown."""

    samples: list[Decimal] = field(default_factory=list)

    def add(self, value: Decimal) -> None:
        self.samples.append(value)

    @property
    def max_drawdown(self) -> Decimal:
        """Return the largest fall from a running peak (0 when it never fell)."""
        peak, worst = Decimal(0), Decimal(0)
        for value in self.samples:
            peak = max(peak, value)
            worst = max(worst, peak - value)
        return worst
