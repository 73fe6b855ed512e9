"""The README's main job: a local paper session whose summary agrees with the ledger."""

from __future__ import annotations

import asyncio
import re

import asyncpg
import pytest

from tests.integration.api.paper_session import start_local_run

pytestmark = pytest.mark.integration


async def test_a_short_session_trades_and_its_summary_matches_the_ledger(infra):
    process = await start_local_run(infra, "--duration", "25", "--quiet")
    output = (await asyncio.wait_for(process.communicate(), timeout=240))[0].decode()
    assert process.returncode == 0, output

    verdict = re.search(
        r"portfolio agrees with the PostgreSQL ledger \((\d+) fills booked in (\w+)\)", output
    )
    assert verdict, output
    booked, database = int(verdict.group(1)), verdict.group(2)
    assert booked > 0, output
    dsn = infra["ALPHA_PANDA_POSTGRES_DSN"].rsplit("/", 1)[0] + "/" + database
    ledger = await asyncpg.connect(dsn)
    try:
        fills = await ledger.fetchval("SELECT count(*) FROM ledger_fills WHERE namespace = 'paper'")
        charges = await ledger.fetchval("SELECT sum(charges) FROM ledger_fills")
    finally:
        await ledger.close()
    assert fills == booked
    total = re.search(r"^total\s+(\d+)\s+(-?[\d.]+)\s+([\d.]+)\s+(-?[\d.]+)$", output, re.MULTILINE)
    assert total, output
    assert int(total.group(1)) == fills
    assert f"{charges:.2f}" == total.group(3)
