"""A seeded, reproducible market of Kite-listed instruments, for backtests and the simulator.

`GeneratedMarket` walks every instrument of an `InstrumentRegistry` on trading time and answers
`Quote`s in integer paise; `encode_packet` / `encode_frame` pack them into Kite's binary frames,
so a backtest decodes them with the market feed's own decoder and the Kite simulator streams
the very same bytes.
"""

from alpha_panda.backtest.generated_market.frames import StreamMode, encode_frame, encode_packet
from alpha_panda.backtest.generated_market.generator import GeneratedMarket
from alpha_panda.backtest.generated_market.hours import MARKET_CLOSE, MARKET_OPEN
from alpha_panda.backtest.generated_market.instruments import InstrumentRegistry, ListedInstrument
from alpha_panda.backtest.generated_market.quotes import Quote

__all__ = [
    "MARKET_CLOSE",
    "MARKET_OPEN",
    "GeneratedMarket",
    "InstrumentRegistry",
    "ListedInstrument",
    "Quote",
    "StreamMode",
    "encode_frame",
    "encode_packet",
]
