"""Pulse's own audio path: pjsua2's conference bridge <-> Qt Multimedia devices.

Pure parts (no pjsua2, no Qt): :mod:`.ring`, :mod:`.resampler`, :mod:`.drift`,
:mod:`.meters`, :mod:`.tones`. The pjsua2 side is :mod:`.port` (the AudioMediaPort that
only moves bytes on the media clock thread). The Qt side runs on a QThread of its own
(:mod:`.audio_thread`), where :mod:`.device_worker` opens the :mod:`.capture` and
:mod:`.playback` streams on the devices :mod:`.routing` chooses and moves them on hot-plug.
:mod:`.bridge` ties both sides into the ``CallAudio`` the telephony engine drives.
"""
