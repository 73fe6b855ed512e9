"""Kite Connect edge: binary frame decoding, the market-feed WebSocket client, instruments."""
