"""The short form of `make chaos`: both namespaces under kills, dependency restarts and bad
records, every invariant checked by the fault suite itself against the real servers."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from tests.conftest import ROOT

pytestmark = [pytest.mark.integration, pytest.mark.chaos]


@pytest.mark.timeout(1000)  # the run's own bound is 900 s
def test_a_short_fault_run_keeps_every_invariant() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "chaos", "--duration", "150", "--seed", "3", "--outage", "10"],
        cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        capture_output=True,
        text=True,
        timeout=900,
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-6000:]
    kills = re.search(r"service kills\s+(\d+) \(each restarted: (\d+)\)", output)
    assert kills is not None and int(kills[1]) >= 8 and kills[1] == kills[2], output[-3000:]
    assert re.search(r"duplicate orders\s+0\n", output), output[-3000:]
    assert re.search(r"missing from ledger\s+0 orders, 0 trades", output), output[-3000:]
    assert "dependency restarts    " in output and "kafka 1" in output, output[-3000:]
    letters = re.search(r"dead letters\s+(\d+)\n", output)
    assert letters is not None and int(letters[1]) >= 4, output[-3000:]
    assert re.search(r"invariants broken\s+0\n", output), output[-3000:]
