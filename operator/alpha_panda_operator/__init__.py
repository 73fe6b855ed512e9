"""Kubernetes operator turning TradingStrategy and BrokerSession resources into Deployments."""

GROUP = "alphapanda.io"
VERSION = "v1alpha1"
API_VERSION = f"{GROUP}/{VERSION}"
