"""Entry point of the frozen bundle: ``pulse-agent``, and the engine process it starts.

The desktop starts its telephony engine as ``<python> -m agent_app.telephony.engine_server``
(:mod:`agent_app.telephony.client`); in the bundle ``sys.executable`` is this program, so
that same command line arrives here and runs the engine (and ``pulse-agent --self-check``
runs its probe, and the desk its secrets helper, the same way). Only the modules named below
can be run that way: the bundle is not a general Python interpreter.
"""

from __future__ import annotations

import sys

_RUNNABLE = (
    "agent_app.telephony.engine_server",
    "agent_app.telephony.probe",
    "agent_app.secrets.helper",
)


def main() -> int:
    args = sys.argv[1:]
    if args[:1] == ["-m"]:
        module = args[1] if len(args) > 1 else ""
        if module not in _RUNNABLE:
            print(f"pulse-agent: -m {module}: not a module of this bundle", file=sys.stderr)
            return 2
        sys.argv = [sys.argv[0], *args[2:]]
        if module == "agent_app.secrets.helper":  # the desk's keyring and device key
            from agent_app.secrets import helper

            return helper.main()
        if module == "agent_app.telephony.probe":  # the self-check's pjsua2 and audio probe
            from agent_app.telephony import probe

            return probe.main(sys.argv[1:])
        from agent_app.telephony import engine_server

        return engine_server.main()

    from agent_app.cli import main as desk

    return desk()


if __name__ == "__main__":
    sys.exit(main())
