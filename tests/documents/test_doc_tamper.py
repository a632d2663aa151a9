"""Every way we know to alter a signed, sealed agreement is refused: byte edits, incremental
updates (an annotation printing a new amount, a dropped or swapped page), rewritten files
(names, identity tail, dates, clause text, amounts, in CNY and in yen), damaged fonts, and a
document made again from altered terms and signed with a foreign key."""

from __future__ import annotations

import datetime as dt

import pytest
from doc_builders import terms_dict
from doc_pdfedit import (
    damage_font, flip_byte, incremental_drop_page, incremental_overprint, incremental_swap_pages,
    replace_in_content, rewrite_drop_page,
)

from fieldapp.core.errors import BadInput
from fieldapp.documents.agreement import build_agreement_pdf
from fieldapp.documents.signing import seal_pdf, sign_pdf
from fieldapp.documents.terms import parse_terms
from fieldapp.documents.verify import verify_pdf
from fieldapp.documents import authority as ca

SIGNED_AT = dt.datetime(2026, 3, 2, 2, 45, tzinfo=dt.timezone.utc)


def _signed_sealed(terms, test_pki) -> bytes:
    pdf = sign_pdf(build_agreement_pdf(terms, "both", created=SIGNED_AT), test_pki.signer, now=SIGNED_AT)
    return seal_pdf(pdf, tsa_key=test_pki.tsa_key, tsa_cert=test_pki.tsa, chain=(test_pki.root,),
                    crl=test_pki.crl, now=SIGNED_AT + dt.timedelta(hours=2))


@pytest.fixture(scope="module")
def sealed(terms, test_pki) -> bytes:
    return _signed_sealed(terms, test_pki)


@pytest.fixture(scope="module")
def sealed_jpy(test_pki) -> bytes:
    data = terms_dict(currency="JPY", amount_due="1234567",
                      plan={"kind": "instalments", "count": 6, "frequency": "monthly", "first_due": "2026-03-31"})
    return _signed_sealed(parse_terms(data), test_pki)


def refused(pdf: bytes, test_pki) -> list[str]:
    """The reasons a tampered file is refused; BadInput (unreadable, exit 2) counts as refused."""
    try:
        v = verify_pdf(pdf, trust=[test_pki.root], now=SIGNED_AT + dt.timedelta(days=1))
    except BadInput as exc:
        return [str(exc)]
    assert not v.intact, "a tampered file verified as intact"
    assert v.status == "altered"
    return v.problems


def test_the_untouched_files_verify(sealed, sealed_jpy, test_pki):
    for pdf in (sealed, sealed_jpy):
        v = verify_pdf(pdf, trust=[test_pki.root], now=SIGNED_AT + dt.timedelta(days=1))
        assert v.intact, v.problems


@pytest.mark.parametrize("where", [0.02, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99])
def test_single_byte_edits(sealed, test_pki, where):
    at = int(len(sealed) * where)
    assert refused(flip_byte(sealed, at), test_pki)


def test_bytes_hidden_in_the_space_reserved_for_a_signature(sealed, test_pki):
    for field in (b"/Contents <", ):
        start = sealed.index(field) + len(field)
        end = sealed.index(b">", start)
        at = end - 10                                   # zero padding after the CMS
        assert sealed[at:at + 1] == b"0"
        problems = refused(sealed[:at] + b"7" + sealed[at + 1:], test_pki)
        assert any("space reserved for the signature" in p for p in problems)


def test_an_annotation_printing_a_new_amount_in_an_incremental_update(sealed, test_pki):
    problems = refused(incremental_overprint(sealed, "Amount due 1,345.67 CNY"), test_pki)
    assert any("changed after it was signed" in p for p in problems)


def test_pages_dropped_or_swapped(sealed, test_pki):
    assert any("changed after it was signed" in p for p in refused(incremental_drop_page(sealed), test_pki))
    assert any("changed after it was signed" in p for p in refused(incremental_swap_pages(sealed), test_pki))
    assert refused(rewrite_drop_page(sealed, 1), test_pki)
    assert refused(rewrite_drop_page(sealed, 0), test_pki)


@pytest.mark.parametrize("old, new", [
    ("Nanjing Demo Bank", "Nanjing Demo Fund"),         # a party's name
    ("A-0042", "A-0043"),                               # the agent's id
    ("3412", "3419"),                                   # the identity document tail
    ("2026-03-31", "2026-04-30"),                       # a due date
    ("2026-03-02", "2026-03-12"),                       # the agreement date
    ("agrees to pay", "agrees to owe"),                 # clause text
    ("(12,345.67 CNY)", "(12,845.67 CNY)"),             # the amount due
    ("(12,345.67 CNY)", "(2,057.61 CNY)"),              # the amount due replaced by an instalment
    ("(2,057.62)", "(2,057.61)"),                       # an instalment moved to another row
])
def test_rewritten_facts(sealed, test_pki, old, new):
    assert refused(replace_in_content(sealed, old.encode("latin-1"), new.encode("latin-1")), test_pki)


@pytest.mark.parametrize("old, new", [(b"(1,234,567 JPY)", b"(1,234,667 JPY)"),
                                      (b"(205,761)", b"(205,771)")])
def test_yen_amounts(sealed_jpy, test_pki, old, new):
    assert refused(replace_in_content(sealed_jpy, old, new), test_pki)


def test_damaged_font_objects(sealed, test_pki):
    assert refused(damage_font(sealed), test_pki)


def test_made_again_from_altered_terms_and_signed_with_a_foreign_key(test_pki):
    other_key, other_root = ca.make_root("Nanjing Demo Bank", dt.datetime(2021, 1, 1, tzinfo=dt.timezone.utc))
    altered = parse_terms(terms_dict(amount_due="2345.67", plan={
        "kind": "instalments", "count": 6, "frequency": "monthly", "first_due": "2026-03-31"}))
    forger = test_pki.issue("李强", root_key=other_key, root=other_root)
    pdf = sign_pdf(build_agreement_pdf(altered, "both", created=SIGNED_AT), forger, now=SIGNED_AT)
    problems = refused(pdf, test_pki)
    assert any("another authority" in p for p in problems)


def test_signature_removed_leaves_an_unsigned_file(sealed, test_pki):
    import io

    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(sealed)))
    writer.root_object.pop("/AcroForm", None)
    for page in writer.pages:
        page.pop("/Annots", None)
    out = io.BytesIO()
    writer.write(out)
    v = verify_pdf(out.getvalue(), trust=[test_pki.root])
    assert not v.intact and v.status in ("unsigned", "altered")


def _hex_flip(pdf: bytes, at: int) -> bytes:
    data = bytearray(pdf)
    data[at] = ord("1") if data[at] != ord("1") else ord("2")
    return bytes(data)


def test_a_changed_certificate_in_a_signatures_container(sealed, test_pki):
    """The certificates a signature carries are outside what it signs: a changed byte in
    one (here in the root's own signature, near the end of its DER) leaves the CMS valid and
    parseable, and must still read as a change, in the signature and in the seal."""
    from cryptography.hazmat.primitives.serialization import Encoding

    root_hex = test_pki.root.public_bytes(Encoding.DER).hex().upper().encode()
    places = [i for i in range(len(sealed)) if sealed.startswith(root_hex, i)]
    assert len(places) >= 2  # carried by the agent's signature and by the server's receipt
    for place in places:
        problems = refused(_hex_flip(sealed, place + len(root_hex) - 12), test_pki)
        assert any("certificate the trusted root did not issue, or whose bytes were changed" in p
                   for p in problems), problems


def test_a_damaged_seal_does_not_vanish(sealed, test_pki):
    """A changed byte in the receipt's dictionary makes pyHanko pass over the field: the
    document would read as intact and merely unsealed. It reads as changed instead."""
    at = sealed.rindex(b"/SubFilter /ETSI.RFC3161") + len(b"/SubFi")
    problems = refused(flip_byte(sealed, at), test_pki)
    assert any("fieldapp-receipt: holds a signature or receipt that cannot be read" in p for p in problems)


def test_damaged_streams_after_the_signature_are_refused_in_one_line(sealed, test_pki):
    """pyHanko reads objects lazily: a damaged stream in the revisions the signatures do not
    cover (the seal's, the revocation data's) surfaced as a traceback from deep inside the
    validation. It is refused, as an unreadable file (exit 2, one line) or as altered."""
    first_end = sealed.index(b"%%EOF") + 5
    places = [i for i in range(first_end, len(sealed)) if sealed.startswith(b"endstream", i)]
    places += [i + 2 for i in range(first_end, len(sealed)) if sealed.startswith(b"/Length ", i)]
    assert len(places) >= 4
    for at in places:
        for problem in refused(flip_byte(sealed, at), test_pki):
            assert "\n" not in problem
