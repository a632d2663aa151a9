"""The customer's page: /c/{token}, server-rendered, one question per page, no JavaScript.

    GET  /c/{token}                  the visit: when, who (name and staff number), its state,
                                     what the customer can do; the complaints and their state
    POST /c/{token}/confirm          confirm the time
    GET|POST /c/{token}/reschedule   choose another allowed time
    GET|POST /c/{token}/decline      a phone call instead of the visit
    GET|POST /c/{token}/rate         after the visit: 1-5
    GET|POST /c/{token}/comment      after the visit: anything to tell us
    GET|POST /c/{token}/complaint    file a complaint
    GET  /c/{token}/done/{what}      the confirmation of an answer

Every form carries a CSRF token that must equal the page's cookie (double submit, the cookie
SameSite=Strict). Requests are rate-limited per client address, unknown links more strictly.
Responses are never cached, send no Referer (the link is a secret) and allow no scripts.
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Cookie, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy.orm import Session

from fieldapp.core.errors import BadInput, Conflict
from fieldapp.core.i18n import LANGUAGES, Translator
from fieldapp.server.deps import SessionDep, SettingsDep, client_ip
from fieldapp.server.services import appointments, customer_links, feedback, institution
from fieldapp.server.services import customer_page as page
from fieldapp.server.settings import ServerSettings

HERE = Path(__file__).resolve().parent
CSRF_COOKIE = "fa_csrf"
DONE = ("confirmed", "reschedule", "declined", "rated", "commented", "complaint")
HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
                               "frame-ancestors 'none'; base-uri 'none'",
}
RATINGS = ((5, "Very good"), (4, "Good"), (3, "Neither good nor poor"), (2, "Poor"), (1, "Very poor"))

router = APIRouter(prefix="/c", include_in_schema=False)
_env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"]),
                   trim_blocks=True, lstrip_blocks=True)


def _language(request: Request, form_lang: str | None = None, loaded: page.Loaded | None = None) -> str:
    for candidate in (form_lang, request.query_params.get("lang")):
        if candidate in LANGUAGES:
            return candidate  # type: ignore[return-value]
    if loaded is not None:
        return appointments.customer_language(loaded.case.customer)
    return "en"


def _url(token: str, path: str = "", lang: str | None = None) -> str:
    return f"/c/{token}{path}" + (f"?{urlencode({'lang': lang})}" if lang else "")


class Ctx:
    """One request: its language, CSRF value and the render/redirect helpers."""

    def __init__(self, request: Request, settings: ServerSettings, lang: str, token: str | None = None,
                 session: Session | None = None):
        self.request, self.settings, self.lang, self.token = request, settings, lang, token
        # The creditor's name in the page's language (the administrator's, else the setting).
        self.institution = institution.name_in(session, lang, settings.institution_name) \
            if session is not None else settings.institution_name
        self.tr = Translator.for_language(lang)
        cookie = request.cookies.get(CSRF_COOKIE) or ""
        self.new_csrf = not (20 <= len(cookie) <= 100 and cookie.replace("-", "").replace("_", "").isalnum())
        self.csrf = secrets.token_urlsafe(24) if self.new_csrf else cookie

    def render(self, template: str, status: int = 200, **values: Any) -> HTMLResponse:
        other = "en" if self.lang == "zh_CN" else "zh_CN"
        path = self.request.url.path
        html = _env.get_template(template).render(
            t=self.tr, lang=self.lang, html_lang="zh-CN" if self.lang == "zh_CN" else "en",
            institution=self.institution, csrf=self.csrf, token=self.token,
            other_lang_url=f"{path}?{urlencode({'lang': other})}" if self.request.method == "GET" else None,
            other_lang_code="zh-CN" if other == "zh_CN" else "en",
            other_lang_label="中文" if other == "zh_CN" else "English",
            url=lambda p="": _url(self.token or "", p, self.lang), **values)
        response = HTMLResponse(html, status_code=status, headers=HEADERS)
        if self.new_csrf:
            response.set_cookie(CSRF_COOKIE, self.csrf, httponly=True, samesite="strict", path="/c",
                                secure=self.settings.public_base_url.startswith("https://"))
        return response

    def redirect(self, path: str) -> RedirectResponse:
        return RedirectResponse(_url(self.token or "", path, self.lang), status_code=303, headers=HEADERS)

    def problem(self, kind: str, status: int, **values: Any) -> HTMLResponse:
        return self.render("problem.html", status=status, kind=kind, **values)


def _open(request: Request, session: Session, settings: ServerSettings, token: str,
          form_lang: str | None = None) -> tuple[Ctx, page.Loaded | None, Response | None]:
    """Rate limit, then the link: (ctx, loaded, None), or (ctx, None, an error page)."""
    ip = client_ip(request, settings) or "unknown"
    window = dt.timedelta(minutes=settings.page_window_minutes)
    ctx = Ctx(request, settings, _language(request, form_lang), token, session)
    wait = (page.over_limit(session, f"bad:{ip}", settings.page_max_bad_tokens, window, record=False)
            or page.over_limit(session, f"ip:{ip}", settings.page_max_requests, window))
    if wait is not None:
        minutes = max(1, -(-wait // 60))
        response = ctx.problem("rate_limited", 429, minutes=minutes)
        response.headers["Retry-After"] = str(wait)
        return ctx, None, response
    link, state = customer_links.resolve(session, token)
    if state == "unknown" or link is None:
        page.over_limit(session, f"bad:{ip}", settings.page_max_bad_tokens + 1, window)
        return ctx, None, ctx.problem("unknown", 404)
    if state == "expired":
        return ctx, None, ctx.problem("expired", 410)
    loaded = page.load(session, link)
    ctx = Ctx(request, settings, _language(request, form_lang, loaded), token, session)
    customer_links.opened(session, link)
    return ctx, loaded, None


def _csrf_ok(form_value: str, cookie: str | None) -> bool:
    return bool(cookie) and bool(form_value) and hmac.compare_digest(form_value.encode(), (cookie or "").encode())


Token = str
FormStr = Annotated[str, Form(max_length=6000)]
CsrfCookie = Annotated[str | None, Cookie(alias=CSRF_COOKIE)]


def _forged(ctx: Ctx) -> HTMLResponse:
    return ctx.problem("csrf", 403)


# ---------------------------------------------------------------------- the visit
@router.get("/{token}", response_class=HTMLResponse)
def visit(token: Token, request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    ctx, loaded, error = _open(request, session, settings, token)
    if error is not None:
        return error
    assert loaded is not None
    return ctx.render("visit.html", view=page.view(session, loaded, settings, ctx.lang))


@router.post("/{token}/confirm")
def confirm(token: Token, request: Request, session: SessionDep, settings: SettingsDep, csrf: FormStr = "",
            lang: FormStr = "", fa_csrf: CsrfCookie = None) -> Response:
    ctx, loaded, error = _open(request, session, settings, token, lang)
    if error is not None:
        return error
    assert loaded is not None
    if not _csrf_ok(csrf, fa_csrf):
        return _forged(ctx)
    try:
        appointments.answer(session, loaded.appointment, "confirmed")
    except appointments.AlreadyAnswered:
        return ctx.render("visit.html", view=page.view(session, loaded, settings, ctx.lang), already=True)
    except Conflict:
        return ctx.render("visit.html", status=409, view=page.view(session, loaded, settings, ctx.lang),
                          not_now=True)
    return ctx.redirect("/done/confirmed")


# ---------------------------------------------------------------------- another time
@router.get("/{token}/reschedule", response_class=HTMLResponse)
def reschedule_form(token: Token, request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    ctx, loaded, error = _open(request, session, settings, token)
    if error is not None:
        return error
    assert loaded is not None
    if not page.active(loaded):
        return ctx.redirect("")
    return ctx.render("reschedule.html", slots=page.other_slots(session, loaded, settings, ctx.lang))


@router.post("/{token}/reschedule")
def reschedule(token: Token, request: Request, session: SessionDep, settings: SettingsDep, csrf: FormStr = "",
               lang: FormStr = "", slot: FormStr = "", fa_csrf: CsrfCookie = None) -> Response:
    ctx, loaded, error = _open(request, session, settings, token, lang)
    if error is not None:
        return error
    assert loaded is not None
    if not _csrf_ok(csrf, fa_csrf):
        return _forged(ctx)
    if not page.active(loaded):
        return ctx.redirect("")
    slots = page.other_slots(session, loaded, settings, ctx.lang)
    if not slot:
        return ctx.render("reschedule.html", status=400, slots=slots,
                          error=ctx.tr("Select the time you would like the visit"))
    chosen = page.pick_slot(session, loaded, settings, slot, ctx.lang)
    if chosen is None:
        return ctx.render("reschedule.html", status=400, slots=slots,
                          error=ctx.tr("That time is no longer free. Select another time"))
    appointments.answer(session, loaded.appointment, "reschedule_requested", requested=chosen)
    return ctx.redirect("/done/reschedule")


# ---------------------------------------------------------------------- a call instead
@router.get("/{token}/decline", response_class=HTMLResponse)
def decline_form(token: Token, request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    ctx, loaded, error = _open(request, session, settings, token)
    if error is not None:
        return error
    assert loaded is not None
    if not page.active(loaded):
        return ctx.redirect("")
    return ctx.render("decline.html", phone=page.view(session, loaded, settings, ctx.lang).phone)


@router.post("/{token}/decline")
def decline(token: Token, request: Request, session: SessionDep, settings: SettingsDep, csrf: FormStr = "",
            lang: FormStr = "", call: FormStr = "", fa_csrf: CsrfCookie = None) -> Response:
    ctx, loaded, error = _open(request, session, settings, token, lang)
    if error is not None:
        return error
    assert loaded is not None
    if not _csrf_ok(csrf, fa_csrf):
        return _forged(ctx)
    if not page.active(loaded):
        return ctx.redirect("")
    if call not in ("yes", "no"):
        return ctx.render("decline.html", status=400, phone=page.view(session, loaded, settings, ctx.lang).phone,
                          error=ctx.tr("Select yes if you want a phone call instead of the visit"))
    if call == "no":
        return ctx.redirect("")
    appointments.answer(session, loaded.appointment, "declined")
    return ctx.redirect("/done/declined")


# ---------------------------------------------------------------------- after the visit
@router.get("/{token}/rate", response_class=HTMLResponse)
def rate_form(token: Token, request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    ctx, loaded, error = _open(request, session, settings, token)
    if error is not None:
        return error
    assert loaded is not None
    if not page.view(session, loaded, settings, ctx.lang).can_rate:
        return ctx.redirect("")
    return ctx.render("rate.html", ratings=RATINGS)


@router.post("/{token}/rate")
def rate(token: Token, request: Request, session: SessionDep, settings: SettingsDep, csrf: FormStr = "",
         lang: FormStr = "", rating: FormStr = "", fa_csrf: CsrfCookie = None) -> Response:
    ctx, loaded, error = _open(request, session, settings, token, lang)
    if error is not None:
        return error
    assert loaded is not None
    if not _csrf_ok(csrf, fa_csrf):
        return _forged(ctx)
    if rating not in {str(n) for n, _ in RATINGS}:
        return ctx.render("rate.html", status=400, ratings=RATINGS, error=ctx.tr("Select how the visit was"))
    try:
        feedback.rate(session, loaded.appointment, int(rating))
    except Conflict:
        return ctx.redirect("")
    return ctx.redirect("/comment")


@router.get("/{token}/comment", response_class=HTMLResponse)
def comment_form(token: Token, request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    ctx, loaded, error = _open(request, session, settings, token)
    if error is not None:
        return error
    assert loaded is not None
    if feedback.feedback_of(session, loaded.appointment.id) is None:
        return ctx.redirect("")
    return ctx.render("comment.html", limit=feedback.MAX_TEXT, value="")


@router.post("/{token}/comment")
def comment(token: Token, request: Request, session: SessionDep, settings: SettingsDep, csrf: FormStr = "",
            lang: FormStr = "", text: FormStr = "", fa_csrf: CsrfCookie = None) -> Response:
    ctx, loaded, error = _open(request, session, settings, token, lang)
    if error is not None:
        return error
    assert loaded is not None
    if not _csrf_ok(csrf, fa_csrf):
        return _forged(ctx)
    if len(text.strip()) > feedback.MAX_TEXT:
        return ctx.render("comment.html", status=400, limit=feedback.MAX_TEXT, value=text,
                          error=ctx.tr("Your comment must be {limit} characters or fewer", limit=feedback.MAX_TEXT))
    try:
        feedback.comment(session, loaded.appointment, text)
    except Conflict:
        return ctx.redirect("")
    return ctx.redirect("/done/rated" if not text.strip() else "/done/commented")


@router.get("/{token}/complaint", response_class=HTMLResponse)
def complaint_form(token: Token, request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    ctx, loaded, error = _open(request, session, settings, token)
    if error is not None:
        return error
    return ctx.render("complaint.html", limit=feedback.MAX_TEXT, value="",
                      days=settings.complaint_answer_days)


@router.post("/{token}/complaint")
def complaint(token: Token, request: Request, session: SessionDep, settings: SettingsDep, csrf: FormStr = "",
              lang: FormStr = "", text: FormStr = "", fa_csrf: CsrfCookie = None) -> Response:
    ctx, loaded, error = _open(request, session, settings, token, lang)
    if error is not None:
        return error
    assert loaded is not None
    if not _csrf_ok(csrf, fa_csrf):
        return _forged(ctx)
    problem = None
    if not text.strip():
        problem = ctx.tr("Enter your complaint")
    elif len(text.strip()) > feedback.MAX_TEXT:
        problem = ctx.tr("Your complaint must be {limit} characters or fewer", limit=feedback.MAX_TEXT)
    if problem:
        return ctx.render("complaint.html", status=400, limit=feedback.MAX_TEXT, value=text, error=problem,
                          days=settings.complaint_answer_days)
    try:
        feedback.file_complaint(session, loaded.appointment, text, settings)
    except BadInput:
        return ctx.render("complaint.html", status=400, limit=feedback.MAX_TEXT, value=text,
                          error=ctx.tr("Enter your complaint"), days=settings.complaint_answer_days)
    return ctx.redirect("/done/complaint")


@router.get("/{token}/done/{what}", response_class=HTMLResponse)
def done(token: Token, what: str, request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    ctx, loaded, error = _open(request, session, settings, token)
    if error is not None:
        return error
    assert loaded is not None
    if what not in DONE:
        return ctx.redirect("")
    return ctx.render("done.html", what=what, view=page.view(session, loaded, settings, ctx.lang),
                      days=settings.complaint_answer_days)
