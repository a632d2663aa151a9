"""The visit report PDF a team lead reads: case, the policy decision rule by rule, the
conversation transcript, the outcome, location evidence, the photo evidence and the
agreement reference.

Photos are listed by the SHA-256 of the file sent with the visit (attachments are
content-addressed), with the time and position the case's policy let the photo keep, its
size in pixels and, when the photo's bytes are given, a small thumbnail drawn from them.

Input is a plain mapping (or a dataclass) so this module depends on neither the policy
nor the script package; see `build_visit_report` for its shape.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import re
from typing import Any, Mapping

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Image

from fieldapp.core.errors import BadInput
from fieldapp.core.money import minor_units
from fieldapp.core.outcomes import Outcome
from fieldapp.core.timeutil import zone
from fieldapp.documents.fonts import DocumentFont
from fieldapp.documents.layout import (
    MARGIN, MUTED, RULE, Labels, Msg, Styles, block, build_pdf, check_render_lang, grid, money_text, para,
    styles_for_default_font,
)
from fieldapp.documents.reader import Reader

_WIDTH = A4[0] - 2 * MARGIN
FAILED_BLOCK = colors.HexColor("#fde2e1")
FAILED_WARN = colors.HexColor("#fff4d6")
OUTCOME_LABELS = {
    Outcome.PAID: "Paid in full",
    Outcome.PROMISE_TO_PAY: "Promise to pay",
    Outcome.AGREEMENT_SIGNED: "Repayment agreement signed",
    Outcome.PARTIAL_PAYMENT: "Partial payment",
    Outcome.HARDSHIP_REFERRED: "Hardship: referred",
    Outcome.DISPUTE_RAISED: "Dispute raised",
    Outcome.REFUSED: "Refused",
    Outcome.NOT_HOME: "Not at home",
    Outcome.WRONG_ADDRESS: "Wrong address",
    Outcome.THIRD_PARTY_ONLY: "Third party only",
    Outcome.ASKED_TO_LEAVE: "Asked to leave",
    Outcome.VISIT_ABORTED_DISTRESS: "Visit ended: customer distressed",
}
PHOTO_KINDS = {"house_number": "House number", "door_notice": "Notice left at the door", "other": "Other"}
THUMB_BOX = 30 * mm            # the thumbnail fits a square this size
THUMB_PIXELS = 360             # longer side of the thumbnail JPEG embedded in the PDF
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def build_visit_report(report: Mapping[str, Any] | Any, lang: str = "en", *,
                       where: str = "visit report", images: Mapping[str, bytes] | None = None) -> bytes:
    """Render a visit report.

    `report` keys: visit_id; case {reference, customer_name, address, amount_due, currency};
    agent {name, id}; timezone (IANA, for display); started_at / ended_at (optional);
    decision {allowed, policy {id, version}, results [{rule, category, passed, severity,
    message}]}; transcript [{at, node, text, answer}]; outcome {code, notes, promise
    {amount, due}}; location {lat, lon, accuracy_m, distance_m, captured_at} or null;
    agreement {id, sha256} or null; photos [{sha256, kind, captured_at, taken_at, lat,
    lon}] (optional, as the protocol's PhotoRef). `images`: {sha256: the photo file} for a
    thumbnail and the size in pixels; a file whose SHA-256 is not its key is refused.
    """
    if dataclasses.is_dataclass(report) and not isinstance(report, type):
        report = dataclasses.asdict(report)
    lang = check_render_lang(lang)
    font, styles = styles_for_default_font()
    r = Reader(where)
    data = r.obj(report, "", {"visit_id", "case", "agent", "timezone", "started_at", "ended_at",
                              "decision", "transcript", "outcome", "location", "agreement", "photos"})
    visit_id = r.text(data, "visit_id", "visit_id", limit=64)
    tz = zone(r.text(data, "timezone", "timezone", required=False, limit=64) or "UTC", where=where)
    labels = Labels(lang)
    ctx = _Context(r, font, styles, labels, tz)
    story = [para(labels.inline("Visit report"), styles.title)]
    times = [t for t in (r.aware(data, "started_at", "started_at", required=False),
                         r.aware(data, "ended_at", "ended_at", required=False)) if t]
    story.append(para(" · ".join([f"{labels.inline('Visit')} {visit_id}"] + [ctx.when(t) for t in times]),
                      styles.subtitle))
    case, currency = _case(ctx, data)
    story += case
    story += _decision(ctx, data)
    story += _transcript(ctx, data)
    story += _outcome(ctx, data, currency)
    story += _location(ctx, data)
    story += _photos(ctx, data, images or {})
    story += _agreement(ctx, data)

    def footer(canvas: Canvas, page: int, total: int) -> None:
        canvas.saveState()
        canvas.setStrokeColor(RULE)
        canvas.line(MARGIN, 20 * mm, A4[0] - MARGIN, 20 * mm)
        canvas.setFont(styles.font, 7.5)
        canvas.setFillColor(MUTED)
        canvas.drawString(MARGIN, 15 * mm, f"{labels.inline('Visit report')} {visit_id}")
        canvas.drawRightString(A4[0] - MARGIN, 15 * mm,
                               labels.inline("Page {page} of {total}", page=page, total=total))
        canvas.restoreState()

    return build_pdf(story, footer=footer, title=f"{labels.inline('Visit report')} {visit_id}",
                     subject=f"Visit report {visit_id}", keywords=f"fieldapp-visit-report/1 visit:{visit_id}")


@dataclasses.dataclass
class _Context:
    r: Reader
    font: DocumentFont
    s: Styles
    labels: Labels
    tz: Any

    def text(self, data: dict, key: str, path: str, *, required: bool = True, limit: int = 300,
             multiline: bool = False) -> str:
        value = self.r.text(data, key, path, required=required, limit=limit, multiline=multiline)
        if value:
            try:
                self.font.check(value, field=path, multiline=multiline)
            except BadInput as exc:
                raise self.r.fail(path, exc.reason) from None
        return value or ""

    def when(self, moment) -> str:
        return moment.astimezone(self.tz).strftime("%Y-%m-%d %H:%M")

    def kv(self, rows: list[tuple[str, str]]) -> object:
        cells = [[block(self.labels.lines(k), self.s.cell_head), block(v, self.s.cell)]
                 for k, v in rows]
        return grid(cells, [42 * mm, _WIDTH - 42 * mm])

    def heading(self, message: str) -> object:
        return para(self.labels.inline(message), self.s.heading)


def _case(c: _Context, data: dict) -> tuple[list, str]:
    case = c.r.obj(data.get("case"), "case", {"reference", "customer_name", "address", "amount_due",
                                              "currency"})
    agent = c.r.obj(data.get("agent"), "agent", {"name", "id"})
    currency = c.text(case, "currency", "case.currency", limit=3)
    try:
        minor_units(currency)
    except BadInput as exc:
        raise c.r.fail("case.currency", exc.reason) from None
    amount = c.r.amount(case, "amount_due", "case.amount_due", currency)
    return [c.heading("Case details"), c.kv([
        ("Case", c.text(case, "reference", "case.reference", limit=64)),
        ("Customer", c.text(case, "customer_name", "case.customer_name", limit=120)),
        ("Address", c.text(case, "address", "case.address")),
        ("Amount due", f"{money_text(amount, currency)} {currency}"),
        ("Agent", f"{c.text(agent, 'name', 'agent.name', limit=120)} ({c.text(agent, 'id', 'agent.id', limit=40)})"),
    ])], currency


def _decision(c: _Context, data: dict) -> list:
    # Decision JSON as the policy engine writes it; extra keys (check, summary, code,
    # facts...) are evidence for machines and are not printed.
    d = c.r.obj(data.get("decision"), "decision")
    policy = c.r.obj(d.get("policy"), "decision.policy")
    allowed = c.r.flag(d, "allowed", "decision.allowed")
    verdict = Msg("Allowed" if allowed else "Blocked")
    head = [block(c.labels.lines(h), c.s.cell_head)
            for h in ("Rule", "Category", "Result", "Severity", "Message")]
    rows, extra = [head], []
    for i, raw in enumerate(c.r.items(d, "results", "decision.results")):
        path = f"decision.results[{i}]"
        res = c.r.obj(raw, path)
        passed = c.r.flag(res, "passed", f"{path}.passed")
        severity = c.text(res, "severity", f"{path}.severity", limit=20)
        if severity not in ("block", "warn"):
            raise c.r.fail(f"{path}.severity", f"{severity!r} is not block or warn")
        rows.append([para(c.text(res, "rule", f"{path}.rule", limit=80), c.s.cell),
                     para(c.text(res, "category", f"{path}.category", limit=40), c.s.cell),
                     block(c.labels.lines("passed" if passed else "failed"), c.s.cell),
                     block(c.labels.lines(severity), c.s.cell),
                     para(c.text(res, "message", f"{path}.message", limit=1000), c.s.cell)])
        if not passed:
            extra.append(("BACKGROUND", (0, i + 1), (-1, i + 1),
                          FAILED_BLOCK if severity == "block" else FAILED_WARN))
    version = policy.get("version")
    if isinstance(version, bool) or not isinstance(version, (str, int)) or str(version).strip() == "":
        raise c.r.fail("decision.policy.version", "is required (text or a number)")
    summary = c.labels.lines("Policy {policy} version {version}: {verdict}", verdict=verdict,
                              policy=c.text(policy, "id", "decision.policy.id", limit=64),
                              version=c.text({"v": str(version)}, "v", "decision.policy.version", limit=32))
    table = grid(rows, [38 * mm, 22 * mm, 18 * mm, 18 * mm, _WIDTH - 96 * mm], header=True, extra=extra)
    return [c.heading("Policy decision"), *block(summary, c.s.body), table]


def _answer_text(c: _Context, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return c.labels.lines("yes" if value else "no")
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def _transcript(c: _Context, data: dict) -> list:
    """Transcript entries as the script runtime records them: {at, event, node, text,
    answer, note, to, ...}; a "back" event has no text and says where it went."""
    head = [block(c.labels.lines(h), c.s.cell_head) for h in ("Time", "Step", "Said", "Answer")]
    rows = [head]
    for i, raw in enumerate(c.r.items(data, "transcript", "transcript", required=False)):
        path = f"transcript[{i}]"
        item = c.r.obj(raw, path)
        at = c.r.aware(item, "at", f"{path}.at")
        node = c.text(item, "node", f"{path}.node", limit=80)
        said = c.text(item, "text", f"{path}.text", required=False, limit=4000, multiline=True)
        if item.get("event") == "back":
            said = c.labels.lines("Went back to {node}", node=str(item.get("to", "")))
        answer = c.text({"a": _answer_text(c, item.get("answer"))}, "a", f"{path}.answer",
                        required=False, limit=1000, multiline=True)
        note = c.text(item, "note", f"{path}.note", required=False, limit=4000, multiline=True)
        if note:
            answer = "\n".join(x for x in (answer, c.labels.lines("Note: {note}", note=note)) if x)
        rows.append([c.when(at)[11:], para(node, c.s.cell), block(said, c.s.cell), block(answer, c.s.cell)])
    if len(rows) == 1:
        return [c.heading("Conversation"), para(c.labels.inline("No conversation was recorded."), c.s.body)]
    table = grid(rows, [16 * mm, 34 * mm, _WIDTH - 95 * mm, 45 * mm], header=True, zebra=True,
                 extra=[("FONT", (0, 1), (0, -1), c.s.font, 8.5)])
    return [c.heading("Conversation"), table]


def _outcome(c: _Context, data: dict, currency: str) -> list:
    o = c.r.obj(data.get("outcome"), "outcome", {"code", "notes", "promise"})
    code = c.r.choice(o, "code", "outcome.code", Outcome)
    if code is None:
        raise c.r.fail("outcome.code", "is required")
    rows = [("Outcome", f"{c.labels.lines(OUTCOME_LABELS[code])}\n({code.value})")]
    notes = c.text(o, "notes", "outcome.notes", required=False, limit=4000, multiline=True)
    if notes:
        rows.append(("Notes", notes))
    if o.get("promise") is not None:
        p = c.r.obj(o["promise"], "outcome.promise", {"amount", "due"})
        amount = c.r.amount(p, "amount", "outcome.promise.amount", currency)
        rows.append(("Promise to pay", f"{money_text(amount, currency)} {currency} · "
                                       f"{c.r.date(p, 'due', 'outcome.promise.due').isoformat()}"))
    return [c.heading("Outcome"), c.kv(rows)]


def _location(c: _Context, data: dict) -> list:
    if data.get("location") is None:
        return [c.heading("Location evidence"),
                para(c.labels.inline("No location was recorded at check-in."), c.s.body)]
    loc = c.r.obj(data["location"], "location", {"lat", "lon", "accuracy_m", "distance_m", "captured_at"})
    lat = c.r.number(loc, "lat", "location.lat", low=-90, high=90)
    lon = c.r.number(loc, "lon", "location.lon", low=-180, high=180)
    rows = [("Position", f"{lat}, {lon}")]
    accuracy = c.r.number(loc, "accuracy_m", "location.accuracy_m", low=0, high=1e6, required=False)
    if accuracy is not None:
        rows.append(("Accuracy", f"± {accuracy} m"))
    distance = c.r.number(loc, "distance_m", "location.distance_m", low=0, high=2.1e7, required=False)
    if distance is not None:
        rows.append(("Distance to the address", f"{distance} m"))
    at = c.r.aware(loc, "captured_at", "location.captured_at", required=False)
    if at is not None:
        rows.append(("Recorded at", c.when(at)))
    return [c.heading("Location evidence"), c.kv(rows)]


def _agreement(c: _Context, data: dict) -> list:
    if data.get("agreement") is None:
        return [c.heading("Agreement"), para(c.labels.inline("No agreement was made."), c.s.body)]
    a = c.r.obj(data["agreement"], "agreement", {"id", "sha256"})
    return [c.heading("Agreement"), c.kv([
        ("Agreement", c.text(a, "id", "agreement.id", limit=64)),
        ("SHA-256 of the terms", c.text(a, "sha256", "agreement.sha256", limit=64)),
    ])]


def _thumbnail(c: _Context, data: bytes, path: str) -> tuple[Image, int, int]:
    """A small JPEG of the photo as a flowable fitting THUMB_BOX, and the photo's size."""
    from PIL import Image as Pil, UnidentifiedImageError

    try:
        with Pil.open(io.BytesIO(data)) as img:
            width, height = img.size
            if width * height > 60_000_000:
                raise c.r.fail(path, f"the photo has {width}x{height} pixels, more than a photo needs")
            img.draft("RGB", (THUMB_PIXELS, THUMB_PIXELS))  # JPEG: decode at a reduced scale
            small = img.convert("RGB")
    except (UnidentifiedImageError, OSError, ValueError, Pil.DecompressionBombError) as exc:
        raise c.r.fail(path, f"is not a photo this report can show ({type(exc).__name__})") from None
    small.thumbnail((THUMB_PIXELS, THUMB_PIXELS))
    out = io.BytesIO()
    small.save(out, "JPEG", quality=75)
    flowable = Image(io.BytesIO(out.getvalue()))
    scale = min(THUMB_BOX / flowable.imageWidth, THUMB_BOX / flowable.imageHeight)
    flowable.drawWidth, flowable.drawHeight = flowable.imageWidth * scale, flowable.imageHeight * scale
    flowable.hAlign = "LEFT"
    return flowable, width, height


def _photos(c: _Context, data: dict, images: Mapping[str, bytes]) -> list:
    """Each photo of the visit: thumbnail (when its file is given), kind, SHA-256 of the
    file, the time and position the policy kept, when it was added, its size."""
    items = c.r.items(data, "photos", "photos", required=False)
    if not items:
        return [c.heading("Photo evidence"), para(c.labels.inline("No photos were taken for this visit."), c.s.body)]
    rows = []
    for i, raw in enumerate(items):
        path = f"photos[{i}]"
        photo = c.r.obj(raw, path, {"sha256", "kind", "captured_at", "taken_at", "lat", "lon"})
        sha = c.text(photo, "sha256", f"{path}.sha256", limit=64)
        if not _SHA256.match(sha):
            raise c.r.fail(f"{path}.sha256", "is not a SHA-256 (64 lowercase hex digits)")
        kind = c.text(photo, "kind", f"{path}.kind", required=False, limit=20) or "other"
        if kind not in PHOTO_KINDS:
            raise c.r.fail(f"{path}.kind", f"{kind!r} is not one of {', '.join(PHOTO_KINDS)}")
        added = c.r.aware(photo, "captured_at", f"{path}.captured_at")
        taken = c.r.aware(photo, "taken_at", f"{path}.taken_at", required=False)
        lat = c.r.number(photo, "lat", f"{path}.lat", low=-90, high=90, required=False)
        lon = c.r.number(photo, "lon", f"{path}.lon", low=-180, high=180, required=False)
        file = images.get(sha)
        thumb, size = [], None
        if file is not None:
            if hashlib.sha256(file).hexdigest() != sha:
                raise c.r.fail(f"{path}.sha256", "is not the SHA-256 of the photo's file")
            image, width, height = _thumbnail(c, file, path)
            thumb, size = [image], (width, height, len(file))
        not_kept = Msg("not kept")  # translated in each language of the line
        position = f"{lat:.6f}, {lon:.6f}" if lat is not None and lon is not None else not_kept
        lines = [
            para(f"{i + 1}. {c.labels.inline(PHOTO_KINDS[kind])}", c.s.cell),
            para(f"SHA-256 {sha}", c.s.cell),
            *block(c.labels.lines("Taken at (the photo's own time): {time}",
                                  time=c.when(taken) if taken else not_kept), c.s.cell),
            *block(c.labels.lines("Position in the photo: {position}", position=position), c.s.cell),
            *block(c.labels.lines("Added to the visit at {time}", time=c.when(added)), c.s.small),
        ]
        if size is not None:
            lines += block(c.labels.lines("{width} × {height} pixels, {kib} KiB", width=size[0], height=size[1],
                                          kib=max(1, round(size[2] / 1024))), c.s.small)
        rows.append([thumb, lines])
    note = c.labels.lines("Each photo is named by the SHA-256 of its file, sent with this visit. The case's "
                          "policy decides whether a photo keeps its time and position; nothing else of its "
                          "metadata is kept.")
    table = grid(rows, [THUMB_BOX + 8, _WIDTH - THUMB_BOX - 8],
                 extra=[("TOPPADDING", (0, 0), (-1, -1), 5)])
    table.splitInRow = 0  # a photo and its details stay on one page
    return [c.heading("Photo evidence"), *block(note, c.s.small), table]
