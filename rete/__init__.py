"""Rete: the territorial welfare network of ALER's public-housing tenants."""

__version__ = "0.1.0"
