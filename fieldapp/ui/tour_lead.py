"""The team lead's part of the tour (`fieldapp.ui.tour`): the lead's own window on its
own laptop store, signed in as the demo's lead, driven like the agent's app.

The review queue (the demo's earlier visits and the one the tour just made), that visit's
evidence (the policy check, the conversation, the agreement PDF verified and painted),
returning it with a comment, the team figures; later, the agent's answer to the return.
"""

from __future__ import annotations

from typing import Any

from fieldapp.core.timeutil import zone
from fieldapp.ui.context import SignedInUser
from fieldapp.ui.settings import SettingsStore

TABS = {"policy": 0, "conversation": 1, "notes": 2, "agreement": 3, "history": 4}


class LeadPart:
    def __init__(self, tour: Any) -> None:
        from fieldapp.ui.app import build_context
        from fieldapp.ui.tour import DEMO_ZONE

        self.tour = tour
        self.ctx = build_context(tour.lead, settings_store=SettingsStore(tour.out / ".tour-lead-settings.json"),
                                 language=tour.languages[0], clock=tour.clock, local_zone=zone(DEMO_ZONE))
        self.window: Any = None

    def _sync(self, what: str) -> None:
        window, tour = self.window, self.tour
        window.start_sync()
        tour.wait(lambda: not window.syncing, what)
        tour.idle(what, self.ctx)

    def _open(self, visit_id: str, tab: str) -> Any:
        window, tour = self.window, self.tour
        window.open_visit(visit_id)
        ev = window.evidence
        tour.wait(lambda: ev.visit_id == visit_id, "the visit's evidence")
        tour.idle("the visit's evidence", self.ctx)
        ev.tabs.setCurrentIndex(TABS[tab])
        return ev

    def review(self, visit_id: str) -> None:
        """Sign in as the lead, read the visit's evidence, return it with a comment."""
        from fieldapp.ui.lead.window import LeadWindow
        from fieldapp.ui.tour import LEAD_COMMENT, TourError

        tour, ctx = self.tour, self.ctx
        result = tour.lead.login(tour.server_url, *tour.lead_login)
        ctx.user = SignedInUser.from_login(result, tour.lead_login[0])
        window = self.window = LeadWindow(ctx, tour.lead, save_path=lambda *_: None)
        window.resize(1280, 800)
        window.show()
        self._sync("the lead's first sync")
        tour.wait(lambda: window.queue.model.find(visit_id) >= 0, "the visit in the lead's queue")
        tour.shot(window, "lead_queue", ctx=ctx)
        self._open(visit_id, "policy")
        tour.shot(window, "lead_evidence", ctx=ctx)
        ev = self._open(visit_id, "conversation")
        tour.shot(window, "lead_conversation", ctx=ctx)
        ev = self._open(visit_id, "agreement")
        if not ev.evidence.pdf_intact:
            raise TourError(f"the agreement PDF on the lead's laptop did not verify: {ev.verification.text()}")
        tour.shot(window, "lead_agreement", ctx=ctx, pdf=ev.pdf.view.viewport())
        dialog = window.ask_decision(visit_id, "return")
        dialog.comment.setPlainText(LEAD_COMMENT)
        tour.shot(dialog, "lead_return", ctx=ctx)
        dialog.accept()
        tour.wait(lambda: window.dialog is None and not window.syncing, "the lead's decision sent")
        tour.idle("the lead's decision", ctx)
        ev = self._open(visit_id, "history")
        if str(ev.evidence.item.review.state) != "returned" or ev.return_button.isEnabled():
            raise TourError(f"the return did not reach the server: {ev.state.text()}")
        tour.shot(window, "lead_returned", ctx=ctx)
        window.show_screen("figures")
        figures = window.figures
        tour.wait(lambda: figures.figures is not None and figures.table.rowCount() > 1, "the team figures")
        tour.idle("the team figures", ctx)
        tour.shot(window, "lead_figures", ctx=ctx)

    def answered(self, visit_id: str) -> None:
        """The agent's answer reaches the lead: the visit is to review again."""
        from fieldapp.ui.tour import TourError

        tour, window = self.tour, self.window
        self._sync("the lead's sync after the answer")
        window.show_screen("queue")
        ev = self._open(visit_id, "notes")
        if not ev.evidence.item.replies or str(ev.evidence.item.review.state) != "pending":
            raise TourError("the agent's answer did not reach the lead")
        tour.shot(window, "lead_answered", ctx=self.ctx)

    def close(self) -> None:
        if self.window is not None:
            self.window.close()
        self.ctx.tasks.shutdown(wait=True)
