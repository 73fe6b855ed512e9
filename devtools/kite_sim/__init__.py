"""A local server speaking Kite Connect v3's REST and WebSocket protocols, for tests and demos.

In an async test::

    async with KiteSimulator(SimulatorConfig(speed=0, start=...)) as simulator:
        session = simulator.login()          # access token without the HTTP login flow
        simulator.urls.rest, simulator.urls.websocket
        simulator.clock.advance(timedelta(minutes=5))
        await simulator.expire_tokens()      # TokenException / 403 from now on
        await simulator.drop_connections()   # cut every ticker socket

Synchronous callers (the official `kiteconnect` client) use `BackgroundSimulator`, which runs
the same server on its own loop thread. `kite-sim` (or `python -m kite_sim`) runs it as a process.
"""

from kite_sim.background import BackgroundSimulator
from kite_sim.simulator import KiteSimulator, SimulatorConfig, SimulatorUrls

__all__ = ["BackgroundSimulator", "KiteSimulator", "SimulatorConfig", "SimulatorUrls"]
