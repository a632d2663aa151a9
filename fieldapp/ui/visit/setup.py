"""What a visit needs before it starts, gathered once by the app and handed to the flow.

Qt-free: the flow's controller (`flow_state`) and its tests use it headless. The case is
the wire record the agent's store holds; the policy, script and plan limits are the
institution's; the clock is injectable so a test (or a resumed visit) is repeatable.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from fieldapp.core.errors import BadInput
from fieldapp.core.i18n import normalise_language
from fieldapp.core.plans import PlanLimits
from fieldapp.core.timeutil import utcnow, zone
from fieldapp.policy import Policy
from fieldapp.protocol.v1 import CaseRecord
from fieldapp.script import Script
from fieldapp.script.notes import PhraseList

# The institution's standard clauses; an institution passes its own in `VisitSetup`.
DEFAULT_TERMS_TEXT: Mapping[str, str] = {
    "zh_CN": (
        "一、客户确认截至协议日尚欠上述应还金额，并同意按本协议的还款计划按期足额还款。\n"
        "二、客户按时履行本计划期间，债权人不再就上述欠款另行上门催收。\n"
        "三、如客户连续两期未按时还款，债权人可书面通知客户后终止本协议，剩余未还金额即到期。\n"
        "四、客户如遇经济困难，可随时联系债权人申请调整计划；调整须另行书面约定。\n"
        "五、本协议一式两份，双方各执一份，自双方签字之日起生效。"),
    "en": (
        "1. The customer confirms that the amount due above is owed at the date of this agreement "
        "and agrees to pay the agreed total according to the schedule.\n"
        "2. While the customer keeps to the schedule, the creditor will make no further home visits "
        "about this debt.\n"
        "3. If two consecutive payments are missed, the creditor may end this agreement by written "
        "notice; the unpaid balance then falls due.\n"
        "4. A customer in financial difficulty may ask the creditor at any time to change the plan; "
        "a change must be agreed in writing.\n"
        "5. This agreement is made in two copies, one for each party, and takes effect when both "
        "have signed."),
}

# Shipped scripts by the customer's region (ISO country before any '-').
SHIPPED_SCRIPTS = {"CN": "home_visit_cn", "US": "home_visit_us"}


@dataclass(frozen=True)
class Institution:
    """The creditor: `name` as the agreement prints it; `names` per language, as the
    script says it (empty: the script says `name`)."""

    name: str
    address: str | None = None
    registration: str | None = None
    names: Mapping[str, str] = field(default_factory=dict)


@dataclass
class VisitSetup:
    case: CaseRecord
    policy: Policy
    script: Script
    agent_name: str
    agent_id: str
    institution: Institution
    limits: PlanLimits = field(default_factory=PlanLimits)
    terms_text: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_TERMS_TEXT))
    clock: Callable[[], _dt.datetime] = utcnow
    phrases: PhraseList | None = None
    corrects_visit_id: str | None = None
    agreement_lang: str | None = None  # zh_CN | en | both; None: from the customer
    practice: Any = None  # fieldapp.policy.Practice: what the agent practised of this script
    # fieldapp.sync.enrol.SigningSetup (device key and certificate, evidence key, server
    # address) when this laptop is enrolled; None: agreements are unsigned drafts.
    signing: Any = None
    # The case's photos waiting for this visit, with their files: [(PhotoRef, JPEG bytes)],
    # read when the visit is recorded, so that the signed report lists exactly the photos
    # the visit takes along (fieldapp.sync.photos). None: no photos (a headless test).
    photos: Callable[[], list[tuple[Any, bytes]]] | None = None

    def now(self) -> _dt.datetime:
        value = self.clock()
        if value.tzinfo is None:
            raise ValueError("the visit clock must give timezone-aware times")
        return value

    def customer_today(self) -> _dt.date:
        """The customer's local date now: the agreement date and the plan's 'today'."""
        return self.now().astimezone(zone(self.case.customer.timezone)).date()

    def case_facts(self) -> dict[str, Any]:
        """The case data the conversation script may read (fieldapp.script.CaseFacts)."""
        case = self.case
        return {
            "customer_name": case.customer.name,
            "agent_name": self.agent_name,
            "institution": dict(self.institution.names) or self.institution.name,
            "reference": case.reference,
            "amount_due": case.amount_due,
            "currency": case.currency,
            "days_past_due": case.days_past_due,
            "tier": case.tier,
            "product": case.product,
            "timezone": case.customer.timezone,
        }

    def document_lang(self) -> str:
        """The agreement's language: both (Chinese first) for Chinese-speaking customers."""
        if self.agreement_lang:
            return self.agreement_lang
        spoken = self.case.customer.language
        if spoken:
            try:
                return "both" if normalise_language(spoken) == "zh_CN" else "en"
            except BadInput:
                pass
        return "both" if self.case.customer.region.upper().startswith("CN") else "en"


def shipped_script_id(case: CaseRecord) -> str:
    """The shipped script for the customer's region; BadInput when none fits."""
    country = case.customer.region.split("-", 1)[0].upper()
    try:
        return SHIPPED_SCRIPTS[country]
    except KeyError:
        raise BadInput(f"no shipped conversation script for region {case.customer.region}; "
                       "the institution must name one", field="script") from None
