"""POST /webhooks/sms: delivery receipts from the SMS gateway (SMS_GATEWAY.md).

The body is signed: header `X-Fieldapp-Signature: sha256=<hex HMAC-SHA256 of the raw body
with sms_webhook_secret>`. Without a configured secret every receipt is refused, so nobody
can mark a notice delivered by guessing the URL. Answers: 200 {ok, state}; 401 `token_invalid`
for a missing or wrong signature; 404 `not_found` for a message id the server never sent;
422 `invalid` for a malformed body.
"""

from __future__ import annotations

import hmac
import json
from typing import Literal

from fastapi import APIRouter, Request
from pydantic import AwareDatetime, ValidationError

from fieldapp.core.errors import NotFound
from fieldapp.core.timeutil import utcnow
from fieldapp.protocol.v1 import Wire
from fieldapp.server.deps import SessionDep, SettingsDep
from fieldapp.server.errors import ApiError, describe_validation
from fieldapp.server.notify.channels import SIGNATURE_HEADER, sign
from fieldapp.server.openapi import errors
from fieldapp.server.services import notices

router = APIRouter(prefix="/webhooks", tags=["webhooks"])
MAX_RECEIPT_BYTES = 8192


class Receipt(Wire):
    client_message_id: str
    message_id: str | None = None
    status: Literal["delivered", "failed"]
    at: AwareDatetime
    error: str | None = None


@router.post("/sms", responses=errors(401, 403, 404, 413, 422))
async def sms_receipt(request: Request, session: SessionDep, settings: SettingsDep) -> dict:
    if not settings.sms_webhook_secret:
        raise ApiError("forbidden", "delivery receipts are off: set sms_webhook_secret")
    raw = await request.body()
    if len(raw) > MAX_RECEIPT_BYTES:
        raise ApiError("too_large", f"a receipt is at most {MAX_RECEIPT_BYTES} bytes")
    given = request.headers.get(SIGNATURE_HEADER, "")
    if not hmac.compare_digest(given.encode("ascii", "replace"), sign(settings.sms_webhook_secret, raw).encode()):
        raise ApiError("token_invalid", f"missing or wrong {SIGNATURE_HEADER} (HMAC-SHA256 of the body)")
    try:
        receipt = Receipt.model_validate(json.loads(raw))
    except (ValueError, ValidationError) as exc:
        detail = describe_validation(exc.errors()) if isinstance(exc, ValidationError) else "not JSON"
        raise ApiError("invalid", detail) from None
    try:
        notice = notices.receipt(session, receipt.client_message_id, receipt.status, receipt.at, receipt.error)
    except NotFound:
        raise ApiError("not_found", f"no message with client_message_id {receipt.client_message_id[:64]!r} "
                                    "was sent by this server") from None
    return {"ok": True, "state": notice.state, "server_time": utcnow().isoformat()}
