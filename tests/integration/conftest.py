"""Fixtures shared by integration tests of several folders: a module defines `stack` (the
in-process shared services of one namespace); these feed it signals and read its verdicts."""

from tests.integration.definitions.support import signals, verdicts

__all__ = ["signals", "verdicts"]
