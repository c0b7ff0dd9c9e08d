"""Pulse central server: the system of record for agents, campaigns, scripts and dispositions."""
