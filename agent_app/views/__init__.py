"""Qt widgets. They observe the core through signals and load their forms from ``ui/``."""
