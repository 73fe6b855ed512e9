"""Alpha Panda: event-driven algorithmic trading for Indian markets through Zerodha Kite Connect."""
