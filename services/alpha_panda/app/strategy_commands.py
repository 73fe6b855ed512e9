"""`alpha-panda strategies list|add|remove|pause|resume`: the definitions stream outside
Kubernetes (under Kubernetes the operator publishes it from TradingStrategy resources)."""

from __future__ import annotations

import argparse
import json

from pydantic import ValidationError

from alpha_panda.core.settings import Settings
from alpha_panda.definitions.publisher import DefinitionPublisher
from alpha_panda.domain.strategies.config import StrategyConfig, StrategyDefined
from alpha_panda.domain.strategies.registry import StrategyConfigError, build_strategy
from alpha_panda.domain.values import Namespace


def configure_strategies_parser(strategies: argparse.ArgumentParser) -> None:
    """Add the strategy actions to the `strategies` command."""
    actions = strategies.add_subparsers(dest="action", required=True)
    actions.add_parser("list", help="the definitions in force, in every namespace")
    add = actions.add_parser("add", help="define (or redefine) a strategy from a JSON file")
    add.add_argument("file", type=argparse.FileType())
    for action, what in (("remove", "retire"), ("pause", "pause"), ("resume", "resume")):
        command = actions.add_parser(action, help=f"{what} a defined strategy")
        command.add_argument("strategy_id")


async def run_strategies_command(arguments: argparse.Namespace, settings: Settings) -> int:
    """Carry out one strategy action; print what happened; return the exit code."""
    definitions = DefinitionPublisher.from_settings(settings)
    await definitions.start()
    try:
        return await _act(arguments, definitions)
    finally:
        await definitions.close()


async def _act(arguments: argparse.Namespace, definitions: DefinitionPublisher) -> int:
    if arguments.action == "add":
        try:
            config = StrategyConfig.model_validate(json.loads(arguments.file.read()))
            build_strategy(  # refuse what no runner could run, before anything is published
                config.strategy_id, config.strategy_type, config.instruments, config.parameters
            )
        except (ValueError, ValidationError, StrategyConfigError) as error:
            print(f"alpha-panda strategies add: {error}")
            return 2
        published = await definitions.define(config)
        print(f"defined {config.strategy_id} ({config.strategy_type}, {config.namespace})"
              f" generation {published.generation}")  # fmt: skip
        return 0
    current = {namespace: await definitions.current(namespace) for namespace in Namespace}
    if arguments.action == "list":
        for namespace, defined in current.items():
            for strategy_id, definition in defined.items():
                print(_line(namespace, strategy_id, definition))
        return 0
    strategy_id = arguments.strategy_id
    found = [ns for ns, defined in current.items() if strategy_id in defined]
    if not found:
        print(f"alpha-panda strategies {arguments.action}: {strategy_id} is not defined")
        return 1
    namespace = found[0]
    if arguments.action == "remove":
        await definitions.remove(strategy_id, namespace)
        print(f"removed {strategy_id} ({namespace})")
        return 0
    paused = arguments.action == "pause"
    await definitions.set_paused(strategy_id, namespace, paused)
    print(f"{'paused' if paused else 'resumed'} {strategy_id} ({namespace})")
    return 0


def _line(namespace: Namespace, strategy_id: str, definition: StrategyDefined) -> str:
    config = definition.config
    state = "paused" if config.paused else "active"
    return f"{strategy_id}\t{namespace}\t{config.strategy_type}\t{state}\t{definition.generation}"
