"""The only code that imports pjsua2.

The engine process, its protocol, and the client that drives it.
"""
