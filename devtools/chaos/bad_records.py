"""Bad records on the pipeline's input topics: each must end in a dead-letter topic, with its
reason, and change nothing else."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from alpha_panda.core.events import EventType
from alpha_panda.core.streaming import Outgoing, Publisher
from alpha_panda.core.topics import TopicMap
from alpha_panda.domain.control import ControlAction, ControlCommand
from alpha_panda.domain.signals import Signal
from alpha_panda.domain.values import Namespace, Side


@dataclass(frozen=True)
class BadRecord:
    """One injected record: where it went, its exact bytes and what is wrong with it."""

    topic: str
    marker: bytes
    """Bytes its dead letter's value contains: the whole record, or the envelope's id."""
    what: str


class Injector:
    """Send malformed JSON and envelopes of the wrong namespace to the input topics."""

    def __init__(self, bootstrap: str, prefix: str, instrument_token: int) -> None:
        self.bootstrap = bootstrap
        self.paper = TopicMap(Namespace.PAPER, prefix)
        self.zerodha = TopicMap(Namespace.ZERODHA, prefix)
        self.instrument_token = instrument_token
        self.sent: list[BadRecord] = []

    async def inject(self) -> None:
        """Send one round: malformed JSON to both namespaces' raw signals, a zerodha signal on
        paper's raw signals and a paper halt on zerodha's control topic."""
        round_ = len(self.sent) // 4
        raw = Publisher(self.bootstrap, source="chaos", namespace="chaos")
        await raw.start()
        try:
            for topics in (self.paper, self.zerodha):
                value = b'{"type": "signal.raw", "chaos": ' + str(round_).encode()
                await raw.send_record(topics.signals_raw, b"chaos", value, [])
                self.sent.append(BadRecord(topics.signals_raw, value, "malformed JSON"))
        finally:
            await raw.close()
        signal = Signal(
            strategy_id="paper-momentum",
            instrument_token=self.instrument_token,
            side=Side.BUY,
            quantity=5000,  # were it traded, the position limit would be blown at once
            reference_price=Decimal("100"),
            generated_at=datetime.now(UTC),
            reason="chaos: a zerodha envelope on a paper topic",
        )
        halt = ControlCommand(
            action=ControlAction.HALT,
            reason="chaos: a paper envelope on a zerodha topic",
            issued_at=datetime.now(UTC),
        )
        for namespace, item in (
            ("zerodha", Outgoing(self.paper.signals_raw, EventType.SIGNAL_RAW, signal)),
            ("paper", Outgoing(self.zerodha.control, EventType.CONTROL_COMMAND, halt)),
        ):
            publisher = Publisher(self.bootstrap, source="chaos", namespace=namespace)
            await publisher.start()
            try:
                [envelope] = await publisher.publish([item])
                await publisher.flush()
            finally:
                await publisher.close()
            what = f"a {namespace} envelope"
            self.sent.append(BadRecord(item.topic, str(envelope.id).encode(), what))
