"""Which PulseAudio sinks and sources exist right now, asked of the server directly.

Qt 6.12's PulseAudio backend adds devices to ``QMediaDevices`` as they appear but never
removes one (a removal event does not refresh its lists), and PulseAudio quietly moves
our streams to another device, so an unplugged headset would go unnoticed. On Linux the
audio thread therefore asks the server itself, through libpulse's own API (no extra
dependency: Qt Multimedia already needs libpulse0), once a second. Elsewhere (Windows:
WASAPI reports removal to Qt) this module reports nothing and Qt's lists are trusted.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import sys
from typing import Any

log = logging.getLogger(__name__)

_READY, _FAILED, _TERMINATED = 4, 5, 6
_OP_RUNNING = 0
_INFO_CB = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p)


class PulsePresence:
    """A blocking libpulse client used from one thread; ``present()`` costs ~1 ms."""

    def __init__(self) -> None:
        self._lib: Any = None
        self._loop: Any = None
        self._ctx: Any = None
        if not sys.platform.startswith("linux"):
            return
        name = ctypes.util.find_library("pulse") or "libpulse.so.0"
        try:
            lib = ctypes.CDLL(name)
        except OSError:
            return
        for fn, res, args in (
            ("pa_mainloop_new", ctypes.c_void_p, []),
            ("pa_mainloop_get_api", ctypes.c_void_p, [ctypes.c_void_p]),
            ("pa_mainloop_iterate", ctypes.c_int, [ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p]),
            ("pa_mainloop_free", None, [ctypes.c_void_p]),
            ("pa_context_new", ctypes.c_void_p, [ctypes.c_void_p, ctypes.c_char_p]),
            (
                "pa_context_connect",
                ctypes.c_int,
                [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.c_void_p],
            ),
            ("pa_context_get_state", ctypes.c_int, [ctypes.c_void_p]),
            ("pa_context_disconnect", None, [ctypes.c_void_p]),
            ("pa_context_unref", None, [ctypes.c_void_p]),
            (
                "pa_context_get_sink_info_list",
                ctypes.c_void_p,
                [ctypes.c_void_p, _INFO_CB, ctypes.c_void_p],
            ),
            (
                "pa_context_get_source_info_list",
                ctypes.c_void_p,
                [ctypes.c_void_p, _INFO_CB, ctypes.c_void_p],
            ),
            ("pa_operation_get_state", ctypes.c_int, [ctypes.c_void_p]),
            ("pa_operation_unref", None, [ctypes.c_void_p]),
        ):
            func = getattr(lib, fn)
            func.restype = res
            func.argtypes = args
        self._lib = lib

    def _connect(self) -> bool:
        lib = self._lib
        if lib is None:
            return False
        if self._ctx is not None:
            if lib.pa_context_get_state(self._ctx) == _READY:
                return True
            self.close()
        self._loop = lib.pa_mainloop_new()
        self._ctx = lib.pa_context_new(lib.pa_mainloop_get_api(self._loop), b"pulse-devices")
        # PA_CONTEXT_NOAUTOSPAWN (1): never start a server of our own.
        if lib.pa_context_connect(self._ctx, None, 1, None) < 0:
            self.close()
            return False
        for _ in range(200):
            state = lib.pa_context_get_state(self._ctx)
            if state == _READY:
                return True
            if state in (_FAILED, _TERMINATED):
                break
            lib.pa_mainloop_iterate(self._loop, 1, None)
        self.close()
        return False

    def _names(self, getter: Any) -> set[str] | None:
        names: set[str] = set()

        def collect(_ctx: Any, info: Any, eol: int, _user: Any) -> None:
            if eol == 0 and info:
                raw = ctypes.cast(info, ctypes.POINTER(ctypes.c_char_p))[0]
                if raw:
                    names.add(raw.decode("utf-8", "replace"))

        callback = _INFO_CB(collect)
        op = getter(self._ctx, callback, None)
        if not op:
            return None
        for _ in range(200):
            if self._lib.pa_operation_get_state(op) != _OP_RUNNING:
                break
            self._lib.pa_mainloop_iterate(self._loop, 1, None)
        self._lib.pa_operation_unref(op)
        return names

    def present(self) -> tuple[set[str], set[str]] | None:
        """(sink names, source names), or None when the server cannot be asked."""
        if not self._connect():
            return None
        sinks = self._names(self._lib.pa_context_get_sink_info_list)
        sources = self._names(self._lib.pa_context_get_source_info_list)
        if sinks is None or sources is None:
            return None
        return sinks, sources

    def close(self) -> None:
        lib = self._lib
        if lib is None:
            return
        if self._ctx is not None:
            lib.pa_context_disconnect(self._ctx)
            lib.pa_context_unref(self._ctx)
            self._ctx = None
        if self._loop is not None:
            lib.pa_mainloop_free(self._loop)
            self._loop = None
