"""Kite Connect v3's REST endpoints over the simulator's sessions, market and broker."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from aiohttp import web

from alpha_panda.backtest.generated_market.quotes import Level, Quote, json_rupees
from kite_sim.auth import Session
from kite_sim.errors import (
    InputError,
    KiteError,
    NotFoundError,
    RateLimitError,
    ServerError,
    TokenError,
)
from kite_sim.faults import PlacementFault
from kite_sim.gtt_routes import GttRoutes
from kite_sim.historical import parse_candle_request
from kite_sim.order_margins import order_margin
from kite_sim.orders import kite_time
from kite_sim.portfolio import holdings_json, margins_json, positions_json

if TYPE_CHECKING:
    from kite_sim.simulator import KiteSimulator

KITE_VERSION = "3"
QUOTE_LIMIT = 500
LTP_OHLC_LIMIT = 1000
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _ok(data: Any) -> web.Response:
    return web.json_response({"status": "success", "data": data})


def _depth(levels: tuple[Level, ...]) -> list[dict[str, Any]]:
    return [
        {"price": json_rupees(price), "quantity": quantity, "orders": orders}
        for price, quantity, orders in levels
    ]


def _ohlc(quote: Quote) -> dict[str, float]:
    return {key: json_rupees(getattr(quote, key)) for key in ("open", "high", "low", "close")}


def _full_quote(quote: Quote) -> dict[str, Any]:
    return {
        "instrument_token": quote.instrument_token,
        "timestamp": kite_time(quote.timestamp),
        "last_trade_time": kite_time(quote.timestamp),
        "last_price": json_rupees(quote.last_price),
        "last_quantity": quote.last_quantity,
        "buy_quantity": quote.buy_quantity,
        "sell_quantity": quote.sell_quantity,
        "volume": quote.volume,
        "average_price": json_rupees(quote.average_price),
        "oi": quote.oi,
        "oi_day_high": quote.oi_day_high,
        "oi_day_low": quote.oi_day_low,
        "net_change": json_rupees(quote.last_price - quote.close),
        "lower_circuit_limit": json_rupees(quote.lower_circuit),
        "upper_circuit_limit": json_rupees(quote.upper_circuit),
        "ohlc": _ohlc(quote),
        "depth": {"buy": _depth(quote.bids), "sell": _depth(quote.asks)},
    }


class RestApi:
    """Route handlers; each authenticates and rate-limits before touching simulator state."""

    def __init__(self, simulator: KiteSimulator) -> None:
        self._sim = simulator

    def routes(self) -> list[web.RouteDef]:
        """Return every REST route Kite's client uses that the simulator serves."""
        return [
            web.get("/connect/login", self.login),
            web.get("/connect/finish", self.finish),
            web.post("/session/token", self.session_token),
            web.delete("/session/token", self.logout),
            web.get("/user/profile", self.profile),
            web.get("/user/margins", self.margins),
            web.get("/user/margins/{segment}", self.margins),
            web.get("/instruments", self.instruments),
            web.get("/instruments/{exchange}", self.instruments),
            web.get("/instruments/historical/{instrument_token}/{interval}", self.historical),
            web.get("/quote", self.quote),
            web.get("/quote/ltp", self.quote),
            web.get("/quote/ohlc", self.quote),
            web.get("/orders", self.orders),
            web.post("/orders/{variety}", self.place_order),
            web.get("/orders/{order_id}", self.order_history),
            web.put("/orders/{variety}/{order_id}", self.modify_order),
            web.delete("/orders/{variety}/{order_id}", self.cancel_order),
            web.get("/orders/{order_id}/{trades}", self.order_trades),
            web.get("/trades", self.trades),
            web.get("/portfolio/positions", self.positions),
            web.get("/portfolio/holdings", self.holdings),
            web.post("/margins/orders", self.order_margins),
            *GttRoutes(self._sim.gtts, self._authorize).routes(),
            web.post("/sim/faults/placements", self.arm_placement_faults),
        ]

    def _authorize(self, request: web.Request, endpoint_class: str = "other") -> Session:
        if request.headers.get("X-Kite-Version") != KITE_VERSION:
            raise InputError("Missing or unsupported `X-Kite-Version` header; send 3.")
        scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
        api_key, _, access_token = credentials.partition(":")
        if scheme != "token" or not api_key or not access_token:
            raise TokenError("Missing or invalid `Authorization` header.")
        session = self._sim.sessions.authenticate(api_key, access_token)
        if not self._sim.rate_limiter.allow(api_key, endpoint_class):
            raise RateLimitError()
        return session

    async def login(self, request: web.Request) -> web.StreamResponse:
        """Serve `GET /connect/login`: log the simulated user in, redirect with a request token."""
        api_key = request.query.get("api_key", "")
        token = self._sim.sessions.issue_request_token(api_key)
        query = urlencode(
            {"action": "login", "type": "login", "status": "success", "request_token": token}
        )
        target = self._sim.config.redirect_url or f"{self._sim.urls.rest}/connect/finish"
        raise web.HTTPFound(f"{target}{'&' if '?' in target else '?'}{query}")

    async def finish(self, request: web.Request) -> web.StreamResponse:
        """Serve the default redirect target, echoing the request token."""
        return _ok({"request_token": request.query.get("request_token")})

    async def session_token(self, request: web.Request) -> web.StreamResponse:
        """Serve `POST /session/token`: exchange a request token and checksum for a session."""
        form = await request.post()
        api_key, token, checksum = (
            str(form.get(name, "")) for name in ("api_key", "request_token", "checksum")
        )
        if not token or not checksum:
            raise InputError("Missing `request_token` or `checksum`.")
        session = self._sim.sessions.exchange(api_key, token, checksum)
        return _ok(
            {
                **self._sim.user_profile(),
                "api_key": api_key,
                "access_token": session.access_token,
                "public_token": session.public_token,
                "refresh_token": session.refresh_token,
                "enctoken": "",
                "login_time": kite_time(session.login_time),
            }
        )

    async def logout(self, request: web.Request) -> web.StreamResponse:
        """Serve `DELETE /session/token`: invalidate an access token."""
        token = request.query.get("access_token", "")
        self._sim.sessions.authenticate(request.query.get("api_key", ""), token)
        self._sim.sessions.revoke(token)
        return _ok(True)

    async def profile(self, request: web.Request) -> web.StreamResponse:
        """Serve `GET /user/profile`."""
        self._authorize(request)
        return _ok(self._sim.user_profile())

    async def margins(self, request: web.Request) -> web.StreamResponse:
        """Serve `GET /user/margins` and `GET /user/margins/{segment}`."""
        session = self._authorize(request)
        sim = self._sim
        data = margins_json(
            sim.broker.trades(session.api_key),
            sim.market,
            sim.clock.now(),
            sim.config.opening_balance,
        )
        segment = request.match_info.get("segment")
        if segment is None:
            return _ok(data)
        if segment not in data:
            raise InputError("Invalid segment.")
        return _ok(data[segment])

    async def instruments(self, request: web.Request) -> web.StreamResponse:
        """Serve the CSV instruments dump, all of it or one exchange."""
        if "Authorization" in request.headers:
            self._authorize(request)
        exchange = request.match_info.get("exchange")
        return web.Response(text=self._sim.registry.dump_csv(exchange), content_type="text/csv")

    async def quote(self, request: web.Request) -> web.StreamResponse:
        """Serve `GET /quote`, `/quote/ltp` and `/quote/ohlc` for the `i` instruments."""
        self._authorize(request, "quote")
        kind = request.path.rsplit("/", 1)[-1]
        keys = request.query.getall("i", [])
        if len(keys) > (QUOTE_LIMIT if kind == "quote" else LTP_OHLC_LIMIT):
            raise InputError("Too many instruments requested.")
        now = self._sim.clock.now()
        data: dict[str, Any] = {}
        for key in keys:
            instrument = self._sim.registry.by_key(key)
            quote = self._sim.market.quote(instrument.instrument_token, now) if instrument else None
            if quote is None:
                continue
            if kind == "ltp":
                data[key] = {
                    "instrument_token": quote.instrument_token,
                    "last_price": json_rupees(quote.last_price),
                }
            elif kind == "ohlc":
                data[key] = {
                    "instrument_token": quote.instrument_token,
                    "last_price": json_rupees(quote.last_price),
                    "ohlc": _ohlc(quote),
                }
            else:
                data[key] = _full_quote(quote)
        return _ok(data)

    async def historical(self, request: web.Request) -> web.StreamResponse:
        """Serve `GET /instruments/historical/{instrument_token}/{interval}`."""
        self._authorize(request, "historical")
        candle_request = parse_candle_request(
            request.match_info["instrument_token"],
            request.match_info["interval"],
            request.query,
            self._sim.registry,
        )
        # Retracing a day of steps takes a while: keep the ticker's loop free meanwhile.
        candles = await asyncio.to_thread(self._sim.candles, candle_request)
        return _ok({"candles": candles})

    async def order_margins(self, request: web.Request) -> web.StreamResponse:
        """Serve `POST /margins/orders`: the margin each order of a JSON list would block."""
        self._authorize(request)
        try:
            orders = await request.json()
        except ValueError:
            orders = None
        if not isinstance(orders, list) or not orders:
            raise InputError("Send a JSON list of orders.")
        sim, now = self._sim, self._sim.clock.now()
        return _ok([order_margin(order, sim.registry, sim.market, now) for order in orders])

    async def place_order(self, request: web.Request) -> web.StreamResponse:
        """Serve `POST /orders/{variety}`."""
        session = self._authorize(request, "orders")
        form = {key: str(value) for key, value in (await request.post()).items()}
        order = self._sim.broker.place(
            session.api_key, session.user_id, request.match_info["variety"], form
        )
        fault = self._sim.placement_faults.take()
        if fault is PlacementFault.RATE_LIMITED:
            raise RateLimitError()
        if fault is PlacementFault.SERVER_ERROR:
            raise ServerError()
        if fault is PlacementFault.DISCONNECT and request.transport is not None:
            request.transport.abort()
        return _ok({"order_id": order.order_id})

    async def arm_placement_faults(self, request: web.Request) -> web.StreamResponse:
        """Serve `POST /sim/faults/placements` (simulator only): fault the next placements.

        Form fields: `fault` (rate_limited, server_error or disconnect) and `count` (default 1).
        """
        self._authorize(request)
        form = await request.post()
        try:
            fault, count = PlacementFault(str(form.get("fault"))), int(str(form.get("count", 1)))
            self._sim.placement_faults.arm(fault, count)
        except ValueError as error:
            raise InputError(f"Invalid fault or count: {error}") from None
        return _ok({"pending": self._sim.placement_faults.pending})

    async def modify_order(self, request: web.Request) -> web.StreamResponse:
        """Serve `PUT /orders/{variety}/{order_id}`."""
        session = self._authorize(request, "orders")
        form = {key: str(value) for key, value in (await request.post()).items()}
        variety, order_id = request.match_info["variety"], request.match_info["order_id"]
        order = self._sim.broker.modify(session.api_key, variety, order_id, form)
        return _ok({"order_id": order.order_id})

    async def cancel_order(self, request: web.Request) -> web.StreamResponse:
        """Serve `DELETE /orders/{variety}/{order_id}`."""
        session = self._authorize(request, "orders")
        variety, order_id = request.match_info["variety"], request.match_info["order_id"]
        order = self._sim.broker.cancel(session.api_key, variety, order_id)
        return _ok({"order_id": order.order_id})

    async def orders(self, request: web.Request) -> web.StreamResponse:
        """Serve `GET /orders`: the day's orders."""
        session = self._authorize(request)
        return _ok([order.to_json() for order in self._sim.broker.orders(session.api_key)])

    async def order_history(self, request: web.Request) -> web.StreamResponse:
        """Serve `GET /orders/{order_id}`: every state the order went through."""
        session = self._authorize(request)
        return _ok(
            list(self._sim.broker.order(session.api_key, request.match_info["order_id"]).history)
        )

    async def order_trades(self, request: web.Request) -> web.StreamResponse:
        """Serve `GET /orders/{order_id}/trades`."""
        if request.match_info["trades"] != "trades":
            raise NotFoundError()
        session = self._authorize(request)
        order = self._sim.broker.order(session.api_key, request.match_info["order_id"])
        return _ok(
            [trade.to_json() for trade in self._sim.broker.trades(session.api_key, order.order_id)]
        )

    async def trades(self, request: web.Request) -> web.StreamResponse:
        """Serve `GET /trades`."""
        session = self._authorize(request)
        return _ok([trade.to_json() for trade in self._sim.broker.trades(session.api_key)])

    async def positions(self, request: web.Request) -> web.StreamResponse:
        """Serve `GET /portfolio/positions`."""
        session = self._authorize(request)
        sim = self._sim
        return _ok(positions_json(sim.broker.trades(session.api_key), sim.market, sim.clock.now()))

    async def holdings(self, request: web.Request) -> web.StreamResponse:
        """Serve `GET /portfolio/holdings`."""
        self._authorize(request)
        return _ok(holdings_json())


@web.middleware
async def kite_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Render simulator errors, and unknown routes, in Kite's JSON error form."""
    try:
        return await handler(request)
    except KiteError as error:
        return web.json_response(error.body(), status=error.status)
    except web.HTTPNotFound:
        missing = NotFoundError()
        return web.json_response(missing.body(), status=missing.status)
    except web.HTTPMethodNotAllowed:
        return web.json_response(KiteError("Method not allowed").body(), status=405)
