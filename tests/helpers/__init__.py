"""Helpers shared by the test suites: real daemons started in temporary directories."""
