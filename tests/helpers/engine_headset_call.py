"""A call from the engine's account to the tone peer, heard both ways through the headset.

The virtual headset's microphone plays 700 Hz and the peer plays 1000 Hz; the call is up
once the peer's recording holds the microphone's tone and the headset speaker the peer's.
"""

from __future__ import annotations

from pathlib import Path

from agent_app.telephony import protocol as p
from agent_app.telephony.client import EngineClient
from testbed.audio_call import wav_tail
from testbed.audio_server import LISTEN_POLL_S, Recording, tone_share
from testbed.timing import wait_until
from tests.helpers.telephony_peers import EventLog


def call_heard_both_ways(
    client: EngineClient,
    events: EventLog,
    peer_port: int,
    record: Path,
    heard: Recording,
    through: str,
) -> None:
    """Dial the peer on 127.0.0.1:``peer_port`` as call ``c1`` and wait until each side hears
    the other (``record``: the peer's recording; ``heard``: the headset speaker's)."""
    client.send(
        p.AddAccount(
            account=p.AccountSpec(
                account_id="agent", username="agent", domain="127.0.0.1", register=False
            )
        )
    )
    client.send(p.Dial(call_id="c1", account_id="agent", target=f"sip:peer@127.0.0.1:{peer_port}"))
    events.wait_type(p.CallStateChanged, call_id="c1", state="confirmed", timeout=20)
    wait_until(
        lambda: record.exists() and tone_share(wav_tail(record, 1.0), 16000, 700) > 0.9,
        interval=LISTEN_POLL_S,
        what=f"the headset microphone at the peer through {through}",
    )
    wait_until(
        lambda: tone_share(heard.samples()[-48000:], 48000, 1000) > 0.9,
        interval=LISTEN_POLL_S,
        what=f"the peer on the headset through {through}",
    )
