"""What signing adds to an agreement: the unsigned render against render + PAdES signature
(with the handwriting evidence of both signers encrypted and embedded), in the same run.

Target: signing adds less than 50% to a render (median CPU time, the two alternating so
that other load falls on both alike). The receipt seal (server side) is printed too.
"""

from __future__ import annotations

import datetime as dt
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent.parent / "documents"))
sys.path.insert(0, str(Path(__file__).parent.parent))

from doc_builders import terms_dict  # noqa: E402
from pki_kit import make_pki  # noqa: E402

from fieldapp.documents import evidence  # noqa: E402
from fieldapp.documents.agreement import build_agreement_pdf  # noqa: E402
from fieldapp.documents.signing import seal_pdf, sign_pdf  # noqa: E402
from fieldapp.documents.terms import parse_terms  # noqa: E402
from fieldapp.documents.verify import verify_pdf  # noqa: E402

RUNS = 21
AT = dt.datetime(2026, 3, 2, 2, 45, tzinfo=dt.timezone.utc)


def _strokes() -> evidence.Handwriting:
    """A realistic signature: 6 strokes of 80 points over about 3 s."""
    strokes = tuple(tuple((20.0 + i * 3 + s * 50, 60.0 + (i % 17), s * 500 + i * 6, 0.5) for i in range(80))
                    for s in range(6))
    return evidence.Handwriting(640, 220, strokes, AT, False)


def test_signing_cost_next_to_the_render():
    kit = make_pki()
    terms = parse_terms(terms_dict())
    signer, key = kit.signer, evidence.load_public_key(kit.evidence_public_pem)
    writing = _strokes()

    def render() -> bytes:
        return build_agreement_pdf(terms, "both", created=AT, draft=True)

    def render_and_sign() -> bytes:
        envelopes = {role: evidence.seal(writing, key, evidence.context(terms.agreement_id, role, sig.sha256))
                     for role, sig in terms.signatures.items()}
        pdf = build_agreement_pdf(terms, "both", created=AT, evidence=envelopes)
        return sign_pdf(pdf, signer, now=AT)

    signed = render_and_sign()   # warm both paths (imports, font subsetting caches)
    render()
    cpu: dict[str, list[float]] = {"render": [], "signed": []}
    for _ in range(RUNS):
        for name, fn in (("render", render), ("signed", render_and_sign)):
            start = time.process_time()
            fn()
            cpu[name].append(time.process_time() - start)
    base = statistics.median(cpu["render"]) * 1000
    total = statistics.median(cpu["signed"]) * 1000
    added = total - base

    seal_times = []
    for _ in range(5):
        start = time.process_time()
        sealed = seal_pdf(signed, tsa_key=kit.tsa_key, tsa_cert=kit.tsa, chain=(kit.root,), crl=kit.crl,
                          now=AT + dt.timedelta(hours=1))
        seal_times.append(time.process_time() - start)
    verify_times = []
    for _ in range(5):
        start = time.process_time()
        assert verify_pdf(sealed, trust=[kit.root], now=AT + dt.timedelta(days=1)).intact
        verify_times.append(time.process_time() - start)

    print(f"\nagreement render (unsigned draft): {base:.1f} ms CPU (baseline)")
    print(f"render + evidence + PAdES signature: {total:.1f} ms CPU; signing adds {added:.1f} ms "
          f"= {added / base:.0%} of a render (target < 50%)")
    print(f"server seal on receipt: {statistics.median(seal_times) * 1000:.1f} ms; "
          f"full verification: {statistics.median(verify_times) * 1000:.1f} ms")
    assert added / base < 0.5, f"signing adds {added / base:.0%} to a render"
