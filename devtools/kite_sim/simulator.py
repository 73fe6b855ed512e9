"""The Kite simulator: one aiohttp server with Kite's REST API and ticker WebSocket."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from aiohttp import web

from alpha_panda.backtest.generated_market.generator import GeneratedMarket
from alpha_panda.backtest.generated_market.instruments import InstrumentRegistry
from alpha_panda.backtest.generated_market.quotes import MarketModel
from alpha_panda.domain.values import IST
from kite_sim.auth import Session, SessionStore
from kite_sim.broker import Broker
from kite_sim.clock import SimulatedClock, default_session_start
from kite_sim.faults import PlacementFaults
from kite_sim.gtt import GttBook
from kite_sim.historical import Candle, CandleRequest, build_candles, open_instants
from kite_sim.rate_limits import KITE_RATE_LIMITS, RateLimit, RateLimiter
from kite_sim.replay import ReplayMarket, first_instant, read_tick_file
from kite_sim.rest import RestApi, kite_errors
from kite_sim.websocket import TickerHub


def generate_credentials() -> dict[str, str]:
    """Return one throw-away API key and secret, clearly marked as simulator values."""
    return {f"sim_{secrets.token_hex(6)}": f"simsecret_{secrets.token_hex(12)}"}


@dataclass(frozen=True)
class SimulatorConfig:
    """How the simulator runs; every field has a usable default."""

    host: str = "127.0.0.1"
    port: int = 0
    credentials: Mapping[str, str] = field(default_factory=generate_credentials)
    """API key -> API secret pairs accepted by the login flow."""
    seed: int = 0
    speed: float = 1.0
    """Simulated seconds per real second; 0 freezes the clock (move it with `clock`)."""
    start: datetime | None = None
    """Where the clock starts; default 09:15 IST of the latest weekday (or the replay's start)."""
    replay_file: Path | None = None
    synthetic_instruments: int = 0
    """Extra NSE equities (SYNTH00000...) listed on top of the built-in set."""
    tick_interval: float = 0.5
    heartbeat_interval: float = 1.0
    step_seconds: float = 0.5
    """Simulated seconds between price moves of the generated market."""
    rate_limits: Mapping[str, RateLimit] = field(default_factory=lambda: dict(KITE_RATE_LIMITS))
    """Per-API-key limits by endpoint class; empty disables rate limiting."""
    opening_balance: Decimal = Decimal("1000000")
    redirect_url: str | None = None
    """Where the login redirect goes; default the simulator's own `/connect/finish`."""
    user_id: str = "AP0001"


@dataclass(frozen=True)
class SimulatorUrls:
    """Where a running simulator listens."""

    rest: str
    """Root for `KiteConnect(root=...)`."""
    websocket: str
    """Root for `KiteTicker(root=...)`; the client appends `?api_key=...&access_token=...`."""
    login: str
    """Login URL without the `api_key` query (append `?api_key=KEY&v=3`)."""


class KiteSimulator:
    """Build and run the simulator; test hooks expire tokens, drop sockets and move time."""

    def __init__(self, config: SimulatorConfig | None = None) -> None:
        self.config = config or SimulatorConfig()
        records = read_tick_file(self.config.replay_file) if self.config.replay_file else None
        replay_start = first_instant(records) if records else None
        start = self.config.start or replay_start or default_session_start(datetime.now(UTC))
        self.clock = SimulatedClock(start, self.config.speed)
        self.market_origin = start
        trading_day = start.astimezone(IST).date()
        self.registry = InstrumentRegistry.build(trading_day, self.config.synthetic_instruments)
        self.market: MarketModel
        if records is not None:
            self.market = ReplayMarket(self.registry, records, self.config.seed)
        else:
            self.market = GeneratedMarket(
                self.registry, start, self.config.seed, self.config.step_seconds
            )
        self.sessions = SessionStore(self.config.credentials, self.clock, self.config.user_id)
        self.rate_limiter = RateLimiter(self.config.rate_limits)
        self.placement_faults = PlacementFaults()
        """Test hook: answer the next placements with a fault after executing them."""
        self.hub = TickerHub(
            self.market,
            self.clock,
            self.sessions,
            tick_interval=self.config.tick_interval,
            heartbeat_interval=self.config.heartbeat_interval,
        )
        self.broker = Broker(self.registry, self.market, self.clock, self._on_order_update)
        self.gtts = GttBook(self.registry, self.market, self.clock, self.broker)
        self.hub.on_tick_round = self.on_tick_round
        self._runner: web.AppRunner | None = None
        self._streamer: asyncio.Task[None] | None = None
        self._urls: SimulatorUrls | None = None

    @property
    def urls(self) -> SimulatorUrls:
        """Return the URLs of the running simulator."""
        if self._urls is None:
            raise RuntimeError("the simulator is not running")
        return self._urls

    @property
    def api_key(self) -> str:
        """Return the first configured API key."""
        return next(iter(self.config.credentials))

    @property
    def api_secret(self) -> str:
        """Return the secret of the first configured API key."""
        return self.config.credentials[self.api_key]

    def build_app(self) -> web.Application:
        """Return the aiohttp application serving REST and the ticker WebSocket."""
        app = web.Application(middlewares=[kite_errors])
        app.add_routes([web.get("/", self._root), web.get("/ws", self.hub.handle)])
        app.add_routes(RestApi(self).routes())
        return app

    async def _root(self, request: web.Request) -> web.StreamResponse:
        if request.headers.get("Upgrade", "").lower() == "websocket":
            return await self.hub.handle(request)
        return web.json_response({"status": "success", "data": {"service": "kite simulator"}})

    async def start(self) -> SimulatorUrls:
        """Start serving on the configured host and port (0 picks a free one)."""
        # Quote requests carry up to 1,000 instruments in the query string.
        # No access log: the ticker URL carries the access token in its query string.
        self._runner = web.AppRunner(
            self.build_app(), handle_signals=False, max_line_size=131072, access_log=None
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.config.host, self.config.port)
        await site.start()
        port = self._runner.addresses[0][1]
        base = f"{self.config.host}:{port}"
        self._urls = SimulatorUrls(
            rest=f"http://{base}", websocket=f"ws://{base}/ws", login=f"http://{base}/connect/login"
        )
        self._streamer = asyncio.create_task(self.hub.run())
        return self._urls

    async def stop(self) -> None:
        """Stop streaming, close every socket and the server."""
        if self._streamer is not None:
            self._streamer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._streamer
        await self.hub.close_connections()
        if self._runner is not None:
            await self._runner.cleanup()
        self._runner = self._streamer = self._urls = None

    async def __aenter__(self) -> KiteSimulator:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    def login(self, api_key: str | None = None) -> Session:
        """Create a session without the HTTP login flow; returns its access token and expiry."""
        return self.sessions.add_session(api_key or self.api_key)

    async def expire_tokens(self, api_key: str | None = None) -> list[str]:
        """Expire access tokens now (all, or one API key's) and close their ticker sockets."""
        expired = self.sessions.expire(api_key)
        await self.hub.close_connections(set(expired))
        return expired

    async def drop_connections(self, abrupt: bool = True) -> int:
        """Drop every ticker socket, by default without a close frame, as a network cut would."""
        return await self.hub.close_connections(abrupt=abrupt)

    def candles(self, request: CandleRequest) -> list[Candle]:
        """Return the request's candles up to now, retracing the path the market has shown."""
        end = min(request.end, self.clock.now())
        if not isinstance(self.market, GeneratedMarket):
            # From the day's open, so the first candle's volume is its own, not the day's.
            day_open = request.start.astimezone(IST).replace(hour=0, minute=0, second=0)
            instants = open_instants(day_open, end, self.config.step_seconds)
            return build_candles(self.market, request, instants)
        token = request.instrument_token
        begin = self.market.first_seen(token) or self.market_origin
        fresh = GeneratedMarket(
            self.registry, self.market_origin, self.config.seed, self.config.step_seconds
        )
        return build_candles(fresh, request, open_instants(begin, end, self.config.step_seconds))

    def on_tick_round(self) -> None:
        """Match open orders and fire crossed GTTs at the quotes of this tick round."""
        self.broker.match_open_orders()
        self.gtts.fire_triggered()

    def _on_order_update(self, api_key: str, order: dict[str, Any]) -> None:
        secret = self.config.credentials.get(api_key, "")
        stamp = order.get("order_timestamp") or ""
        digest = hashlib.sha256(f"{order['order_id']}{stamp}{secret}".encode()).hexdigest()
        update = {
            **order,
            "user_id": self.config.user_id,
            "account_id": self.config.user_id,
            "unfilled_quantity": order.get("pending_quantity", 0),
            "app_id": 0,
            "checksum": digest,
        }
        self.hub.publish_order(api_key, update)

    def user_profile(self) -> dict[str, Any]:
        """Return the simulated user's profile as `/user/profile` shows it."""
        return {
            "user_id": self.config.user_id,
            "user_type": "individual",
            "email": "trader@example.com",
            "user_name": "Simulated Trader",
            "user_shortname": "Simulated",
            "broker": "ZERODHA",
            "exchanges": ["NSE", "NFO"],
            "products": ["CNC", "NRML", "MIS"],
            "order_types": ["MARKET", "LIMIT", "SL", "SL-M"],
            "avatar_url": None,
            "meta": {"demat_consent": "physical"},
        }
