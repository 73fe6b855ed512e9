"""Kubernetes operator turning TradingStrategy and BrokerSession resources into Deployments."""

from alpha_panda.adapters.kubernetes import GROUP, VERSION

API_VERSION = f"{GROUP}/{VERSION}"

__all__ = ["API_VERSION", "GROUP", "VERSION"]
