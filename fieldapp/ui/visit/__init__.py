"""The guided home visit: reusable widgets and the flow that strings them together.

- `flow_state.FlowState`: the steps and what they collect, Qt-free (drafts resume from it);
- `flow.VisitFlow`: the thin widget over it;
- the pieces: `signature_pad`, `script_player`, `plan_builder`, `pdf_preview`, `checkin`
  (and `precheck`, `outcome_step`, `sign_step`, `decision_view` used by the flow).

Wiring, in the app (blocking service calls go through the task runner)::

    setup = VisitSetup(case, load_policy(case.policy_id), load_script(shipped_script_id(case)),
                       agent_name, agent_id, Institution(bank_name, bank_address, registration))
    record = lambda visit, files: ctx.tasks.db(service.record_visit, visit, files).start()
    draft = service.load_draft(case.id)              # a DraftRow, or None
    flow = (VisitFlow.resume(setup, ctx.language, draft.state, on_done=record) if draft
            else VisitFlow(setup, ctx.language, on_done=record))
    flow.draft_changed.connect(lambda state: ctx.tasks.db(service.save_draft, case.id, state).start())

Modules are imported directly; this package imports nothing, so the Qt-free parts
(`setup`, `flow_state`, `record`, `plan_words`) stay usable without Qt.
"""
