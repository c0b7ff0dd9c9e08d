"""The pjsua2 subclasses (Endpoint, Account, Call): they only forward callbacks to the engine.

They never hold state of their own; the protocols say what each one forwards to.
"""

from __future__ import annotations

from typing import Any, Protocol

import pjsua2 as pj


class EndpointCallbacks(Protocol):
    def _on_transport_state(self, prm: Any) -> None: ...

    def _on_rejected_incoming(self, code: int, reason: str) -> None: ...


class AccountCallbacks(Protocol):
    def _on_reg_state(
        self, account: EngineAccount, code: int, reason: str, expires: int
    ) -> None: ...

    def _on_incoming_call(self, account: EngineAccount, pj_id: int, message: str) -> None: ...


class CallCallbacks(Protocol):
    def _on_call_state(self, call: EngineCall) -> None: ...

    def _on_call_media_state(self, call: EngineCall) -> None: ...

    def _on_dtmf(self, call: EngineCall, digit: str, method: int, duration: int) -> None: ...

    def _on_transfer_request(self, call: EngineCall, prm: Any) -> None: ...

    def _on_transfer_status(
        self, call: EngineCall, code: int, reason: str, final: bool
    ) -> None: ...

    def _on_call_replaced(self, call: EngineCall, prm: Any) -> None: ...


class EngineEndpoint(pj.Endpoint):  # type: ignore[misc]
    def __init__(self, engine: EndpointCallbacks) -> None:
        super().__init__()
        self._engine = engine

    def onTransportState(self, prm: Any) -> None:
        self._engine._on_transport_state(prm)

    def onRejectedIncomingCall(self, prm: Any) -> None:
        self._engine._on_rejected_incoming(int(prm.statusCode), str(prm.reason))


class EngineAccount(pj.Account):  # type: ignore[misc]
    def __init__(self, engine: AccountCallbacks, account_id: str) -> None:
        super().__init__()
        self._engine = engine
        self.account_id = account_id

    def onRegState(self, prm: Any) -> None:
        self._engine._on_reg_state(self, int(prm.code), str(prm.reason), int(prm.expiration))

    def onIncomingCall(self, prm: Any) -> None:
        self._engine._on_incoming_call(self, int(prm.callId), str(prm.rdata.wholeMsg))


class EngineCall(pj.Call):  # type: ignore[misc]
    def __init__(
        self, engine: CallCallbacks, account: EngineAccount, call_id: str, pj_id: int
    ) -> None:
        if pj_id < 0:
            super().__init__(account)
        else:
            super().__init__(account, pj_id)
        self._engine = engine
        self.call_id = call_id

    def onCallState(self, prm: Any) -> None:
        self._engine._on_call_state(self)

    def onCallMediaState(self, prm: Any) -> None:
        self._engine._on_call_media_state(self)

    def onDtmfDigit(self, prm: Any) -> None:
        self._engine._on_dtmf(self, str(prm.digit), int(prm.method), int(prm.duration))

    def onCallTransferRequest(self, prm: Any) -> None:
        self._engine._on_transfer_request(self, prm)

    def onCallTransferStatus(self, prm: Any) -> None:
        self._engine._on_transfer_status(
            self, int(prm.statusCode), str(prm.reason), bool(prm.finalNotify)
        )

    def onCallReplaced(self, prm: Any) -> None:
        self._engine._on_call_replaced(self, prm)
