"""Pulse central server: the system of record for agents, campaigns, scripts and dispositions."""

__version__ = "0.1.0"
