"""Run the operator: `python -m alpha_panda_operator`."""

from __future__ import annotations

import logging

import kopf

from alpha_panda_operator import handlers
from alpha_panda_operator.config import OperatorConfig


def main() -> None:
    """Run kopf with the operator's handlers, on the configured namespaces or cluster-wide."""
    config = OperatorConfig()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger(__name__).info("handlers from %s", handlers.__name__)
    namespaces = config.watched_namespaces
    kopf.run(
        standalone=True,
        clusterwide=not namespaces,
        namespaces=namespaces,
        # the probe handlers answer here: the pod's readiness probe; liveness only needs the port
        liveness_endpoint=f"http://0.0.0.0:{config.http_port}/readyz",
    )


if __name__ == "__main__":
    main()
