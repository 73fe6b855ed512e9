"""A local server speaking Kite Connect v3's REST and WebSocket protocols, for tests and demos."""
