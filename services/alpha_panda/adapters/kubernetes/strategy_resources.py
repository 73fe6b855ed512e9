"""TradingStrategy resources as the API's kill switch: under the operator a strategy's
`spec.paused` is the one pause state, so the API patches it and the operator publishes the
definition that the runner and the risk manager obey, as for a `kubectl patch`."""

from __future__ import annotations

import asyncio
from typing import Any, cast

from kubernetes import client
from kubernetes.client.exceptions import ApiException

from alpha_panda.adapters.kubernetes import GROUP, VERSION, api_client_from_environment

PLURAL = "tradingstrategies"


class StrategyResources:
    """Patches `spec.paused` of the TradingStrategies of one Kubernetes namespace.

    Its ServiceAccount needs `get` and `patch` on tradingstrategies there, and nothing more.
    """

    def __init__(self, namespace: str, api_client: client.ApiClient) -> None:
        self.namespace = namespace
        self._custom = client.CustomObjectsApi(api_client)

    @classmethod
    def from_environment(cls, namespace: str) -> StrategyResources:
        """Connect as the pod's service account (or the kubeconfig outside a cluster)."""
        return cls(namespace, api_client_from_environment())

    async def set_paused(self, name: str, paused: bool) -> dict[str, Any] | None:
        """Set the resource's `spec.paused`; return the patched resource, or None when no such
        resource exists."""
        try:
            patched = await asyncio.to_thread(
                self._custom.patch_namespaced_custom_object,
                GROUP,
                VERSION,
                self.namespace,
                PLURAL,
                name,
                {"spec": {"paused": paused}},
            )
        except ApiException as error:
            if error.status == 404:
                return None
            raise
        return cast(dict[str, Any], patched)
