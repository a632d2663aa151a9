"""The lead's view of what customers said and of notices that need a person: complaints to
answer before their due date, and notices cut off or refused. Online only (the server
decides; nothing is worth keeping offline here), through the lead's transport and session.

Mixed into `LeadService`, which supplies `_lead_transport()`, `_token()` and `tr`.
"""

from __future__ import annotations

from fieldapp.core.errors import BadInput
from fieldapp.protocol.appointments import (
    AnswerRequest,
    ComplaintItem,
    ComplaintsResponse,
    NoticeDecision,
    NoticeInfo,
    NoticesResponse,
)

NOTICE_DECISIONS = ("resend", "mark_sent", "drop")


class CustomerVoice:
    def complaints(self, state: str | None = None) -> list[ComplaintItem]:
        """The team's complaints, open ones first, the earliest due first (network)."""
        params = {"state": state} if state else None
        answer = self._lead_transport()._call("GET", "/lead/complaints", ComplaintsResponse,  # type: ignore[attr-defined]
                                              token=self._token(), params=params)  # type: ignore[attr-defined]
        return answer.items

    def answer_complaint(self, complaint_id: str, answer: str) -> ComplaintItem:
        answer = answer.strip()
        if not answer:
            raise BadInput(self.tr("Write the answer for the customer first."), field="answer")  # type: ignore[attr-defined]
        return self._lead_transport()._call(  # type: ignore[attr-defined]
            "POST", f"/lead/complaints/{complaint_id}/answer", ComplaintItem, token=self._token(),  # type: ignore[attr-defined]
            json_body=AnswerRequest(answer=answer))

    def notices(self) -> list[NoticeInfo]:
        """Notices that need a person: cut off by a crash, refused, or retrying after errors."""
        return self._lead_transport()._call("GET", "/lead/notices", NoticesResponse,  # type: ignore[attr-defined]
                                            token=self._token()).items  # type: ignore[attr-defined]

    def decide_notice(self, notice_id: str, decision: str) -> NoticeInfo:
        if decision not in NOTICE_DECISIONS:
            raise BadInput(self.tr("unknown decision {decision!r}", decision=decision), field="decision")  # type: ignore[attr-defined]
        return self._lead_transport()._call(  # type: ignore[attr-defined]
            "POST", f"/lead/notices/{notice_id}/decide", NoticeInfo, token=self._token(),  # type: ignore[attr-defined]
            json_body=NoticeDecision(decision=decision))  # type: ignore[arg-type]
