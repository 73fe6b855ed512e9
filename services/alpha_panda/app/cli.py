"""The `alpha-panda` command: serve, backtest, status, strategies, dlq, health, reconcile, users."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence

import asyncpg

from alpha_panda.adapters.postgres.migrations import connect
from alpha_panda.adapters.postgres.users import UserRepository
from alpha_panda.app.pre_trading_checks import infrastructure_checks
from alpha_panda.app.strategy_commands import configure_strategies_parser, run_strategies_command
from alpha_panda.app.wiring import SERVICES
from alpha_panda.auth.user_commands import configure_users_parser, run_users_command
from alpha_panda.auth.users import UserError, UserStore
from alpha_panda.core.health import HealthRegistry
from alpha_panda.core.settings import Settings, SettingsError, load_settings
from alpha_panda.core.streaming.dead_letters import (
    read_dead_letters,
    replay_dead_letters,
    replay_group,
)
from alpha_panda.domain.values import Namespace
from alpha_panda.status.command import configure_status_parser, run_status

PASS_THROUGH = {"backtest"}


def parser() -> argparse.ArgumentParser:
    """Return the command-line parser."""
    root = argparse.ArgumentParser(prog="alpha-panda", description=__doc__)
    commands = root.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run one service process (what a pod runs)")
    serve.add_argument("service", choices=[*SERVICES, "api"])
    commands.add_parser("backtest", help="run strategies over a tick file")
    commands.add_parser("health", help="run the pre-trading checks and print the report")
    status = commands.add_parser(
        "status", help="strategies, services and broker session of a namespace, from the API"
    )
    configure_status_parser(status)
    strategies = commands.add_parser("strategies", help="define, pause or retire strategies")
    configure_strategies_parser(strategies)
    dlq = commands.add_parser("dlq", help="inspect or replay dead letters")
    dlq.add_argument("action", choices=["list", "replay"])
    dlq.add_argument("topic", help="the original topic, e.g. paper.signals.raw")
    dlq.add_argument("--limit", type=int, default=100)
    commands.add_parser(
        "reconcile",
        help="compare the zerodha portfolio's saved positions with Kite's (net) and list the "
        "tagged orders and trades in Kite's books that have no order event",
    )
    users = commands.add_parser("users", help="manage API users")
    configure_users_parser(users)
    return root


def main(argv: Sequence[str] | None = None) -> int:
    """Dispatch a command; return the exit code."""
    arguments_list = list(sys.argv[1:] if argv is None else argv)
    if arguments_list and arguments_list[0] in PASS_THROUGH:
        return _backtest(arguments_list[1:])
    arguments = parser().parse_args(arguments_list)
    if arguments.command == "serve":
        return _serve(arguments.service)
    if arguments.command == "status":  # reads the API over HTTP: no local settings needed
        return run_status(arguments)
    # Commands act on shared infrastructure; identity settings matter only to services.
    os.environ.setdefault("ALPHA_PANDA_SERVICE_NAME", "cli")
    os.environ.setdefault("ALPHA_PANDA_NAMESPACE", "paper")
    try:
        settings = load_settings()
    except SettingsError as error:
        print(error, file=sys.stderr)
        return 2
    return asyncio.run(_command(arguments, settings))


def _backtest(rest: list[str]) -> int:
    from alpha_panda.backtest.__main__ import main as backtest

    return backtest(rest)


def _serve(service: str) -> int:
    if service == "api":
        from alpha_panda.api.serve import main as serve_api

        return serve_api()
    from alpha_panda.app.main import main as serve

    return serve(service)


async def _command(arguments: argparse.Namespace, settings: Settings) -> int:
    if arguments.command == "health":
        report = await HealthRegistry(infrastructure_checks(settings)).run()
        print(report.render())
        return 0 if report.ready else 1
    if arguments.command == "dlq":
        return await _dlq(arguments, settings)
    if arguments.command == "strategies":
        return await run_strategies_command(arguments, settings)
    pool = await connect(settings.postgres_dsn.get_secret_value())
    try:
        if arguments.command == "reconcile":
            return await _reconcile(settings, pool)
        return await _users(arguments, UserStore(UserRepository(pool)))
    finally:
        await pool.close()


async def _users(arguments: argparse.Namespace, store: UserStore) -> int:
    try:
        print(await run_users_command(arguments, store, sys.stdin.read))
    except UserError as error:
        print(f"alpha-panda users: {error}", file=sys.stderr)
        return 1
    return 0


async def _reconcile(settings: Settings, pool: asyncpg.Pool) -> int:
    from alpha_panda.core.streaming import FatalError, TransientError
    from alpha_panda.portfolio_manager.reconciliation import reconcile_saved
    from alpha_panda.trading_engine.reconciler import missing_order_events

    if settings.namespace is not Namespace.ZERODHA:
        print("reconcile compares the zerodha namespace: set ALPHA_PANDA_NAMESPACE=zerodha")
        return 2
    try:
        differences = await reconcile_saved(settings, pool)
        missing = await missing_order_events(settings, pool)
    except (FatalError, TransientError) as error:
        print(f"cannot reach Kite: {error}", file=sys.stderr)
        return 2
    for difference in differences:
        print(difference.describe())
    print(f"{len(differences)} position difference(s) with Kite")
    for event in missing:
        print(f"no event: {type(event).__name__} {event.model_dump_json()}")
    print(f"{len(missing)} order event(s) missing for orders in Kite's books")
    return 1 if differences or missing else 0


async def _dlq(arguments: argparse.Namespace, settings: Settings) -> int:
    if arguments.action == "replay":
        count = await replay_dead_letters(
            settings.kafka_bootstrap,
            arguments.topic,
            replay_group=replay_group(settings.group_prefix),
            limit=arguments.limit,
        )
        print(f"replayed {count} record(s) onto {arguments.topic}")
        return 0
    for letter in await read_dead_letters(
        settings.kafka_bootstrap, arguments.topic, arguments.limit
    ):
        print(
            f"{letter.failed_at} {letter.topic}[{letter.partition}]@{letter.offset} "
            f"attempts={letter.attempts} group={letter.consumer_group} "
            f"{letter.error_class}: {letter.error_message}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
