"""`fieldapp server ...`: run and administer the sync server.

Every subcommand takes `--db URL` (default: the configured database, a SQLite file in
$FIELDAPP_HOME or the user data folder). Exit codes: 0 done, 1 refused, 2 bad input.
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import logging
import os
import socket
import sys
from collections.abc import Iterator

from fieldapp.core.errors import BadInput, Conflict

DESCRIPTION = "Run and administer the sync server (every subcommand takes --db URL)."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True,
                                parser_class=type(parser))

    def add(name: str, help_text: str, *, sub=sub) -> argparse.ArgumentParser:  # type: ignore[no-untyped-def]
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.add_argument("--db", metavar="URL", help="database URL (sqlite:///FILE or "
                       "postgresql+psycopg://USER@HOST:PORT/DB); default: the configured one")
        p.add_argument("--config", metavar="FILE", help="settings file (TOML or KEY=VALUE env file)")
        return p

    p = add("run", "serve the sync API over HTTP (put a TLS reverse proxy in front)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--workers", type=int, default=1, help="worker processes (share one database)")
    p.add_argument("--no-upgrade", action="store_true", help="do not upgrade the database first")

    add("init", "create the database or upgrade it to the current schema")

    p = add("create-user", "create a user (password from FIELDAPP_PASSWORD or a prompt)")
    p.add_argument("name")
    p.add_argument("--role", required=True, choices=("agent", "lead", "admin"))
    p.add_argument("--team")
    p.add_argument("--display-name")
    p.add_argument("--staff-number", help="the staff number customers see in notices")

    p = add("import-cases", "import cases from a CSV file (columns: see fieldapp/server/IMPORT.md)")
    p.add_argument("file")
    p.add_argument("--skip-invalid", action="store_true", help="import the good rows, skip the bad")
    p.add_argument("--rejected", metavar="FILE",
                   help="write each rejected row's line, column and reason to this CSV file")
    p.add_argument("--geocoder", choices=("nominatim", "none"), help="how to locate rows without lat/lon")
    p.add_argument("--geocoder-url", metavar="URL",
                   help="Nominatim base URL, e.g. https://nominatim.example.org")

    add("seed-demo", "load the demo users and cases (a no-op when present)")

    p = add("reassign", "give a case to another agent")
    p.add_argument("external_id")
    p.add_argument("username")

    p = add("close-case", "close a case (its agent's laptop purges it)")
    p.add_argument("external_id")

    p = add("revoke-device", "revoke a user's device (its tokens and signing certificates stop working)")
    p.add_argument("username")
    p.add_argument("device_id")
    p.add_argument("--since", metavar="TIME", help="the device was compromised since then (ISO 8601 with "
                   "offset): documents it signed and the server received after that are no longer trusted")

    from fieldapp.commands import server_ca

    server_ca.add_parsers(sub, add)

    p = add("propose-appointment", "propose a visit: checked under the case's policy, then the "
            "customer's notices are queued")
    p.add_argument("external_id")
    p.add_argument("--start", required=True, metavar="ISO", help="e.g. 2026-03-04T10:00:00+08:00")
    p.add_argument("--end", required=True, metavar="ISO")
    p.add_argument("--by", metavar="USER", help="the lead or back-office user proposing (default: back office)")
    p.add_argument("--lang", default="en", choices=("en", "zh_CN"), help="language of the reasons")

    p = add("slots", "the next allowed appointment slots of a case, in the customer's time")
    p.add_argument("external_id")
    p.add_argument("--count", type=int, default=5)
    p.add_argument("--lang", default="en", choices=("en", "zh_CN"))

    p = add("validate-template", "check notice templates: every language, the agent named, never the debt")
    p.add_argument("files", nargs="+", metavar="FILE")

    p = add("send-notices", "send the queued notices (the worker `server run` also runs)")
    p.add_argument("--once", action="store_true", help="send what is due now, then stop")

    p = add("institution", "show or set the creditor named on agreements and in the scripts "
                           "(laptops take it at their next sync)")
    p.add_argument("--name", action="append", default=[], metavar="LANG=TEXT",
                   help="the name in a language (en, zh_CN); repeat per language")
    p.add_argument("--address", action="append", default=[], metavar="LANG=TEXT",
                   help="the address in a language; repeat per language")
    p.add_argument("--registration", metavar="TEXT", help="registration number (e.g. unified social credit code)")
    p.add_argument("--tile-url", metavar="URL", help="the map's tile server, e.g. https://tiles.example.org/{z}/{x}/{y}.png "
                                                     "('' removes it)")


def _settings(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from fieldapp.server.settings import ServerSettings

    overrides = {"database_url": args.db} if args.db else {}
    return ServerSettings.load(args.config, **overrides)


def run(args: argparse.Namespace) -> int:
    action = args.action
    if action == "validate-template":
        from fieldapp.commands.notices import validate_templates

        return validate_templates(args.files)
    settings = _settings(args)
    if action == "run":
        return _run(args, settings)
    from fieldapp.server.db import upgrade
    from fieldapp.server.services.history import start_new_stretch

    with _database(settings.database_url):
        try:
            if action in ("ca", "evidence"):
                from fieldapp.commands import server_ca

                return server_ca.run(args, settings)
            upgrade(settings.database_url)
            start_new_stretch(settings.database_url)  # change numbers a restored backup cannot reuse
            if action == "init":
                print(f"database ready: {_safe_url(settings.database_url)}")
                return 0
            if action == "send-notices":
                from fieldapp.commands.notices import send_notices

                return send_notices(args, settings)
            if action in ("propose-appointment", "slots"):
                from fieldapp.commands.notices import appointment_command

                return appointment_command(action, args, settings)
            return _admin(action, args, settings)
        except Conflict as exc:
            print(f"fieldapp server {action}: {exc}", file=sys.stderr)
            return 1


@contextlib.contextmanager
def _database(url: str) -> Iterator[None]:
    """A database that cannot be reached or opened is bad input (--db): one line naming
    it (password hidden) and the driver's first line, not SQLAlchemy's traceback."""
    from sqlalchemy.exc import DatabaseError, InterfaceError, OperationalError

    try:
        yield
    except (OperationalError, InterfaceError) as exc:
        raise BadInput(f"cannot use the database {_safe_url(url)}: {_first_line(exc.orig)}", field="--db") from None
    except DatabaseError as exc:
        if type(exc) is not DatabaseError:  # integrity, programming ... errors are bugs: keep the traceback
            raise
        # e.g. SQLite's "file is not a database"
        raise BadInput(f"cannot use the database {_safe_url(url)}: {_first_line(exc.orig)}", field="--db") from None
    except OSError as exc:  # the SQLite file's folder cannot be made
        raise BadInput(f"cannot use the database {_safe_url(url)}: {exc.strerror or exc}", field="--db") from None


def _first_line(exc: BaseException | None) -> str:
    text = str(exc or "").strip()
    return text.splitlines()[0].strip() if text else type(exc).__name__


def _admin(action: str, args: argparse.Namespace, settings) -> int:  # type: ignore[no-untyped-def]
    from fieldapp.server import admin
    from fieldapp.server.db import make_engine, session_factory

    engine = make_engine(settings.database_url)
    try:
        with session_factory(engine)() as session, session.begin():
            if action == "create-user":
                password = _password(args.name)
                user = admin.create_user(session, args.name, password, args.role, args.team,
                                         args.display_name, staff_number=args.staff_number)
                print(f"created {user.role} {user.username}" + (f" in team {args.team}" if args.team else ""))
            elif action == "import-cases":
                return _import(session, args, settings)
            elif action == "seed-demo":
                created = admin.seed_demo(session)
                if any(created.values()):
                    print(f"demo data loaded: {created['users']} users, {created['cases']} cases "
                          "(passwords: demo-<username>)")
                else:
                    print("demo data already present; nothing changed")
            elif action == "reassign":
                admin.reassign_case(session, args.external_id, args.username)
                print(f"case {args.external_id} assigned to {args.username}")
            elif action == "close-case":
                admin.close_case(session, args.external_id)
                print(f"case {args.external_id} closed")
            elif action == "revoke-device":
                from fieldapp.core.timeutil import parse_aware

                since = parse_aware(args.since, field="--since") if args.since else None
                admin.revoke_device(session, args.username, args.device_id, compromised_since=since)
                print(f"device {args.device_id} of {args.username} revoked, with its signing certificates")
            elif action == "institution":
                return _institution(session, args)
        return 0
    finally:
        engine.dispose()


def _per_language(values: list[str], option: str) -> dict[str, str]:
    from fieldapp.protocol.v1 import INSTITUTION_LANGUAGES

    out: dict[str, str] = {}
    for value in values:
        lang, sep, text = value.partition("=")
        if not sep or lang.strip() not in INSTITUTION_LANGUAGES or not text.strip():
            raise BadInput(f"{value!r}: write LANG=TEXT with LANG one of {', '.join(INSTITUTION_LANGUAGES)}",
                           field=option)
        out[lang.strip()] = text.strip()
    return out


def _institution(session, args: argparse.Namespace) -> int:  # type: ignore[no-untyped-def]
    """Without options: print the creditor's details (1 when none are set); with: set them."""
    from pydantic import ValidationError

    from fieldapp.protocol.v1 import InstitutionInfo
    from fieldapp.server.services import institution

    names, addresses = _per_language(args.name, "--name"), _per_language(args.address, "--address")
    current = institution.current(session)
    if names or addresses or args.registration is not None or args.tile_url is not None:
        if current is None and not names:
            raise BadInput("the institution has no name yet: give --name LANG=TEXT", field="--name")
        given = {"names": names or dict(current.names), "addresses": addresses}  # type: ignore[union-attr]
        if args.registration is not None:
            given["registration"] = args.registration
        if args.tile_url is not None:
            given["tile_url"] = args.tile_url or None
        try:
            current = institution.update(session, InstitutionInfo(**given), merge=True)
        except ValidationError as exc:
            first = exc.errors()[0]
            message = str(first.get("msg")).removeprefix("Value error, ")
            raise BadInput(message, field=".".join(str(p) for p in first.get("loc", ()))) from None
    if current is None:
        print("no institution set: fieldapp server institution --name zh_CN=... --name en=...", file=sys.stderr)
        return 1
    for lang, name in sorted(current.names.items()):
        print(f"name ({lang}): {name}")
    for lang, address in sorted(current.addresses.items()):
        print(f"address ({lang}): {address}")
    print(f"registration: {current.registration or '-'}")
    print(f"tile server: {current.tile_url or '-'}")
    return 0


def _import(session, args: argparse.Namespace, settings) -> int:  # type: ignore[no-untyped-def]
    from fieldapp.server.import_progress import for_stream
    from fieldapp.server.importer import MAX_ERRORS_SHOWN, import_cases

    bar = for_stream(sys.stderr)  # a progress line only on a terminal
    try:
        report = import_cases(session, args.file, skip_invalid=args.skip_invalid,
                              geocoder=_geocoder(session, args, settings), rejected=args.rejected,
                              progress=bar)
    finally:
        if bar is not None:
            bar.finish()
    # Nothing imported is bad input: the rows' problems are the report (stdout), and
    # stderr gets the one-line reason. Rows skipped by --skip-invalid are warnings.
    report_to = sys.stdout if not report.applied else sys.stderr
    for err in report.errors[:MAX_ERRORS_SHOWN]:
        print(f"{args.file}: {err}", file=report_to)
    if report.problems > MAX_ERRORS_SHOWN:
        more = f"{args.file}: ... and {report.problems - MAX_ERRORS_SHOWN} more"
        print(more + (f" (all in {args.rejected})" if args.rejected else ""), file=report_to)
    for external_id, why in report.flagged[:MAX_ERRORS_SHOWN]:
        print(f"warning: case {external_id} cannot be visited as planned: {why}", file=report_to)
    if not report.applied:
        raise BadInput(report.summary())
    print(report.summary())
    return 0


def _geocoder(session, args: argparse.Namespace, settings):  # type: ignore[no-untyped-def]
    from urllib.parse import urlsplit

    kind = args.geocoder or settings.geocoder
    if kind == "none":
        return None
    from fieldapp.geo.geocode import Geocoder
    from fieldapp.server.geocache import DbGeocodeCache

    scheme, domain = settings.geocoder_scheme, settings.geocoder_domain
    if args.geocoder_url:
        parts = urlsplit(args.geocoder_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise BadInput(f"{args.geocoder_url!r} is not an http(s) URL", field="--geocoder-url")
        scheme, domain = parts.scheme, parts.netloc + parts.path.rstrip("/")
    return Geocoder(domain=domain, scheme=scheme, user_agent=settings.geocoder_user_agent,
                    min_delay_seconds=settings.geocoder_min_delay_seconds,
                    cache=DbGeocodeCache(session))


def _password(username: str) -> str:
    from fieldapp.server.auth import check_password_strength

    password = os.environ.get("FIELDAPP_PASSWORD")
    if password is None:
        if not sys.stdin.isatty():
            raise BadInput("set FIELDAPP_PASSWORD or run in a terminal to be asked", field="password")
        password = getpass.getpass(f"password for {username}: ")
        if getpass.getpass("again: ") != password:
            raise BadInput("the two passwords differ", field="password")
    weak = check_password_strength(password, username)
    if weak:
        raise BadInput(f"password refused: {weak}", field="password")
    return password


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _check_listen(host: str, port: int) -> None:
    """Bind once before serving (as uvicorn will), so a busy port or an unknown host is one
    line, exit 2, rather than uvicorn's start-up and shutdown log around its error."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        if os.name != "nt":  # as uvicorn does: a port left in TIME_WAIT may be reused
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except socket.gaierror as exc:
            raise BadInput(f"cannot listen on {host!r}: {exc.strerror}", field="--host") from None
        except OSError as exc:
            raise BadInput(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


def _run(args: argparse.Namespace, settings) -> int:  # type: ignore[no-untyped-def]
    import uvicorn

    from fieldapp.server.db import upgrade
    from fieldapp.server.settings import ENV_PREFIX

    if args.workers < 1:
        raise BadInput("--workers must be at least 1", field="--workers")
    if not 0 <= args.port <= 65535:
        raise BadInput("--port must be 0-65535", field="--port")
    _check_listen(args.host, args.port)
    # Before anything imports prometheus-client: logs, the metrics folder and listener.
    from fieldapp.server.observability import serving
    from fieldapp.server.services.history import start_new_stretch
    from fieldapp.server.settings import data_dir

    root = logging.getLogger()
    found = (list(root.handlers), root.level)
    try:
        observed = serving.prepare(settings, args.port, data_dir())
        if not args.no_upgrade:
            with _database(settings.database_url):
                upgrade(settings.database_url)
                start_new_stretch(settings.database_url)
    except BaseException:  # refused before serving: the caller's logging as it was (main() in-process)
        root.handlers[:] = found[0]
        root.setLevel(found[1])
        raise
    serving.announce(args.host, args.port, args.workers, _safe_url(settings.database_url), settings)
    if args.workers == 1:
        from fieldapp.server.app import create_app

        uvicorn.run(create_app(settings), host=args.host, port=args.port, proxy_headers=True,
                    forwarded_allow_ips="127.0.0.1", **observed)
        return 0
    # Workers are separate processes: they read the same settings from the environment.
    os.environ[ENV_PREFIX + "DATABASE_URL"] = settings.database_url
    if args.config:
        os.environ[ENV_PREFIX + "CONFIG"] = os.path.abspath(args.config)
    uvicorn.run("fieldapp.server.app:app_from_env", factory=True, host=args.host, port=args.port,
                workers=args.workers, proxy_headers=True, forwarded_allow_ips="127.0.0.1", **observed)
    return 0


