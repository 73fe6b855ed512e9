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
KAFKA_CLIENTS = {"AIOKafkaProducer", "AIOKafkaConsumer", "KafkaProducer", "KafkaConsumer"}
FORBIDDEN_IN_DOMAIN = ("aiokafka", "asyncpg", "redis", "aiohttp", "kiteconnect", "fastapi", "kopf")
DEVTOOLS = ROOT / "devtools"
DEVTOOL_PACKAGES = {path.parent.name for path in DEVTOOLS.glob("*/__init__.py")}


def parsed(path: Path) -> ast.AST:
    return ast.parse(path.read_text(), filename=str(path))


def relative(path: Path) -> str:
    return str(path.relative_to(ROOT))


def test_the_product_tree_is_scanned():
    assert len(PRODUCT) > 10 and any(p.is_relative_to(STREAMING_CORE) for p in PRODUCT)


def test_only_the_streaming_core_touches_kafka_clients():
    offenders = [
        f"{relative(path)}:{node.lineno}"
        for path in PRODUCT
        if not path.is_relative_to(STREAMING_CORE)
        for node in ast.walk(parsed(path))
        if isinstance(node, ast.Name | ast.alias | ast.Attribute)
        and (
            getattr(node, "id", None) or getattr(node, "name", None) or getattr(node, "attr", None)
        )
        in KAFKA_CLIENTS
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
    imported = set()
    for node in ast.walk(parsed(path)):
        if isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module)
    bad = {
        name
        for name in imported
        if name.split(".")[0] in FORBIDDEN_IN_DOMAIN
        or name.startswith(
            ("alpha_panda.adapters", "alpha_panda.core.streaming", "alpha_panda.services")
        )
    }
    assert bad == set()


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
    assert names & KAFKA_CLIENTS
    assert imported_modules(ast.parse("import kite_sim.rest\nfrom local_run import run")) == {
        "kite_sim.rest",
        "local_run",
    }
