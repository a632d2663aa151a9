"""Test data for the documents: signature PNGs drawn with Pillow and a full TERMS dict."""

from __future__ import annotations

import base64
import io
import math

from PIL import Image, ImageDraw


def signature_png(seed: int = 1, size: tuple[int, int] = (420, 140)) -> bytes:
    """A handwriting-like stroke on a transparent background, as a pad would send it."""
    w, h = size
    img = Image.new("RGBA", size, (255, 255, 255, 0))
    draw = ImageDraw.Draw(img)
    points = []
    for i in range(240):
        t = i / 239
        x = 20 + t * (w - 40)
        y = h / 2 + (h / 3) * math.sin(t * (7 + seed) * math.pi) * math.cos(t * (2 + seed) * 1.3)
        points.append((x, y))
    draw.line(points, fill=(20, 30, 90, 255), width=4, joint="curve")
    out = io.BytesIO()
    img.save(out, format="PNG", optimize=True)
    return out.getvalue()


def blank_png(size: tuple[int, int] = (300, 100)) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", size, (255, 255, 255, 0)).save(out, format="PNG")
    return out.getvalue()


ZH_TERMS = (
    "一、客户确认截至协议日尚欠上述应还金额，并同意按本协议的还款计划按期足额还款。\n"
    "二、客户按时履行本计划期间，债权人不再就上述欠款另行上门催收，并暂停计收罚息。\n"
    "三、如客户连续两期未按时还款，债权人可书面通知客户后终止本协议，剩余未还金额即到期。\n"
    "四、客户如遇经济困难，可随时联系债权人申请调整计划；调整须另行书面约定。\n"
    "五、本协议一式两份，双方各执一份，自双方签字之日起生效。"
)
EN_TERMS = (
    "1. The customer confirms that the amount due above is owed at the date of this agreement "
    "and agrees to pay it in full according to the schedule.\n"
    "2. While the customer keeps to the schedule, the creditor will make no further home visits "
    "about this debt and suspends default interest.\n"
    "3. If two consecutive payments are missed, the creditor may end this agreement by written "
    "notice; the unpaid balance then falls due.\n"
    "4. A customer in financial difficulty may ask the creditor at any time to change the plan; a "
    "change must be agreed in writing.\n"
    "5. This agreement is made in two copies, one for each party, and takes effect when both have signed."
)


def terms_dict(**overrides) -> dict:
    data = {
        "agreement_id": "AGR-2026-000123",
        "case_reference": "CASE-88231",
        "creditor": {"name": "南京示范银行股份有限公司 Nanjing Demo Bank Co., Ltd.",
                     "address": "江苏省南京市玄武区中山路 1 号", "registration": "91320000MA1DEMO01X"},
        "customer": {"name": "王芳", "id_tail": "3412", "address": "江苏省南京市鼓楼区北京西路 88 号 2 栋 301 室"},
        "agent": {"name": "李强", "id": "A-0042"},
        "currency": "CNY",
        "amount_due": "12345.67",
        "plan": {"kind": "instalments", "total": "12345.67", "count": 6, "frequency": "monthly",
                 "first_due": "2026-03-31", "remainder": "last"},
        "terms_text": {"zh_CN": ZH_TERMS, "en": EN_TERMS},
        "place": "南京市鼓楼区",
        "date": "2026-03-02",
        "timezone": "Asia/Shanghai",
        "signatures": {
            "customer": {"png_base64": base64.b64encode(signature_png(1)).decode(),
                         "captured_at": "2026-03-02T10:41:07+08:00"},
            "agent": {"png_base64": base64.b64encode(signature_png(2)).decode(),
                      "captured_at": "2026-03-02T10:42:30+08:00"},
        },
    }
    for key, value in overrides.items():
        data[key] = value
    return data


def visit_report_dict(**overrides) -> dict:
    results = [
        {"rule": "notice.delivered", "category": "notice", "passed": True, "severity": "block",
         "message": "SMS delivered 2026-02-28 10:02, 71.5 h before the visit (at least 24 h required)."},
        {"rule": "window.hours", "category": "window", "passed": True, "severity": "block",
         "message": "10:30-11:30 lies within 09:00-18:00 local time."},
        {"rule": "holiday.public", "category": "holiday", "passed": True, "severity": "block",
         "message": "2026-03-02 is a working day in CN."},
        {"rule": "geofence.distance", "category": "geofence", "passed": False, "severity": "warn",
         "message": "Agent was 412 m from the address; at most 300 m expected."},
        {"rule": "flag.vulnerable", "category": "flag", "passed": True, "severity": "block",
         "message": "没有阻止上门的客户标记。"},
    ]
    for r in results:  # as fieldapp.policy writes them: code and facts ride along
        r.update(code=f"{r['rule']}.ok" if r["passed"] else f"{r['rule']}.fail", facts={"n": 1})
    transcript = [
        {"at": "2026-03-02T02:31:00Z", "event": "said", "node": "greet", "type": "say",
         "text": "您好，我是南京示范银行的外访专员李强，这是我的工作证。", "answer": True},
        {"at": "2026-03-02T02:31:40Z", "event": "answer", "node": "identity", "type": "ask",
         "text": "请问您是王芳女士本人吗？", "answer": "yes"},
        {"at": "2026-03-02T02:31:50Z", "event": "back", "node": "disclosure", "to": "identity"},
        {"at": "2026-03-02T02:32:10Z", "event": "said", "node": "disclosure", "type": "say",
         "text": "本次来访是关于您在我行的逾期欠款，谈话内容将被录音。"},
        {"at": "2026-03-02T02:36:00Z", "event": "answer", "node": "offer", "type": "input",
         "text": "We can offer six monthly instalments.", "answer": {"count": 6, "plan": "instalments"},
         "note": "客户希望每月月底还款。"},
    ]
    data = {
        "visit_id": "V-2026-0302-0007",
        "case": {"reference": "CASE-88231", "customer_name": "王芳",
                 "address": "江苏省南京市鼓楼区北京西路 88 号 2 栋 301 室",
                 "amount_due": "12345.67", "currency": "CNY"},
        "agent": {"name": "李强", "id": "A-0042"},
        "timezone": "Asia/Shanghai",
        "started_at": "2026-03-02T10:30:00+08:00",
        "ended_at": "2026-03-02T10:55:00+08:00",
        "decision": {"allowed": True, "check": "checkin", "policy": {"id": "seed", "version": "3"},
                     "evaluated_at": "2026-03-02T02:29:31Z", "language": "en",
                     "summary": "Allowed under seed 3, with warnings.", "results": results},
        "transcript": transcript,
        "outcome": {"code": "agreement_signed", "notes": "客户同意分期还款。",
                    "promise": {"amount": "2057.61", "due": "2026-03-31"}},
        "location": {"lat": "32.0610", "lon": "118.7975", "accuracy_m": 15, "distance_m": "412",
                     "captured_at": "2026-03-02T10:29:30+08:00"},
        "agreement": {"id": "AGR-2026-000123",
                      "sha256": "81a2978fdc513be5356af6b89f5c68f6f546d1ac0fed4b55dcfa1dbb5dcc40e4"},
    }
    data.update(overrides)
    return data
