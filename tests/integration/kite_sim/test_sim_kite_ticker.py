"""The official KiteTicker, in its own process, receives every packet kind and order updates."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from kiteconnect import KiteConnect

from kite_sim.background import BackgroundSimulator

PROBE = Path(__file__).with_name("ticker_probe.py")
RELIANCE, INFY, TCS, NIFTY, BANK_NIFTY = 738561, 408065, 2953217, 256265, 260105


def run_probe(
    background: BackgroundSimulator,
    access_token: str,
    plan: dict[str, Any],
    on_streaming: Any = None,
) -> list[dict[str, Any]]:
    plan = {
        "root": background.urls.websocket,
        "api_key": background.simulator.api_key,
        "access_token": access_token,
        **plan,
    }
    process = subprocess.Popen(
        [sys.executable, str(PROBE), json.dumps(plan)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    watchdog = threading.Timer(60, process.kill)
    watchdog.start()
    records = []
    try:
        assert process.stdout is not None
        for line in process.stdout:
            record = json.loads(line)
            records.append(record)
            if record["event"] == "streaming" and on_streaming is not None:
                on_streaming()
    finally:
        watchdog.cancel()
        process.wait()
    assert any(record["event"] == "done" for record in records), (
        process.stderr.read() if process.stderr else ""
    )
    return records


def test_kite_ticker_gets_ltp_quote_full_and_index_packets(background: BackgroundSimulator) -> None:
    session = background.call(background.simulator.login)
    modes = {RELIANCE: "full", INFY: "ltp", TCS: "quote", NIFTY: "full", BANK_NIFTY: "quote"}
    records = run_probe(background, session.access_token, {"modes": modes})
    ticks = {
        (record["instrument_token"], record["mode"]): record
        for record in records
        if record["event"] == "tick"
    }
    full = ticks[(RELIANCE, "full")]
    assert len(full["depth"]["buy"]) == len(full["depth"]["sell"]) == 5
    assert full["depth"]["buy"][0]["price"] < full["last_price"] < full["depth"]["sell"][0]["price"]
    assert full["tradable"] is True and "exchange_timestamp" in full and "oi" in full
    assert set(ticks[(INFY, "ltp")]) == {
        "event",
        "tradable",
        "mode",
        "instrument_token",
        "last_price",
    }
    assert "volume_traded" in ticks[(TCS, "quote")] and "depth" not in ticks[(TCS, "quote")]
    assert (
        ticks[(NIFTY, "full")]["tradable"] is False
        and "exchange_timestamp" in ticks[(NIFTY, "full")]
    )
    assert (
        ticks[(BANK_NIFTY, "quote")]["tradable"] is False
        and ticks[(BANK_NIFTY, "quote")]["last_price"] > 50000
    )


def test_kite_ticker_receives_order_updates_for_its_api_key(
    background: BackgroundSimulator,
) -> None:
    simulator = background.simulator
    session = background.call(simulator.login)
    kite = KiteConnect(simulator.api_key, session.access_token, root=background.urls.rest)
    placed: list[str] = []

    def place_order() -> None:
        placed.append(
            kite.place_order(
                variety="regular",
                exchange="NSE",
                tradingsymbol="HDFCBANK",
                transaction_type="BUY",
                quantity=1,
                product="MIS",
                order_type="MARKET",
                market_protection=-1,
                tag="probe",
            )
        )

    records = run_probe(
        background, session.access_token, {"modes": {INFY: "ltp"}, "orders": 2}, place_order
    )
    updates = [record for record in records if record["event"] == "order"]
    assert [update["status"] for update in updates] == ["OPEN", "COMPLETE"]
    assert {update["order_id"] for update in updates} == set(placed)
    assert updates[-1]["tag"] == "probe" and updates[-1]["filled_quantity"] == 1
    signed = f"{updates[-1]['order_id']}{updates[-1]['order_timestamp']}{simulator.api_secret}"
    assert updates[-1]["checksum"] == hashlib.sha256(signed.encode()).hexdigest()
    assert updates[-1]["user_id"] == "AP0001" and updates[-1]["unfilled_quantity"] == 0
