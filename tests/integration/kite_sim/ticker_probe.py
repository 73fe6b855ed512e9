"""Run the official KiteTicker against a ticker URL and print what it receives as JSON lines.

Usage: python ticker_probe.py '<json plan>' where the plan holds `root`, `api_key`,
`access_token`, `modes` ({token: "ltp"|"quote"|"full"}) and `orders` (order updates to wait
for). Prints `{"event": "streaming"}` at the first ticks, one line per tick and order update, and
`{"event": "done"}` when every token was seen in its mode and the orders arrived. Twisted's
reactor runs once per process, hence a process per probe.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from kiteconnect import KiteTicker


def emit(record: dict[str, Any]) -> None:
    print(json.dumps(record, default=str), flush=True)


def main() -> None:
    plan = json.loads(sys.argv[1])
    wanted = {int(token): mode for token, mode in plan["modes"].items()}
    seen: set[tuple[int, str]] = set()
    orders_left = [int(plan.get("orders", 0))]
    stopped = [False]
    ticker = KiteTicker(plan["api_key"], plan["access_token"], root=plan["root"], reconnect=False)

    def stop(ws: KiteTicker) -> None:
        if not stopped[0]:
            stopped[0] = True
            ws.stop()

    def finish_when_complete(ws: KiteTicker) -> None:
        if all((token, mode) in seen for token, mode in wanted.items()) and orders_left[0] <= 0:
            emit({"event": "done"})
            ws.close()
            stop(ws)

    def on_connect(ws: KiteTicker, response: Any) -> None:
        ws.subscribe(list(wanted))
        for mode in set(wanted.values()):
            ws.set_mode(
                mode, [token for token, wanted_mode in wanted.items() if wanted_mode == mode]
            )

    def on_ticks(ws: KiteTicker, ticks: list[dict[str, Any]]) -> None:
        if not seen:
            # The first ticks prove the server registered this connection for order updates.
            emit({"event": "streaming"})
        for tick in ticks:
            emit({"event": "tick", **tick})
            seen.add((tick["instrument_token"], tick["mode"]))
        finish_when_complete(ws)

    def on_order_update(ws: KiteTicker, order: dict[str, Any]) -> None:
        emit({"event": "order", **order})
        orders_left[0] -= 1
        finish_when_complete(ws)

    def on_error(ws: KiteTicker, code: int, reason: Any) -> None:
        emit({"event": "error", "code": code, "reason": str(reason)})

    def on_close(ws: KiteTicker, code: int, reason: Any) -> None:
        emit({"event": "close", "code": code, "reason": str(reason)})
        stop(ws)

    ticker.on_connect = on_connect
    ticker.on_ticks = on_ticks
    ticker.on_order_update = on_order_update
    ticker.on_error = on_error
    ticker.on_close = on_close
    ticker.connect()


if __name__ == "__main__":
    main()
