"""Package list for setuptools: the packages found under agent_app, server and
pulse_contract, plus the top-level ``ui/`` and ``resources/`` folders shipped inside
agent_app (mapped in pyproject.toml, which cannot add packages to a ``find``; the rest of
the build configuration lives there). See docs/decisions/0022-forms-and-resources-in-the-wheel.md.
"""

from setuptools import find_packages, setup

setup(
    packages=[
        *find_packages(
            include=["agent_app", "agent_app.*", "server", "server.*", "pulse_contract"]
        ),
        "agent_app._ui",
        "agent_app._resources",
    ],
)
