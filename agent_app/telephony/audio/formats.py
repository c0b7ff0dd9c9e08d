"""Sample formats: the one a device stream is opened with, its server period in frames, and
device bytes <-> float32 samples (:class:`SampleCodec`)."""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtMultimedia import QAudioDevice, QAudioFormat


def choose_format(device: QAudioDevice, rate: int = 0) -> QAudioFormat:
    """Mono 16-bit at ``rate`` (the call's) when the device takes it, else at the device's
    own rate; else its preferred layout.

    At the call's rate the sound server converts (PulseAudio does it in its own process,
    with its SIMD resampler) and the bridge only has to follow clock drift.
    """
    preferred = device.preferredFormat()
    fmt = QAudioFormat()
    fmt.setSampleFormat(QAudioFormat.SampleFormat.Int16)
    fmt.setChannelCount(1)
    if rate:
        fmt.setSampleRate(rate)
        if device.isFormatSupported(fmt):
            return fmt
    fmt.setSampleRate(preferred.sampleRate() or 48000)
    if device.isFormatSupported(fmt):
        return fmt
    fmt.setChannelCount(max(1, preferred.channelCount()))
    if device.isFormatSupported(fmt):
        return fmt
    return preferred


def period_frames(rate: int, ms: int) -> int:
    """The smallest power of two frames lasting at least ``ms`` (what Qt accepts)."""
    want = max(1, rate * ms // 1000)
    return 1 << (want - 1).bit_length()


_DTYPES: dict[Any, tuple[np.dtype[Any], float, float]] = {
    QAudioFormat.SampleFormat.Int16: (np.dtype("<i2"), 32768.0, 0.0),
    QAudioFormat.SampleFormat.Int32: (np.dtype("<i4"), 2147483648.0, 0.0),
    QAudioFormat.SampleFormat.Float: (np.dtype("<f4"), 1.0, 0.0),
    QAudioFormat.SampleFormat.UInt8: (np.dtype("u1"), 128.0, 128.0),
}


class SampleCodec:
    """Device bytes <-> float32 mono for one format, its parameters looked up once."""

    def __init__(self, fmt: QAudioFormat) -> None:
        self.dtype, self.scale, self.offset = _DTYPES[fmt.sampleFormat()]
        self.channels = max(1, fmt.channelCount())
        self.frame_bytes = self.dtype.itemsize * self.channels
        self.is_pcm16_mono = self.dtype == np.dtype("<i2") and self.channels == 1
        """The bridge's own sample format: bytes are the ring's samples as they are."""
        if self.dtype.kind == "f":
            self._lo, self._hi = -1.0, 1.0
        else:
            info = np.iinfo(self.dtype)
            self._lo, self._hi = float(info.min), float(info.max)

    def decode_pcm(self, data: bytes | bytearray | memoryview) -> np.ndarray:
        """Device bytes -> float32 mono on the int16 scale (what the bridge works in).

        16-bit mono, what the bridge asks for, is one conversion and nothing else.
        """
        if self.dtype.itemsize == 2 and self.channels == 1:
            return np.frombuffer(data, self.dtype, len(data) // 2).astype(np.float32)
        x = self.decode(data)
        x *= 32768.0
        return x

    def encode_pcm(self, samples: np.ndarray) -> bytes:
        """float32 mono on the int16 scale -> device bytes (clipped, not wrapped)."""
        if self.dtype.itemsize == 2 and self.channels == 1:
            y = np.clip(samples, -32768.0, 32767.0, out=samples).astype(self.dtype)
            data: bytes = y.tobytes()
            return data
        return self.encode(samples * (1.0 / 32768.0))

    def decode(self, data: bytes | bytearray | memoryview) -> np.ndarray:
        usable = len(data) // self.frame_bytes * self.frame_bytes
        x = np.frombuffer(data, self.dtype, usable // self.dtype.itemsize).astype(np.float32)
        if self.offset:
            x -= self.offset
        x *= 1.0 / self.scale
        if self.channels > 1:
            x = x.reshape(-1, self.channels).mean(axis=1)
        return np.asarray(x, np.float32)

    def encode(self, samples: np.ndarray) -> bytes:
        if self.dtype.kind == "f":
            y = np.clip(samples, -1.0, 1.0).astype(self.dtype)
        else:
            scaled = samples * self.scale
            if self.offset:
                scaled += self.offset
            np.rint(scaled, out=scaled)
            y = np.clip(scaled, self._lo, self._hi).astype(self.dtype)
        if self.channels > 1:
            y = np.repeat(y, self.channels)
        data: bytes = y.tobytes()
        return data


def decode(data: bytes, fmt: QAudioFormat) -> np.ndarray:
    """Device bytes -> float32 mono."""
    return SampleCodec(fmt).decode(data)


def encode(samples: np.ndarray, fmt: QAudioFormat) -> bytes:
    """float32 mono -> device bytes."""
    return SampleCodec(fmt).encode(samples)
