"""What a local session needs before its services start: a database, a Kite login, strategies."""

from __future__ import annotations

import asyncio
import json
from urllib.parse import parse_qs, urlparse

import aiohttp
from kiteconnect import KiteConnect

from alpha_panda.adapters.postgres.migrations import connect
from alpha_panda.adapters.postgres.users import UserRepository
from alpha_panda.auth.key_generation import generate_hmac_key
from alpha_panda.auth.roles import Role
from alpha_panda.auth.users import UserStore, generate_password
from alpha_panda.core.settings import Settings
from alpha_panda.definitions.publisher import DefinitionPublisher
from alpha_panda.domain.risk.limits import RiskLimits
from alpha_panda.domain.strategies.config import StrategyConfig
from alpha_panda.domain.values import Namespace
from kite_sim.simulator import KiteSimulator

DASHBOARD_USER = "trader"


async def login(simulator: KiteSimulator) -> str:
    """Log in as a user would: the login redirect, then `generate_session` with the checksum."""
    kite = KiteConnect(simulator.api_key, root=simulator.urls.rest)
    login_url = f"{simulator.urls.login}?api_key={simulator.api_key}&v=3"
    async with (
        aiohttp.ClientSession() as http,
        http.get(login_url, allow_redirects=False) as response,
    ):
        location = response.headers["Location"]
    request_token = parse_qs(urlparse(location).query)["request_token"][0]
    session = await asyncio.to_thread(kite.generate_session, request_token, simulator.api_secret)
    return str(session["access_token"])


async def instrument_tokens(simulator: KiteSimulator, access_token: str) -> dict[str, int]:
    """Return NSE trading symbols to instrument tokens, from the instruments dump."""
    kite = KiteConnect(simulator.api_key, access_token=access_token, root=simulator.urls.rest)
    rows = await asyncio.to_thread(kite.instruments, "NSE")
    return {row["tradingsymbol"]: int(row["instrument_token"]) for row in rows}


def example_strategies(tokens: dict[str, int]) -> list[StrategyConfig]:
    """Three strategies on liquid NSE names, with limits that let the risk manager show itself."""

    def pick(*symbols: str) -> tuple[int, ...]:
        return tuple(tokens[symbol] for symbol in symbols)

    return [
        StrategyConfig(
            strategy_id="momentum-large-caps",
            namespace=Namespace.PAPER,
            strategy_type="momentum",
            instruments=pick("RELIANCE", "INFY", "TCS"),
            parameters={"quantity": 10, "cooldown_seconds": 120},
            risk_limits=RiskLimits(max_position_quantity=20, max_orders_per_day=12),
        ),
        StrategyConfig(
            strategy_id="bollinger-banks",
            namespace=Namespace.PAPER,
            strategy_type="mean_reversion",
            instruments=pick("HDFCBANK", "ICICIBANK", "SBIN"),
            parameters={"quantity": 15, "cooldown_seconds": 180},
            risk_limits=RiskLimits(max_position_notional=50_000),
        ),
        StrategyConfig(
            strategy_id="crossover-it",
            namespace=Namespace.PAPER,
            strategy_type="ma_crossover",
            instruments=pick("INFY", "WIPRO", "HCLTECH"),
            parameters={
                "quantity": 20,
                "fast_window": 5,
                "slow_window": 20,
                "cooldown_seconds": 60,
            },
            risk_limits=RiskLimits(max_daily_loss=2_000),
        ),
    ]


async def define_strategies(settings: Settings, strategies: list[StrategyConfig]) -> None:
    """Publish the strategies' definitions, as `alpha-panda strategies add` does."""
    definitions = DefinitionPublisher.from_settings(settings)
    await definitions.start()
    try:
        for strategy in strategies:
            await definitions.define(strategy)
    finally:
        await definitions.close()


async def configure(dsn: str) -> str:
    """Migrate the session database and create the dashboard user; return its password."""
    pool = await connect(dsn)
    try:
        password = generate_password()
        await UserStore(UserRepository(pool)).add(DASHBOARD_USER, Role.TRADER, password)
        return password
    finally:
        await pool.close()


def api_environment() -> dict[str, str]:
    """Return a throw-away JWT signing key for the session's API process."""
    key = generate_hmac_key("session")
    assert key.secret is not None
    keys = [{"kid": key.kid, "algorithm": key.algorithm, "secret": key.secret.get_secret_value()}]
    return {
        "ALPHA_PANDA_AUTH_JWT_KEYS": json.dumps(keys),
        "ALPHA_PANDA_AUTH_JWT_ACTIVE_KID": key.kid,
    }
