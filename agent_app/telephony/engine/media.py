"""Media wiring: each call's conference port to the audio bridge, players, recorders and
conferences; media-state changes, mute, and the RTP watchdog that hangs up a silent call."""

from __future__ import annotations

import contextlib
import time
import wave

import pjsua2 as pj

from agent_app.telephony import protocol as p
from agent_app.telephony.engine.base import EngineBase
from agent_app.telephony.engine.errors import EngineError
from agent_app.telephony.engine.pj_subclasses import EngineCall
from agent_app.telephony.engine.records import CallRecord

_MEDIA_STATES: dict[int, p.MediaStateName] = {
    pj.PJSUA_CALL_MEDIA_NONE: "none",
    pj.PJSUA_CALL_MEDIA_ACTIVE: "active",
    pj.PJSUA_CALL_MEDIA_LOCAL_HOLD: "local_hold",
    pj.PJSUA_CALL_MEDIA_REMOTE_HOLD: "remote_hold",
    pj.PJSUA_CALL_MEDIA_ERROR: "error",
}


class MediaWiring(EngineBase):
    """A re-INVITE (hold, resume) re-creates a call's conference port: every media-state
    change rewires it, and mute acts at the source."""

    # ------------------------------------------------------------ commands

    def _cmd_mute(self, cmd: p.Mute) -> None:
        record = self._record(cmd.call_id)
        record.muted = cmd.muted
        self._connect_media(record)

    def _cmd_conference(self, cmd: p.Conference) -> None:
        if len(cmd.call_ids) < 2:
            raise EngineError("a conference needs at least two calls")
        members = {call_id for call_id in cmd.call_ids if self._record(call_id)}
        self._conferences = [g for g in self._conferences if not (g & members)]
        self._conferences.append(members)
        for call_id in members:
            self._connect_media(self._calls[call_id])

    def _cmd_play_file(self, cmd: p.PlayFile) -> None:
        record = self._record(cmd.call_id)
        player = pj.AudioMediaPlayer()
        player.createPlayer(cmd.path, 0)
        record.players.append(player)
        self._connect_media(record)

    def _cmd_drop_message(self, cmd: p.DropMessage) -> None:
        record = self._record(cmd.call_id)
        try:
            with wave.open(cmd.path) as fh:
                seconds = fh.getnframes() / float(fh.getframerate())
        except (OSError, wave.Error, EOFError, ZeroDivisionError):
            raise EngineError("the message is not a readable WAV file") from None
        if record.media is not None and self._audio is not None and record.bridged:
            with contextlib.suppress(Exception):
                self._audio.disconnect_call(record.media)
        record.bridged = False
        record.muted = True  # keeps the agent's microphone out on any rewiring
        player = pj.AudioMediaPlayer()
        player.createPlayer(cmd.path, pj.PJMEDIA_FILE_NO_LOOP)
        record.players = [player]
        if record.media is not None:
            player.startTransmit(record.media)
        # A little past the end: the last frames reach the far end before the BYE.
        record.message_ends_at = time.monotonic() + seconds + 0.5

    def _cmd_record_file(self, cmd: p.RecordFile) -> None:
        record = self._record(cmd.call_id)
        recorder = pj.AudioMediaRecorder()
        recorder.createRecorder(cmd.path)
        record.recorders.append(recorder)
        self._connect_media(record)

    # ------------------------------------------------------------ media wiring

    def _connect_media(self, record: CallRecord) -> None:
        """(Re)wire the call's current conference port; safe to repeat."""
        media = record.media
        if media is None:
            return
        dropping = record.message_ends_at is not None
        for player in record.players:
            if record.muted and not dropping:
                with contextlib.suppress(pj.Error):
                    player.stopTransmit(media)
            else:
                player.startTransmit(media)
        for recorder in record.recorders:
            media.startTransmit(recorder)
        if self._audio is not None and not dropping:
            self._audio.set_muted(record.muted)
            self._audio.connect_call(media)
            record.bridged = True
        for group in self._conferences:
            if record.call.call_id not in group:
                continue
            for other_id in group - {record.call.call_id}:
                other = self._calls.get(other_id)
                if other is None or other.media is None:
                    continue
                media.startTransmit(other.media)
                other.media.startTransmit(media)

    def _release_call_media(self, record: CallRecord) -> None:
        media = record.media
        if media is not None and self._audio is not None and record.bridged:
            with contextlib.suppress(Exception):
                self._audio.disconnect_call(media)
        record.bridged = False
        record.media = None
        record.players.clear()
        record.recorders.clear()

    # ------------------------------------------------------------ callbacks (pjsua2 thread)

    def _on_call_media_state(self, call: EngineCall) -> None:
        record = self._calls.get(call.call_id)
        if record is None:
            return
        info = call.getInfo()
        state: p.MediaStateName = "none"
        media = None
        for m in info.media:
            if m.type != pj.PJMEDIA_TYPE_AUDIO:
                continue
            state = _MEDIA_STATES.get(int(m.status), "none")
            if m.status in (pj.PJSUA_CALL_MEDIA_ACTIVE, pj.PJSUA_CALL_MEDIA_REMOTE_HOLD):
                media = call.getAudioMedia(m.index)
            break
        if record.media is not None and record.bridged and self._audio is not None:
            with contextlib.suppress(Exception):
                self._audio.disconnect_call(record.media)
            record.bridged = False
        record.media = media
        record.media_state = state
        self._tones.media(call.call_id, media is not None)
        self._sync_tone(time.monotonic())
        record.last_rx, record.last_rx_change = -1, time.monotonic()
        codec, srtp = "", False
        if media is not None:
            with contextlib.suppress(pj.Error):
                stream = call.getStreamInfo(0)
                codec = str(stream.codecName)
                # With optional SRTP the profile stays RTP/AVP while SDES keys are in
                # use; the call dump is the one place pjsua2 reports the SRTP state.
                srtp = "SRTP status: Active" in str(call.dump(True, ""))
            self._connect_media(record)
        self._emit(p.MediaChanged(call.call_id, state, codec, srtp))

    # ------------------------------------------------------------ media watchdog

    def _end_dropped_messages(self, now: float) -> None:
        for record in list(self._calls.values()):
            if record.message_ends_at is None or now < record.message_ends_at:
                continue
            record.message_ends_at = None
            record.end_reason = "message left"
            record.hangup_requested = True
            with contextlib.suppress(pj.Error):
                record.call.hangup(pj.CallOpParam(True))

    def _watch_media(self, now: float) -> None:
        self._end_dropped_messages(now)
        timeout = self._config.media_timeout_s
        stats_every = self._config.stats_interval_s
        emit_stats = stats_every > 0 and now - self._last_stats >= stats_every
        if emit_stats:
            self._last_stats = now
        if timeout <= 0 and not emit_stats:
            return
        for record in list(self._calls.values()):
            if record.media is None:
                continue
            try:
                stat = record.call.getStreamStat(0)
            except pj.Error:
                continue
            rx, tx = int(stat.rtcp.rxStat.pkt), int(stat.rtcp.txStat.pkt)
            if emit_stats:
                self._emit(p.MediaStats(record.call.call_id, rx, tx))
            if rx != record.last_rx or record.media_state_hold():
                record.last_rx, record.last_rx_change = rx, now
            elif timeout > 0 and now - record.last_rx_change >= timeout:
                record.ended_by = "media_timeout"
                record.end_reason = f"no audio from the peer for {timeout:g} s"
                record.hangup_requested = True
                with contextlib.suppress(pj.Error):
                    record.call.hangup(pj.CallOpParam(True))
