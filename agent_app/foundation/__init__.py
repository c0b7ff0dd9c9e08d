"""The bottom layer every other layer may use: settings, file locations, logging with PHI
redaction, this workstation's id, and the Qt for Python workaround applied at each entry point."""
