"""Rules of the architecture that a code review could miss."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = [*sorted((ROOT / "services").rglob("*.py")), *sorted((ROOT / "operator").rglob("*.py"))]
STREAMING_CORE = ROOT / "services" / "alpha_panda" / "core" / "streaming"
TOPIC_MODULE = ROOT / "services" / "alpha_panda" / "core" / "topics.py"
DOMAIN = ROOT / "services" / "alpha_panda" / "domain"
TOPIC_NAME = re.compile(
    r"(^|\.)(market\.ticks|(paper|zerodha)\.(signals|orders)\.[a-z]+)(\.dlq)?$|\.dlq$"
)
PUBLISH_MODULE = STREAMING_CORE / "publish.py"
KAFKA_CLIENTS = {"AIOKafkaProducer", "AIOKafkaConsumer", "KafkaProducer", "KafkaConsumer"}
PRODUCERS = {"AIOKafkaProducer", "KafkaProducer"}
FORBIDDEN_IN_DOMAIN = (
    "aiokafka",
    "asyncpg",
    "redis",
    "aiohttp",
    "kiteconnect",
    "fastapi",
    "kopf",
    "kubernetes",
)
PRODUCT_PACKAGES = {
    "alpha_panda.adapters",
    "alpha_panda.api",
    "alpha_panda.app",
    "alpha_panda.core.streaming",
    "alpha_panda.market_feed",
    "alpha_panda.portfolio_manager",
    "alpha_panda.risk_manager",
    "alpha_panda.strategy_runner",
    "alpha_panda.trading_engine",
    "alpha_panda_operator",
}
"""What the domain may never import: I/O adapters, the streaming core and the services."""
DEVTOOLS = ROOT / "devtools"
DEVTOOL_PACKAGES = {path.parent.name for path in DEVTOOLS.glob("*/__init__.py")}


def parsed(path: Path) -> ast.AST:
    return ast.parse(path.read_text(), filename=str(path))


def relative(path: Path) -> str:
    return str(path.relative_to(ROOT))


def test_the_product_tree_is_scanned():
    assert len(PRODUCT) > 10 and any(p.is_relative_to(STREAMING_CORE) for p in PRODUCT)


def names_used(path: Path) -> list[tuple[str, int]]:
    """Return every name, alias and attribute spelt in a module, with its line."""
    found = []
    for node in ast.walk(parsed(path)):
        if isinstance(node, ast.Name | ast.alias | ast.Attribute):
            name = getattr(node, "id", None) or getattr(node, "name", None)
            found.append((name or getattr(node, "attr", ""), node.lineno))
    return found


def test_only_the_publish_module_creates_producers():
    offenders = [
        f"{relative(path)}:{line}"
        for path in PRODUCT
        if path != PUBLISH_MODULE
        for name, line in names_used(path)
        if name in PRODUCERS
    ]
    assert offenders == [], "producers belong in alpha_panda.core.streaming.publish"


def test_only_the_streaming_core_touches_kafka_clients():
    offenders = [
        f"{relative(path)}:{line}"
        for path in PRODUCT
        if not path.is_relative_to(STREAMING_CORE)
        for name, line in names_used(path)
        if name in KAFKA_CLIENTS
    ]
    assert offenders == [], "Kafka clients outside alpha_panda.core.streaming"


def test_no_topic_name_is_spelt_outside_the_topic_map():
    offenders = [
        f"{relative(path)}:{node.lineno} {node.value!r}"
        for path in PRODUCT
        if path != TOPIC_MODULE
        for node in ast.walk(parsed(path))
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and TOPIC_NAME.search(node.value)
    ]
    assert offenders == [], "topic names belong in alpha_panda.core.topics"


@pytest.mark.parametrize("path", sorted(DOMAIN.rglob("*.py")), ids=relative)
def test_the_domain_does_no_io(path):
    bad = {
        name
        for name in imported_modules(parsed(path))
        if name.split(".")[0] in FORBIDDEN_IN_DOMAIN
        or any(name == p or name.startswith(p + ".") for p in PRODUCT_PACKAGES)
    }
    assert bad == set()


@pytest.mark.parametrize(
    "path",
    sorted(
        p
        for package in ("strategy_runner", "risk_manager", "trading_engine", "portfolio_manager")
        for p in (ROOT / "services" / "alpha_panda" / package).glob("service.py")
    ),
    ids=relative,
)
def test_service_handlers_touch_no_kafka_client_and_no_sql(path):
    imported = imported_modules(parsed(path))
    assert not {name for name in imported if name.split(".")[0] in ("aiokafka", "asyncpg")}
    assert not {name for name in imported if name.startswith("alpha_panda.adapters.postgres")}


def imported_modules(tree: ast.AST) -> set[str]:
    """Return every module an import statement of the tree names (absolute imports only)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_the_product_imports_no_devtools():
    assert {"kite_sim", "local_run"} <= DEVTOOL_PACKAGES
    offenders = {
        f"{relative(path)}: {name}"
        for path in PRODUCT
        for name in imported_modules(parsed(path))
        if name.split(".")[0] in DEVTOOL_PACKAGES
    }
    assert offenders == set(), "devtools depend on the product, never the reverse"


def test_the_detectors_catch_what_they_look_for():
    assert TOPIC_NAME.search("paper.orders.filled") and TOPIC_NAME.search("x.market.ticks.dlq")
    assert not TOPIC_NAME.search("alpha_panda.core.topics")
    sample = ast.parse("from aiokafka import AIOKafkaProducer\np = AIOKafkaProducer()")
    names = {getattr(n, "id", None) or getattr(n, "name", None) for n in ast.walk(sample)}
    assert names & KAFKA_CLIENTS and names & PRODUCERS
    assert imported_modules(ast.parse("import kite_sim.rest\nfrom local_run import run")) == {
        "kite_sim.rest",
        "local_run",
    }
