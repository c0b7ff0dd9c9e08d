"""Qt widgets. They observe the core through signals and load their forms from ``ui/``."""

from agent_app.foundation import qt_compat  # noqa: F401  (must run before any signal is emitted)
