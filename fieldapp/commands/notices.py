"""`fieldapp server propose-appointment | slots | send-notices`: announced visits from the
command line. Exit codes: 0 done, 1 refused (the slot is not allowed; a notice failed), 2 bad
input."""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from fieldapp.core.errors import BadInput, FieldappError, NotFound
from fieldapp.core.timeutil import parse_aware, zone


def appointment_command(action: str, args: argparse.Namespace, settings) -> int:  # type: ignore[no-untyped-def]
    from fieldapp.server import admin
    from fieldapp.server.db import make_engine, session_factory
    from fieldapp.server.routers.appointments import via_of
    from fieldapp.server.services import appointments

    engine = make_engine(settings.database_url)
    try:
        with session_factory(engine)() as session, session.begin():
            try:
                case = appointments.find_case(session, args.external_id)
            except NotFound as exc:
                raise BadInput(str(exc), field="EXTERNAL_ID") from None
            tz = zone(case.customer.timezone)
            if action == "slots":
                if not 1 <= args.count <= 50:
                    raise BadInput("--count must be 1-50", field="--count")
                found = appointments.offer(session, case, settings, args.lang, count=args.count)
                for slot in found.slots:
                    print(f"{slot.start.astimezone(tz).isoformat()}  {slot.end.astimezone(tz).isoformat()}")
                for why in found.why_none:
                    print(why, file=sys.stderr)
                return 0 if found.slots else 1
            start = parse_aware(args.start, field="--start")
            end = parse_aware(args.end, field="--end")
            by = None
            if args.by:
                try:
                    by = admin.find_user(session, args.by)
                except NotFound as exc:
                    raise BadInput(str(exc), field="--by") from None
            try:
                appt = appointments.propose(session, case, start, end, settings=settings, actor=by,
                                            via=via_of(by) if by else "back_office", lang=args.lang)
            except appointments.SlotRefused as refused:
                print(f"fieldapp server propose-appointment: {case.external_id}: this time cannot be proposed:",
                      file=sys.stderr)
                for reason in refused.reasons:
                    print(f"  - {reason}", file=sys.stderr)
                return 1
            queued = len(list(_notices(session, appt.id)))
            print(f"appointment {appt.id} proposed for case {case.external_id}: "
                  f"{appt.start.astimezone(tz):%Y-%m-%d %H:%M}-{appt.end.astimezone(tz):%H:%M} "
                  f"{case.customer.timezone}; {queued} notice(s) queued")
            return 0
    finally:
        engine.dispose()


def _notices(session, appointment_id: str):  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from fieldapp.server.models_appointments import Notice

    return session.scalars(select(Notice.id).where(Notice.appointment_id == appointment_id))


def validate_templates(files: list[str]) -> int:
    """0 every template valid, 1 one is invalid (problems one per line), 2 unreadable."""
    from fieldapp.server.notify.templates import check_file

    worst = 0
    for name in files:
        template, problems = check_file(name)  # BadInput (unreadable) ends with exit 2
        for problem in problems:
            print(problem)
        if template is None:
            worst = 1
            print(f"{name}: {len(problems)} problem(s)")
        else:
            print(f"{name}: valid ({', '.join(template.texts)})")
    return worst


def send_notices(args: argparse.Namespace, settings) -> int:  # type: ignore[no-untyped-def]
    from fieldapp.server.notify.worker import NoticeWorker

    if not (settings.smtp_url or settings.sms_gateway_url):
        raise BadInput("no channel is configured: set smtp_url and/or sms_gateway_url", field="smtp_url")
    try:
        worker = NoticeWorker(settings)
    except FieldappError as exc:
        raise BadInput(str(exc)) from None
    try:
        if args.once:
            done = worker.run_once()
            print(f"notices: {done.summary()}")
            for error in done.errors[:20]:
                print(f"  {error}", file=sys.stderr)
            return 1 if done.failed or done.retrying else 0
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        print("sending notices until stopped (Ctrl-C)", flush=True)
        worker.start()
        try:
            while not stop.wait(1):
                pass
        except KeyboardInterrupt:
            pass
        return 0
    finally:
        worker.stop()
