"""GET /api/v1/sync/pull, POST /api/v1/sync/push."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Response

from fieldapp.protocol.v1 import MAX_PULL_LIMIT, PULL_LINES, PullResponse, PushRequest, PushResponse
from fieldapp.server.auth import caller_statement
from fieldapp.server.db import reads_outside_transaction, run_with_retry
from fieldapp.server.deps import BearerDep, SessionDep, SettingsDep, TranslatorDep, caller_of, commit, principal_of
from fieldapp.server.errors import ApiError
from fieldapp.server.openapi import SIGNED_IN, WITH_BODY, errors
from fieldapp.server.services import handover
from fieldapp.server.services import push as push_service
from fieldapp.server.services import sync as sync_service
from fieldapp.server.services.receipts import Sealer

router = APIRouter(prefix="/api/v1/sync", tags=["sync"])


# Built once (every pull runs it): the sign-in with the pull's checks as more columns.
_SIGN_IN = caller_statement(*sync_service.PULL_CHECKS)


@router.get("/pull", response_model=PullResponse,
            responses={200: {"model": PullResponse, "description": "One page of the change log; as lines "
                             f"({PULL_LINES}) when the Accept header names that type (protocol/v1.py)",
                             "content": {PULL_LINES: {"schema": {"type": "string"}}}},
                       **errors(*SIGNED_IN, 409)})
def pull(session: SessionDep, authorization: BearerDep,
         cursor: Annotated[int, Query(ge=0, le=2**62)] = 0,
         limit: Annotated[int, Query(ge=1, le=MAX_PULL_LIMIT)] = 200,
         accept: Annotated[str, Header(max_length=1000)] = "") -> Response:
    """A page of `PullResponse`, written as JSON by the service (stored case documents are
    sent as they are; returning a Response skips re-validating megabytes per page), or as
    `PULL_LINES` to a client that asks for them."""
    lines = _asks_for_lines(accept)
    reads_outside_transaction(session)  # a pull that changes nothing costs no transaction
    # Signed in here (this request's one thread hop), the cursor's checks read with it.
    caller, checks = caller_of(session, authorization, _SIGN_IN, sync_service.pull_check_values(cursor))
    page, note = sync_service.pull_for_device(session, caller.user_id, caller.device_pk, caller.pull_cursor,
                                              cursor, limit, checks, lines)
    if note.writes:
        session.commit()  # the reads are done: what the laptop learns is written in a transaction
        handover.note_pull(session, note)
    commit(session)
    return Response(page, media_type=PULL_LINES if lines else "application/json", headers={"Vary": "Accept"})


def _asks_for_lines(accept: str) -> bool:
    """Whether an Accept header names `PULL_LINES` as acceptable (a q of 0 says it is not)."""
    for media_range in accept.split(","):
        media, *params = (part.strip().lower() for part in media_range.split(";"))
        if media == PULL_LINES:
            for param in params:
                name, _, value = param.partition("=")
                if name.strip() == "q":
                    try:
                        return float(value) > 0
                    except ValueError:
                        return False
            return True
    return False


@router.post("/push", response_model=PushResponse, responses=errors(*SIGNED_IN, *WITH_BODY))
def push(body: PushRequest, session: SessionDep, authorization: BearerDep, tr: TranslatorDep,
         settings: SettingsDep) -> PushResponse:
    """Per item: accepted | duplicate | rejected (reasons in the Accept-Language, en or zh_CN)."""
    principal = principal_of(session, authorization)  # signed in here: this request's one thread hop
    if body.device_id != principal.token.device.device_id:
        raise ApiError("invalid", "device_id does not match the device this token was issued to")
    user = principal.user
    device_pk = principal.token.device_pk
    sealer = Sealer(settings)
    response = run_with_retry(session, lambda: push_service.push(session, user, body.device_id, body.items, tr,
                                                                 sealer, settings, device_pk=device_pk,
                                                                 cursor=body.cursor))
    commit(session)  # the changes are numbered here, the counter's lock held for the commit alone
    return response
