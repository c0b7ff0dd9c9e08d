"""The real peers and services that tests and benchmarks run against.

Daemons in temporary directories (gnome-keyring, PulseAudio, PostgreSQL, the central
server), the processes on the far end of a call, synthetic data to fill a store, and the
small timing helpers both share. Not part of the shipped package.
"""
