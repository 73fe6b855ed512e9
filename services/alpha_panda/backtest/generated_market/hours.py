"""NSE equity session hours (IST) on which the generated market moves."""

from __future__ import annotations

from datetime import time

MARKET_OPEN = time(9, 15)
MARKET_CLOSE = time(15, 30)
