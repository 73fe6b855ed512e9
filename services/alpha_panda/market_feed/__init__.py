"""Market feed: Kite's WebSocket ticks onto the shared market topic."""
