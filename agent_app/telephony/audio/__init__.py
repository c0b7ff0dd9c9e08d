"""Pulse's own audio path: pjsua2's conference bridge <-> Qt Multimedia devices.

Pure parts (no pjsua2, no Qt): :mod:`.ring`, :mod:`.resampler`, :mod:`.drift`,
:mod:`.meters`, :mod:`.tones`. The pjsua2 side is :mod:`.port` (the AudioMediaPort that
only moves bytes on the media clock thread); the Qt side is :mod:`.devices` (sources,
sinks, device lists and hot-plug on a QThread of its own); :mod:`.bridge` ties them into
the ``CallAudio`` the telephony engine drives.
"""
