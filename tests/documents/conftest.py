from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from doc_builders import terms_dict  # noqa: E402

from fieldapp.core.plans import PlanLimits  # noqa: E402
from fieldapp.documents.terms import parse_terms  # noqa: E402


@pytest.fixture(scope="session")
def terms():
    return parse_terms(terms_dict(), limits=PlanLimits())


@pytest.fixture(scope="session")
def agreement_pdf(terms) -> bytes:
    from fieldapp.documents.agreement import build_agreement_pdf

    return build_agreement_pdf(terms, "both")
