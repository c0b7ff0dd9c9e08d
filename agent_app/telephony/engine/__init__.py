"""The pjsua2 owner: one Endpoint, its accounts and calls, on one dedicated thread.

pjsua2 runs with ``uaConfig.threadCnt = 0`` and is pumped by ONE Python thread that
:class:`~.core.Engine` starts (``pulse-sip``): it creates the Endpoint, polls
``libHandleEvents``, runs every command and receives every callback, so no other Python
thread enters pjsua2 (why: docs/decisions/0002-pjsua2-polled-on-one-thread.md). Other
threads use ``Engine.submit``, which only appends to a queue; media runs on pjsua2's own
threads.

Call lifetime: each ``pj.Call`` stays in ``Engine._calls`` until DISCONNECTED and its last
reference is dropped at the end of the callback reporting it; its players, recorders and
bridge links are released before it. Shutdown hangs up every call, pumps until all are
gone, drops all references, collects garbage, shuts the accounts down and only then
calls ``libDestroy``; failed commands lose their traceback so no frame keeps a pjsua2
object alive past it.

Every call event also goes to a :class:`~agent_app.telephony.call_tones.ToneDecider`
when the bridge can play tones. Events leave through ``on_event``, called on the pjsua2
thread with a :mod:`~agent_app.telephony.protocol` dataclass; it must return quickly.

The parts: :mod:`.core` (the thread, its queue, the command dispatch) combines the mixins
:mod:`.library` (Endpoint set-up, TLS, teardown), :mod:`.accounts`, :mod:`.calls` and
:mod:`.media` (bridge wiring, conferences, the RTP watchdog), all built on :mod:`.base`;
:mod:`.pj_subclasses` only forward pjsua2's callbacks and :mod:`.records` hold what the
engine keeps per call and per account.
"""
