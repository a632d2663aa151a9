"""HTTP transport of protocol v1: one reused `httpx.Client`, retries, typed answers.

Network errors, time-outs, 5xx and 429 are retried with exponential backoff and full
jitter, bounded in attempts and in delay; then `Offline` or `ServerError`. Every request
the protocol defines is safe to repeat (pushes are deduplicated by item id and content
hash, attachment uploads are content-addressed), so POSTs are retried too.

Each answer is parsed into its pydantic type; invalid JSON or a shape that is not v1
becomes `ProtocolError` naming the endpoint and the first fields that were wrong. The
`server_time` of each answer updates the clock sample (offset from the request midpoint).
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import time
from dataclasses import dataclass
from typing import Callable, TypeVar
from urllib.parse import urlsplit

import httpx
from pydantic import BaseModel, TypeAdapter, ValidationError

from fieldapp import __version__
from fieldapp.core import clock as app_clock
from fieldapp.core.errors import BadInput
from fieldapp.core.i18n import Translator
from fieldapp.protocol.v1 import (API_HEADER, API_VERSION, PULL_LINES, AttachmentResponse, CaseRecord, Change,
                                  ErrorBody, InstitutionResponse, LoginRequest, LoginResponse, MetaResponse,
                                  OkResponse, PageHead, PullResponse, PushRequest, PushResponse)
from typing import TYPE_CHECKING

from fieldapp.sync.errors import (BadCredentials, DeviceRevoked, IncompatibleServer, Offline,
                                  ProtocolError, RequestRefused, ServerError, SyncError, TokenExpired)

if TYPE_CHECKING:
    from fieldapp.protocol.signing import EnrolRequest, EnrolResponse

log = logging.getLogger(__name__)
M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")
SyncErrorT = TypeVar("SyncErrorT", bound=SyncError)
RETRY_STATUS = {429, 500, 502, 503, 504}
_CHANGES: TypeAdapter[list[Change]] = TypeAdapter(list[Change])


def _strict_case(raw: bytes) -> CaseRecord:
    return CaseRecord.model_validate_json(raw, strict=True)


def normalise_url(url: str) -> str:
    url = (url or "").strip().rstrip("/")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - a port that is not a number raises here
    except ValueError as exc:  # e.g. "http://[::1" (an unclosed IPv6 address)
        raise BadInput(f"{url!r} is not a server address ({exc})", field="server") from None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise BadInput(f"{url!r} is not a server address (expected http(s)://host[:port])", field="server")
    return url


@dataclass(frozen=True)
class ClockSample:
    offset_s: float      # server time minus local time
    at: float            # local epoch seconds of the sample
    rtt_s: float


@dataclass(frozen=True)
class Answer:
    response: httpx.Response
    what: str            # "GET /sync/pull", for messages
    sent_at: float
    received_at: float


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4
    backoff_s: float = 0.25
    backoff_max_s: float = 4.0

    def delay(self, attempt: int, rand: Callable[[], float]) -> float:
        """Full jitter: uniform in [0, min(max, base * 2**(attempt-1))]."""
        return rand() * min(self.backoff_max_s, self.backoff_s * 2 ** (attempt - 1))


class Transport:
    def __init__(self, server_url: str, *, timeout_s: float = 30.0, connect_timeout_s: float = 5.0,
                 retry: RetryPolicy | None = None, translator: Translator | None = None,
                 sleep: Callable[[float], None] = time.sleep, rand: Callable[[], float] = random.random,
                 http_transport: httpx.BaseTransport | None = None):
        self.server_url = normalise_url(server_url)
        self.retry = retry or RetryPolicy()
        self.tr = translator or Translator()
        self._sleep, self._rand = sleep, rand
        self.clock: ClockSample | None = None
        self._client = httpx.Client(
            base_url=self.server_url + "/api/v1",
            timeout=httpx.Timeout(timeout_s, connect=connect_timeout_s),
            headers={API_HEADER: str(API_VERSION), "User-Agent": f"fieldapp/{__version__}",
                     "Accept": "application/json"},
            transport=http_transport, follow_redirects=False)

    def close(self) -> None:
        self._client.close()

    # ------------------------------------------------------------------ endpoints
    def meta(self) -> MetaResponse:
        try:
            meta = self._call("GET", "/meta", MetaResponse)
        except RequestRefused as exc:
            if exc.status == 404:
                raise IncompatibleServer(self.tr("{server} does not offer the fieldapp sync API",
                                                 server=self.server_url)) from None
            raise
        if API_VERSION not in meta.api_versions:
            raise IncompatibleServer(self.tr(
                "The server speaks protocol versions {versions}, this app speaks {mine}; update the app",
                versions=", ".join(map(str, meta.api_versions)) or "-", mine=API_VERSION))
        return meta

    def login(self, request: LoginRequest) -> LoginResponse:
        return self._call("POST", "/auth/login", LoginResponse, json_body=request)

    def logout(self, token: str) -> OkResponse:
        return self._call("POST", "/auth/logout", OkResponse, token=token)

    def pull(self, token: str, cursor: int, limit: int) -> PullResponse:
        return self.parse_pull(self.fetch_pull(token, cursor, limit))[0]

    def fetch_pull(self, token: str, cursor: int, limit: int) -> "Answer":
        """The raw answer of one pull, asked for as lines (`PULL_LINES`); `parse_pull` it later
        (the engine parses on its own thread while the next page is being fetched)."""
        return self._fetch("GET", "/sync/pull", token=token, params={"cursor": cursor, "limit": limit},
                           accept=f"{PULL_LINES}, application/json;q=0.5")

    def parse_pull(self, answer: "Answer") -> tuple[PullResponse, dict[str, bytes]]:
        """A pull page, and each upserted case's document as the bytes the server sent, by case
        id, when it sent the page as lines (`PULL_LINES`; a server that sends JSON gives none):
        a document that validates is stored as it came, not written again."""
        resp = answer.response
        if not as_lines(answer):
            return self.parse(answer, PullResponse), {}
        lines = resp.content.split(b"\n")
        what = answer.what
        head = self._parse(resp, PageHead.model_validate_json, f"{what} (line 1)", lines[0])
        changes = self._parse(resp, _CHANGES.validate_json, f"{what} (line 2)", b"".join(lines[1:2]))
        cases = lines[2:]
        if len(cases) != len(changes):
            raise self._tag(ProtocolError(self.tr(
                "{what}: the answer does not match protocol v1: {changes} changes and {cases} case lines",
                what=what, changes=len(changes), cases=len(cases))), resp)
        # Strictly: a document kept as sent has its values in their wire types (readers of the
        # store read some fields without the model), as one written from its record would.
        documents: dict[str, bytes] = {}
        for number, (change, raw) in enumerate(zip(changes, cases), start=3):
            if raw != b"null":
                change.case = self._parse(resp, _strict_case, f"{what} (line {number})", raw)
                documents[change.case.id] = raw
        self._note_clock(answer, head.server_time)
        return PullResponse.model_construct(changes=changes, next_cursor=head.next_cursor, has_more=head.has_more,
                                            server_time=head.server_time), documents

    def institution(self, token: str) -> InstitutionResponse:
        return self._call("GET", "/institution", InstitutionResponse, token=token)

    def push(self, token: str, request: PushRequest) -> PushResponse:
        return self._call("POST", "/sync/push", PushResponse, token=token, json_body=request)

    def put_attachment(self, token: str, sha256: str, data: bytes) -> AttachmentResponse:
        return self._call("PUT", f"/attachments/{sha256}", AttachmentResponse, token=token,
                          content=data, content_type="application/octet-stream")

    def get_attachment(self, token: str, sha256: str) -> bytes:
        return self._send("GET", f"/attachments/{sha256}", token=token).content

    def get_sealed_document(self, token: str, visit_id: str, kind: str) -> bytes | None:
        """The server-sealed PDF of a visit's agreement or report; None when it has none."""
        try:
            return self._send("GET", f"/visits/{visit_id}/documents/{kind}", token=token).content
        except RequestRefused as exc:
            if exc.status == 404:
                return None
            raise

    def enrol(self, token: str, request: "EnrolRequest") -> "EnrolResponse":
        from fieldapp.protocol.signing import EnrolResponse

        return self._call("POST", "/devices/certificate", EnrolResponse, token=token, json_body=request)

    def get_crl(self) -> bytes:
        return self._send("GET", "/pki/crl").content

    # ------------------------------------------------------------------ machinery
    def _call(self, method: str, path: str, model: type[M], *, token: str | None = None,
              json_body: BaseModel | None = None, content: bytes | None = None,
              content_type: str | None = None, params: dict | None = None) -> M:
        if json_body is not None:
            content, content_type = json_body.model_dump_json().encode("utf-8"), "application/json"
        answer = self._fetch(method, path, token=token, content=content, content_type=content_type, params=params)
        return self.parse(answer, model)

    def _fetch(self, method: str, path: str, **kw) -> "Answer":
        t0 = app_clock.now().timestamp()
        resp = self._send(method, path, **kw)
        return Answer(resp, f"{method} {path}", t0, app_clock.now().timestamp())

    def parse(self, answer: "Answer", model: type[M]) -> M:
        """Validate an answer into its protocol type; its server_time updates the clock."""
        parsed = self._parse(answer.response, model.model_validate_json, answer.what)
        server_time = getattr(parsed, "server_time", None)
        if server_time is not None:
            self._note_clock(answer, server_time)
        return parsed

    def _note_clock(self, answer: "Answer", server_time: dt.datetime) -> None:
        t0, t1 = answer.sent_at, answer.received_at
        self.clock = ClockSample(server_time.timestamp() - (t0 + t1) / 2, t1, t1 - t0)

    def _send(self, method: str, path: str, *, token: str | None = None, content: bytes | None = None,
              content_type: str | None = None, params: dict | None = None, accept: str | None = None
              ) -> httpx.Response:
        # Rejection reasons come back in the agent's language (the server ships en, zh_CN).
        headers = {"Accept-Language": self.tr.language.replace("_", "-")}
        if accept:
            headers["Accept"] = accept
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if content_type:
            headers["Content-Type"] = content_type
        what = f"{method} {path}"
        last: Exception | None = None
        for attempt in range(1, self.retry.attempts + 1):
            wait: float | None = None
            try:
                resp = self._client.request(method, path, content=content, params=params, headers=headers)
            except httpx.TimeoutException as exc:
                last = Offline(self.tr("{server} did not answer in time ({what})",
                                       server=self.server_url, what=what))
                log.info("%s: time-out on attempt %d (%s)", what, attempt, type(exc).__name__)
            except httpx.TransportError as exc:
                last = Offline(self.tr("Cannot reach {server}: {reason}", server=self.server_url,
                                       reason=_describe(exc)))
                log.info("%s: %s on attempt %d", what, type(exc).__name__, attempt)
            else:
                if resp.status_code < 400:
                    return resp
                wait = _retry_after(resp)
                if resp.status_code not in RETRY_STATUS or (wait or 0) > self.retry.backoff_max_s:
                    raise self._refusal(resp, what)  # e.g. throttled for minutes: say so now
                code, detail = _error_body(resp)
                last = self._tag(ServerError(self.tr("The server failed ({status} {code}) on {what}: {detail}",
                                                     status=resp.status_code, code=code, what=what,
                                                     detail=detail), resp.status_code, code), resp)
                log.info("%s: HTTP %d on attempt %d", what, resp.status_code, attempt)
            if attempt < self.retry.attempts:
                delay = self.retry.delay(attempt, self._rand)
                if isinstance(last, ServerError) and last.status == 429:
                    delay = max(delay, wait or 0.0)
                self._sleep(delay)
        assert last is not None
        raise last

    def _refusal(self, resp: httpx.Response, what: str) -> Exception:
        code, detail = _error_body(resp)
        status = resp.status_code
        if status == 401:
            if code == "bad_credentials":
                return BadCredentials(self.tr("Wrong user name or password"))
            if code == "device_revoked":
                return DeviceRevoked(self.tr("This device was revoked by the server; its data was wiped"))
            return TokenExpired(self.tr("The session has expired; log in again"), code)
        if status == 426:
            return IncompatibleServer(self.tr("The server no longer accepts this app version ({detail}); "
                                              "update the app", detail=detail))
        return self._tag(RequestRefused(self.tr("The server refused {what} ({status} {code}): {detail}",
                                                what=what, status=status, code=code, detail=detail),
                                        status, code), resp)

    def _tag(self, exc: SyncErrorT, resp: httpx.Response) -> SyncErrorT:
        """Name the server's request id (X-Request-Id) in the error and its message."""
        request_id = _request_id(resp)
        if request_id:
            exc.request_id = request_id
            exc.args = (f"{exc.args[0]} {self.tr('(request id {request_id})', request_id=request_id)}",
                        *exc.args[1:])
        return exc

    def _parse(self, resp: httpx.Response, validate: Callable[[bytes], T], what: str,
               content: bytes | None = None) -> T:
        """`validate` the answer's body (or `content`, a part of it)."""
        content = resp.content if content is None else content
        try:
            return validate(content)
        except ValidationError as exc:
            errors = exc.errors(include_url=False, include_input=False)
            if errors and errors[0]["type"] == "json_invalid":
                ctype = resp.headers.get("content-type", "?")
                raise self._tag(ProtocolError(self.tr(
                    "{what}: the server answered invalid JSON ({ctype}, {size} bytes)",
                    what=what, ctype=ctype, size=len(content))), resp) from None
            fields = "; ".join(f"{'.'.join(map(str, e['loc'])) or '(body)'}: {e['msg']}" for e in errors[:3])
            more = len(errors) - 3
            raise self._tag(ProtocolError(self.tr(
                "{what}: the answer does not match protocol v1: {fields}",
                what=what, fields=fields + (f" (+{more} more)" if more > 0 else ""))), resp) from None


def as_lines(answer: Answer) -> bool:
    """Whether a pull's answer is a page as lines (`PULL_LINES`), not a `PullResponse`."""
    return answer.response.headers.get("content-type", "").startswith(PULL_LINES)


def cursor_part(answer: Answer) -> bytes:
    """The bytes of a pull's answer that name the next cursor (`prefetch.next_cursor_hint`):
    the head line of a page as lines, the whole of a JSON page (its end names it)."""
    content = answer.response.content
    return content[:content.find(b"\n")] if as_lines(answer) else content


def _request_id(resp: httpx.Response) -> str | None:
    """The answer's X-Request-Id, when it is a short token (it is shown to people)."""
    value = resp.headers.get("x-request-id", "").strip()
    return value if 0 < len(value) <= 100 and value.isprintable() and " " not in value else None


def _retry_after(resp: httpx.Response) -> float | None:
    try:
        return float(resp.headers["Retry-After"])
    except (KeyError, ValueError):
        return None


def _error_body(resp: httpx.Response) -> tuple[str, str]:
    try:
        body = ErrorBody.model_validate_json(resp.content)
        return body.error, body.detail[:300]
    except ValidationError:
        text = " ".join(resp.text.split())[:120] if resp.content else ""
        return f"http_{resp.status_code}", text or resp.reason_phrase


def _describe(exc: httpx.TransportError) -> str:
    """A short reason without the URL's query (cursor) or headers."""
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0][:160]
