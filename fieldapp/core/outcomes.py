"""The fixed list of visit outcome codes, shared by scripts, the app and the server.

A script's `end` node names one of these; the server refuses any other. The list is
documented in resources/scripts/README.md. Adding a code is a protocol change.
"""

from __future__ import annotations

from enum import StrEnum


class Outcome(StrEnum):
    PAID = "paid"                              # paid in full during or before the visit
    PROMISE_TO_PAY = "promise_to_pay"          # a dated promise of an amount
    AGREEMENT_SIGNED = "agreement_signed"      # a repayment agreement signed by both
    PARTIAL_PAYMENT = "partial_payment"        # part paid; rest open
    HARDSHIP_REFERRED = "hardship_referred"    # hardship or vulnerability: referred, visit ended kindly
    DISPUTE_RAISED = "dispute_raised"          # customer disputes the debt: collection stops
    REFUSED = "refused"                        # customer declined to discuss or pay
    NOT_HOME = "not_home"                      # nobody answered
    WRONG_ADDRESS = "wrong_address"            # customer does not live there
    THIRD_PARTY_ONLY = "third_party_only"      # spoke only with someone else; debt not mentioned
    ASKED_TO_LEAVE = "asked_to_leave"          # asked to leave; agent left
    VISIT_ABORTED_DISTRESS = "visit_aborted_distress"  # customer distressed; agent ended the visit


CONTACT_OUTCOMES = frozenset({
    Outcome.PAID, Outcome.PROMISE_TO_PAY, Outcome.AGREEMENT_SIGNED, Outcome.PARTIAL_PAYMENT,
    Outcome.HARDSHIP_REFERRED, Outcome.DISPUTE_RAISED, Outcome.REFUSED, Outcome.ASKED_TO_LEAVE,
    Outcome.VISIT_ABORTED_DISTRESS,
})
"""Outcomes where contact with the customer was made (frequency limits count these)."""
