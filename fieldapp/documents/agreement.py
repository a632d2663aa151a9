"""The repayment agreement PDF: data in, PDF bytes out (signed afterwards, see signing.py).

What it carries: the canonical terms embedded as `agreement-terms.json` (with both
signature PNGs and, from the app, the encrypted handwriting data beside them), their
SHA-256 printed in every page footer, in a QR code on every page and in the document
keywords; amounts and dates are drawn as plain ASCII so a verifier can read them back
(see facts.py). None of that makes it tamper-evident by itself: the PAdES signature
added by `fieldapp.documents.signing` does. A PDF that is not going to be signed is a
*draft*: every page is marked so, and `verify` calls it unsigned.

With a `verify_url` (the server's address) the QR code is the link
`<verify_url>/verify/<sha256>` to the server's page that says whether the document is
authentic; without one it holds `fieldapp:agreement:1;id=...;sha256=...`.
"""

from __future__ import annotations

import datetime as _dt
import io
import itertools
from typing import Mapping

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Image, KeepTogether, Spacer

from fieldapp.core.errors import BadInput
from fieldapp.core.plans import Frequency, PlanKind, remainder_of
from fieldapp.core.timeutil import zone
from fieldapp.documents.layout import (
    MARGIN, MUTED, RULE, Attachment, Labels, Styles, block, build_pdf, check_render_lang, grid,
    money_text, para, styles_for_default_font,
)
from fieldapp.documents.qr import draw_qr
from fieldapp.documents.terms import AgreementTerms

TERMS_FILE = "agreement-terms.json"
KEYWORD_PREFIX = "fieldapp-agreement/1"
QR_SIZE = 24 * mm
DRAFT_INK = colors.Color(0.78, 0.16, 0.16, alpha=0.22)
_WIDTH = A4[0] - 2 * MARGIN
_PLAN_TEXT = {
    Frequency.WEEKLY: "{count} weekly instalments, the first due on {date}",
    Frequency.FORTNIGHTLY: "{count} fortnightly instalments, the first due on {date}",
    Frequency.MONTHLY: "{count} monthly instalments, the first due on {date}",
}


def qr_payload(agreement_id: str, sha256: str, verify_url: str | None = None) -> str:
    if verify_url:
        return verify_link(verify_url, sha256)
    return f"fieldapp:agreement:1;id={agreement_id};sha256={sha256}"


def verify_link(server_url: str, sha256: str) -> str:
    return f"{server_url.rstrip('/')}/verify/{sha256}"


def signature_file(role: str) -> str:
    return f"signature-{role}.png"


def evidence_file(role: str) -> str:
    return f"signature-{role}.evidence.json"


def build_agreement_pdf(terms: AgreementTerms, lang: str = "both", *, where: str | None = None,
                        draft: bool = False, created: _dt.datetime | None = None,
                        verify_url: str | None = None, evidence: Mapping[str, bytes] | None = None) -> bytes:
    """Render `terms` as an A4 agreement in zh_CN, en or both side by side.

    `where` (the terms' file name) prefixes errors about text the font cannot show.
    `draft` marks every page as not (digitally) signed; a draft may lack the handwritten
    signatures. `created` is the CreationDate (default: now). `evidence` maps a signer's
    role to its encrypted handwriting data (fieldapp.documents.evidence), embedded as
    `signature-<role>.evidence.json`.
    """
    lang = check_render_lang(lang)
    font, styles = styles_for_default_font()
    for field_name, text, multiline in terms.texts():
        try:
            font.check(text, field=field_name, multiline=multiline)
        except BadInput as exc:
            raise BadInput(exc.reason, where=where, field=exc.field) from None
    for role, sig in terms.signatures.items():
        if sig.png is None:
            raise BadInput("the signature image is needed to render the agreement",
                           where=where, field=f"signatures.{role}")
    if not draft and set(terms.signatures) != {"customer", "agent"}:
        raise BadInput("both signatures are needed for a final agreement", where=where, field="signatures")
    labels = Labels(lang)
    digest = terms.sha256
    story = _story(terms, labels, styles, digest)
    attachments = [Attachment(TERMS_FILE, terms.canonical_bytes(), "application/json",
                              "Canonical agreement terms (SHA-256 printed on every page)")]
    attachments += [Attachment(signature_file(role), sig.png or b"", "image/png",
                               f"Signature of the {role}") for role, sig in terms.signatures.items()]
    attachments += [Attachment(evidence_file(role), blob, "application/json",
                               f"Handwriting of the {role}'s signature, encrypted to the institution")
                    for role, blob in sorted((evidence or {}).items())]
    return build_pdf(
        story, footer=_footer(terms.agreement_id, digest, labels, styles, verify_url),
        title=f"{labels.inline('Repayment agreement')} {terms.agreement_id}",
        subject=f"Repayment agreement {terms.agreement_id}",
        keywords=f"{KEYWORD_PREFIX} agreement:{terms.agreement_id} sha256:{digest}" + (" draft" if draft else ""),
        attachments=attachments, created=created, overlay=_draft_mark(labels, styles) if draft else None)


def _draft_mark(labels: Labels, styles: Styles):
    """A large diagonal mark across each page of a draft."""
    def draw(canvas: Canvas, page: int, total: int) -> None:
        canvas.saveState()
        canvas.setFillColor(DRAFT_INK)
        canvas.translate(A4[0] / 2, A4[1] / 2)
        canvas.rotate(35)
        lines = labels.parts("DRAFT · NOT DIGITALLY SIGNED")
        size = 30 if len(lines) == 1 else 26
        for i, line in enumerate(lines):
            canvas.setFont(styles.font, size)
            canvas.drawCentredString(0, (len(lines) / 2 - i - 0.7) * size * 1.3, line)
        canvas.restoreState()

    return draw


def _footer(agreement_id: str, digest: str, labels: Labels, styles: Styles, verify_url: str | None):
    def draw(canvas: Canvas, page: int, total: int) -> None:
        if not canvas.hasForm("agreement-qr"):
            canvas.beginForm("agreement-qr", 0, 0, QR_SIZE, QR_SIZE)
            draw_qr(canvas, qr_payload(agreement_id, digest, verify_url), 0, 0, QR_SIZE)
            canvas.endForm()
        width = A4[0]
        canvas.saveState()
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.5)
        canvas.line(MARGIN, 27 * mm, width - MARGIN, 27 * mm)
        canvas.setFillColor(MUTED)
        canvas.setFont(styles.font, 7.5)
        canvas.drawString(MARGIN, 21 * mm, f"{labels.inline('Agreement')}: {agreement_id}")
        canvas.drawString(MARGIN, 17 * mm, f"{labels.inline('SHA-256 of the terms')}: {digest}")
        canvas.drawString(MARGIN, 13 * mm, labels.inline("Page {page} of {total}", page=page, total=total))
        canvas.setFont(styles.font, 6.5)
        if verify_url:
            canvas.drawString(MARGIN, 8.5 * mm, labels.inline("Check this document online (or scan the code):"))
            canvas.setFont(styles.font, 5.5)
            canvas.drawString(MARGIN, 5 * mm, verify_link(verify_url, digest))
        else:
            canvas.drawString(MARGIN, 8.5 * mm, labels.inline("Check this document with: fieldapp agreement verify FILE.pdf"))
        canvas.translate(width - MARGIN - QR_SIZE, 2.5 * mm)
        canvas.doForm("agreement-qr")
        canvas.restoreState()

    return draw


def _story(terms: AgreementTerms, labels: Labels, s: Styles, digest: str) -> list:
    story: list = [
        para(labels.inline("Repayment agreement"), s.title),
        para(" · ".join([f"{labels.inline('Agreement')} {terms.agreement_id}",
                         f"{labels.inline('Case')} {terms.case_reference}",
                         f"{terms.date.isoformat()}", terms.place]), s.subtitle),
    ]
    story += _parties(terms, labels, s)
    story += _summary(terms, labels, s)
    story += _schedule(terms, labels, s)
    story += _terms_text(terms, labels, s)
    story.append(_signatures(terms, labels, s))
    story += [Spacer(1, 4 * mm), para(labels.lines(
        "The terms of this agreement are embedded in this PDF; their SHA-256 is printed on every "
        "page and in the QR code."), s.small)]
    return story


def _kv(rows: list[tuple[str, str]], s: Styles, labels: Labels) -> object:
    data = [[block(labels.lines(k), s.cell_head), block(v, s.cell)] for k, v in rows]
    return grid(data, [45 * mm, _WIDTH - 45 * mm])


def _parties(terms: AgreementTerms, labels: Labels, s: Styles) -> list:
    c, cu, a = terms.creditor, terms.customer, terms.agent
    creditor = "\n".join(x for x in (c.name, c.address, c.registration) if x)
    customer = "\n".join([cu.name, f"{labels.inline('Identity document ending')} {cu.id_tail}",
                          cu.address])
    agent = f"{a.name}\n{labels.inline('Agent ID')} {a.id}"
    return [para(labels.inline("Parties"), s.heading),
            _kv([("Creditor", creditor), ("Customer", customer), ("Agent", agent)], s, labels)]


def _plan_text(terms: AgreementTerms, labels: Labels) -> list[str]:
    p, cur, rows = terms.plan, terms.currency, terms.schedule
    first = rows[0].due.isoformat()
    if p.count == 1:
        lines = [labels.lines("One payment of {amount} {currency} on {date}",
                               amount=money_text(p.total, cur), currency=cur, date=first)]
    else:
        lines = [labels.lines(_PLAN_TEXT[p.frequency], count=p.count, date=first)]
    if p.kind is PlanKind.DEFERRAL:
        lines.insert(0, labels.lines("Deferred: no payment is due before {date}", date=first))
    if p.kind is PlanKind.SETTLEMENT:
        lines.insert(0, labels.lines("Settlement: the agreed total is accepted in full settlement of the amount due"))
    return lines


def _summary(terms: AgreementTerms, labels: Labels, s: Styles) -> list:
    p, cur = terms.plan, terms.currency
    rows = [("Amount due", f"{money_text(p.amount_due, cur)} {cur}"),
            ("Plan", "\n".join(_plan_text(terms, labels))),
            ("Agreed total", f"{money_text(p.total, cur)} {cur}")]
    if p.kind is PlanKind.SETTLEMENT:
        rows.append(("Amount forgiven", f"{money_text(p.discount, cur)} {cur}"))
    rows.append(("Last payment", terms.schedule[-1].due.isoformat()))
    if p.count > 1:
        number, extra = remainder_of(p)
        rounding = (labels.lines("Instalment {number} carries the rounding difference of {amount} {currency}.",
                                  number=number, amount=money_text(extra, cur), currency=cur)
                    if extra else labels.lines("All instalments are equal."))
        if p.frequency is Frequency.MONTHLY:
            rounding += "\n" + labels.lines(
                "Monthly payments fall on the same day of the month as the first one, or on the "
                "last day of a shorter month.")
        rows.append(("Rounding and dates", rounding))
    return [para(labels.inline("Debt and plan"), s.heading), _kv(rows, s, labels)]


def _schedule(terms: AgreementTerms, labels: Labels, s: Styles) -> list:
    cur = terms.currency
    head = [block(labels.lines("No."), s.cell_head),
            block(labels.lines("Due date"), s.cell_head),
            block(labels.lines("Amount ({currency})", currency=cur), s.cell_head_right),
            block(labels.lines("Balance after ({currency})", currency=cur), s.cell_head_right)]
    data = [head]
    balance = terms.plan.total
    for row in terms.schedule:
        balance -= row.amount
        data.append([str(row.number), row.due.isoformat(), money_text(row.amount, cur),
                     money_text(balance, cur)])
    data.append([block(labels.lines("Total"), s.cell), "", money_text(terms.plan.total, cur), ""])
    widths = [22 * mm, 40 * mm, 50 * mm, _WIDTH - 112 * mm]
    table = grid(data, widths, header=True, zebra=True, extra=[
        ("FONT", (0, 1), (-1, -1), s.font, 9),
        ("ALIGN", (2, 0), (3, -1), "RIGHT"),
        ("LINEABOVE", (0, -1), (-1, -1), 0.8, MUTED),
    ])
    return [para(labels.inline("Payment schedule"), s.heading), table]


def _paragraphs(text: str) -> list[str]:
    return [p.strip() for p in text.split("\n") if p.strip()]


def _terms_text(terms: AgreementTerms, labels: Labels, s: Styles) -> list:
    out: list = [para(labels.inline("Terms"), s.heading)]
    texts = terms.terms_text
    wanted = [lang for lang in labels.langs if lang in texts] or list(texts)
    if len(wanted) == 2:
        pairs = itertools.zip_longest(_paragraphs(texts["zh_CN"]), _paragraphs(texts["en"]),
                                      fillvalue="")
        rows = [[para(zh, s.body), para(en, s.body)] for zh, en in pairs]
        out.append(grid(rows, [_WIDTH / 2, _WIDTH / 2],
                        extra=[("LINEBELOW", (0, 0), (-1, -1), 0, RULE),
                               ("LINEBEFORE", (1, 0), (1, -1), 0.4, RULE),
                               ("RIGHTPADDING", (0, 0), (0, -1), 8),
                               ("LEFTPADDING", (1, 0), (1, -1), 8)]))
    else:
        for paragraph in _paragraphs(texts[wanted[0]]):
            out.append(para(paragraph, s.body))
            out.append(Spacer(1, 2))
    return out


def _signature_cell(terms: AgreementTerms, role: str, labels: Labels, s: Styles) -> list:
    sig = terms.signatures.get(role)
    name = terms.customer.name if role == "customer" else terms.agent.name
    head = "Customer signature" if role == "customer" else "Agent signature"
    if sig is None:  # a draft shown before the pad
        return [block(labels.lines(head), s.cell_head), Spacer(1, 26 * mm), para(name, s.cell),
                *block(labels.lines("Not signed yet"), s.small)]
    img = Image(io.BytesIO(sig.png or b""))
    scale = min(70 * mm / img.imageWidth, 26 * mm / img.imageHeight)
    img.drawWidth, img.drawHeight = img.imageWidth * scale, img.imageHeight * scale
    img.hAlign = "LEFT"
    local = sig.captured_at.astimezone(zone(terms.timezone))
    offset = local.strftime("%z")
    when = f"{local:%Y-%m-%d %H:%M:%S} (UTC{offset[:3]}:{offset[3:]}, {terms.timezone})"
    return [block(labels.lines(head), s.cell_head), img,
            para(name, s.cell),
            *block(labels.lines("Signed at {time}", time=when), s.small)]


def _signatures(terms: AgreementTerms, labels: Labels, s: Styles) -> KeepTogether:
    place = para(labels.lines("Signed in {place} on {date}", place=terms.place,
                               date=terms.date.isoformat()), s.body)
    table = grid([[_signature_cell(terms, "customer", labels, s),
                   _signature_cell(terms, "agent", labels, s)]], [_WIDTH / 2, _WIDTH / 2],
                 extra=[("BOX", (0, 0), (0, 0), 0.5, RULE), ("BOX", (1, 0), (1, 0), 0.5, RULE),
                        ("TOPPADDING", (0, 0), (-1, -1), 6), ("LEFTPADDING", (0, 0), (-1, -1), 8)])
    return KeepTogether([para(labels.inline("Signatures"), s.heading), place, Spacer(1, 3), table])


def expected_amounts(terms: AgreementTerms) -> set[str]:
    """Every amount the agreement prints, as printed (for the verifier)."""
    cur, p = terms.currency, terms.plan
    found = {money_text(v, cur) for v in (p.amount_due, p.total, p.discount)}
    balance = p.total
    for row in terms.schedule:
        balance -= row.amount
        found |= {money_text(row.amount, cur), money_text(balance, cur)}
    if p.count > 1:
        found.add(money_text(remainder_of(p)[1], cur))
    return found

