"""The Kubernetes API: the client every Alpha Panda process connects with, and the
TradingStrategy resources the API pauses and resumes under the operator."""

from __future__ import annotations

import os

from kubernetes import client, config

GROUP = "alphapanda.io"
VERSION = "v1alpha1"


def api_client_from_environment() -> client.ApiClient:
    """Connect with the pod's service account in a cluster, or else with the kubeconfig."""
    configuration = client.Configuration()
    try:
        config.load_incluster_config(client_configuration=configuration)  # type: ignore[no-untyped-call]
    except config.ConfigException:
        # read KUBECONFIG now: the library's default is fixed when it is first imported
        config.load_kube_config(  # type: ignore[no-untyped-call]
            config_file=os.environ.get("KUBECONFIG"), client_configuration=configuration
        )
    return client.ApiClient(configuration)
