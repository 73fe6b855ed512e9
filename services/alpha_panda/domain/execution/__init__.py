"""Order execution without I/O: the charge schedule, the paper trader and Kite order tags."""

from alpha_panda.domain.execution.charges import ChargeBreakdown, ChargeSchedule, Product
from alpha_panda.domain.execution.paper import OrderEvent, PaperTrader, PaperTraderConfig
from alpha_panda.domain.execution.tags import order_tag

__all__ = [
    "ChargeBreakdown",
    "ChargeSchedule",
    "OrderEvent",
    "PaperTrader",
    "PaperTraderConfig",
    "Product",
    "order_tag",
]
