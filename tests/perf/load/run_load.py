"""Load test: several `fieldapp server run` processes on one PostgreSQL, behind a round-robin
proxy on loopback, synced by simulated agents (Locust, headless, bounded in users and time).

    .venv/bin/python tests/perf/load/run_load.py --users 300 --minutes 3

1. a fresh database `fieldapp_load_<pid>` on the PostgreSQL of --pg (dropped at the end);
2. `server init`, one agent account per virtual user (the admin service), and
   --cases-per-agent cases each (`server import-cases` of a generated CSV, `--geocoder none`);
3. --servers `fieldapp server run` processes, each on its own loopback port, and proxy.py
   in front of them;
4. Locust with locustfile.py: every agent signs in, pulls, uploads a visit's attachments and
   pushes the visit, over and over, for --minutes;
5. throughput and p50/p95/p99 per endpoint (and /healthz through the same proxy, the
   baseline: what a request costs that does no work);
6. the database check: every item a client saw accepted is stored exactly once, nothing is
   stored that no client sent, and no client missed a change (see `check_changes`).

Exit 0 only with no failed request, no lost, duplicated or unexpected item, no missed change.
Only loopback addresses are used; every loop is bounded by --minutes and the timeouts below.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter as Tally
from contextlib import ExitStack, closing
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
START_TIMEOUT = 90  # seconds for a server to answer /readyz
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
ENDPOINTS = ("login", "pull", "attachment", "push", "healthz (baseline)")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="fieldapp load test (Locust, several servers, one PostgreSQL)")
    p.add_argument("--users", type=int, default=30, help="simulated agents (one account each)")
    p.add_argument("--minutes", type=float, default=0.5, help="how long the agents sync")
    p.add_argument("--spawn-rate", type=float, default=5, help="agents starting per second")
    p.add_argument("--servers", type=int, default=3, help="`server run` processes behind the proxy")
    p.add_argument("--cases-per-agent", type=int, default=3)
    p.add_argument("--wait", default="5-15", metavar="MIN-MAX", help="seconds an agent waits between rounds")
    p.add_argument("--repeat", type=float, default=0.1, help="share of rounds that re-send an accepted item")
    p.add_argument("--pg", default=os.environ.get("FIELDAPP_LOAD_PG_URL", DEFAULT_PG),
                   help="a PostgreSQL URL whose user may create databases (default: %(default)s)")
    p.add_argument("--keep", action="store_true", help="keep the database and the run folder")
    args = p.parse_args(argv)
    if args.users < 1 or args.servers < 1 or args.minutes <= 0 or args.cases_per_agent < 1:
        p.error("--users, --servers, --cases-per-agent and --minutes must be positive")
    return args


def say(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)


def free_port() -> int:
    with closing(socket.socket()) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ---------------------------------------------------------------------------- database
class Database:
    """A database of its own for this run, created and dropped through the admin URL."""

    def __init__(self, admin_url: str, name: str):
        from sqlalchemy.engine import make_url

        self.admin = make_url(admin_url)
        self.name = name
        self.url = self.admin.set(database=name).render_as_string(hide_password=False)

    def _execute(self, sql: str) -> None:
        import psycopg

        admin = self.admin
        with psycopg.connect(host=admin.host or "127.0.0.1", port=admin.port or 5432, user=admin.username,
                             password=admin.password, dbname=admin.database or "postgres",
                             autocommit=True) as conn:
            conn.execute(sql)

    def create(self) -> None:
        self._execute(f'CREATE DATABASE "{self.name}"')

    def drop(self) -> None:
        self._execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def fieldapp(*args: str, env: dict[str, str], **kw: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "fieldapp", *args], env=env, text=True,
                          capture_output=True, check=True, **kw)


def seed(db: Database, env: dict[str, str], folder: Path, users: int, cases_per_agent: int) -> Path:
    """Agents through the admin service (one transaction), cases through the CLI import."""
    from sqlalchemy.orm import Session

    from fieldapp.server import admin
    from fieldapp.server.db import make_engine

    agents = [(f"load{i:04d}", f"Field-{i:04d}-Visit-9q") for i in range(users)]
    started = time.perf_counter()
    engine = make_engine(db.url)
    with Session(engine) as session, session.begin():
        for name, password in agents:
            admin.create_user(session, name, password, "agent", f"load-team-{int(name[4:]) // 30}")
    engine.dispose()
    say(f"{users} agents created in {time.perf_counter() - started:.1f} s")
    agents_file = folder / "agents.txt"
    agents_file.write_text("".join(f"{n} {p}\n" for n, p in agents))

    rows = folder / "cases.csv"
    with rows.open("w", newline="", encoding="utf-8") as out:
        w = csv.writer(out)
        w.writerow(["external_id", "customer_name", "address", "lat", "lon", "timezone", "region",
                    "amount_due", "currency", "days_past_due", "agent", "policy_id",
                    "appointment_start", "appointment_end"])
        rnd = random.Random(16)
        for i, (name, _) in enumerate(agents):
            for k in range(cases_per_agent):
                w.writerow([f"LOAD-{i:04d}-{k}", f"客户{i:04d}{k}", f"南京市玄武区中山路{i % 200 + 1}号{k + 1}室",
                            f"{32.0 + rnd.random() / 10:.5f}", f"{118.7 + rnd.random() / 10:.5f}",
                            "Asia/Shanghai", "CN", f"{rnd.randint(1000, 90000)}.50", "CNY",
                            rnd.randint(30, 400), name, "cn",
                            "2030-03-04T10:00:00+08:00", "2030-03-04T11:00:00+08:00"])
    started = time.perf_counter()
    fieldapp("server", "import-cases", str(rows), "--geocoder", "none", "--db", db.url, env=env)
    say(f"{users * cases_per_agent} cases imported in {time.perf_counter() - started:.1f} s")
    return agents_file


# ---------------------------------------------------------------------------- processes
def wait_ready(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{url}: the server stopped (exit {proc.returncode}); see {log}")
        try:
            with urllib.request.urlopen(url + "/readyz", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"{url}: not ready within {START_TIMEOUT} s; see {log}")


def stop(proc: subprocess.Popen[Any], name: str) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            say(f"{name} did not stop on SIGTERM; killing it")
            proc.kill()
            proc.wait()


def start_servers(stack: ExitStack, db: Database, env: dict[str, str], folder: Path,
                  count: int) -> list[tuple[int, subprocess.Popen[bytes], Path]]:
    servers = []
    for i in range(count):
        port = free_port()
        home = folder / f"server{i + 1}"
        home.mkdir()
        log = home / "server.log"
        out = stack.enter_context(log.open("wb"))
        proc = subprocess.Popen([sys.executable, "-m", "fieldapp", "server", "run", "--db", db.url,
                                 "--host", "127.0.0.1", "--port", str(port)],
                                env=env | {"FIELDAPP_HOME": str(home)}, stdout=out, stderr=subprocess.STDOUT)
        stack.callback(stop, proc, f"server {i + 1}")
        servers.append((port, proc, log))
    for port, proc, log in servers:
        wait_ready(f"http://127.0.0.1:{port}", proc, log)
    say(f"{count} servers ready on ports {', '.join(str(p) for p, _, _ in servers)}")
    return servers


def start_proxy(stack: ExitStack, ports: list[int], folder: Path) -> tuple[int, subprocess.Popen[str]]:
    port = free_port()
    cmd = [sys.executable, str(HERE / "proxy.py"), "--listen", f"127.0.0.1:{port}"]
    for p in ports:
        cmd += ["--upstream", f"127.0.0.1:{p}"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    stack.callback(stop, proc, "proxy")
    line = proc.stdout.readline() if proc.stdout else ""
    if not line.startswith("proxy listening"):
        raise SystemExit(f"the proxy did not start: {line.strip()}")
    return port, proc


class LockWatch:
    """Samples pg_stat_activity of the run's database every few seconds while the agents sync:
    the most transactions waiting for a lock at once, and the oldest open transaction."""

    def __init__(self, db: Database):
        self.db, self.most_waiting, self.oldest = db, 0, 0.0
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        import psycopg

        admin = self.db.admin
        with psycopg.connect(host=admin.host or "127.0.0.1", port=admin.port or 5432, user=admin.username,
                             password=admin.password, dbname=admin.database or "postgres",
                             autocommit=True) as conn:
            while not self.stopped.wait(3):
                waiting, oldest = conn.execute(
                    "SELECT count(*) FILTER (WHERE wait_event_type = 'Lock'), "
                    "coalesce(extract(epoch FROM max(now() - xact_start)), 0) "
                    "FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", (self.db.name,)).fetchone()
                self.most_waiting, self.oldest = max(self.most_waiting, waiting), max(self.oldest, float(oldest))

    def __enter__(self) -> LockWatch:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stopped.set()
        self.thread.join(timeout=10)
        print(f"database: at most {self.most_waiting} transactions waiting for a lock at once; "
              f"the longest transaction lasted {self.oldest:.1f} s")


# ---------------------------------------------------------------------------- figures
def read_stats(prefix: Path) -> dict[str, dict[str, str]]:
    with open(f"{prefix}_stats.csv", encoding="utf-8") as f:
        return {row["Name"]: row for row in csv.DictReader(f)}


def print_figures(stats: dict[str, dict[str, str]], seconds: float, servers: int, users: int) -> int:
    """The table per endpoint; returns the number of failed requests."""
    head = f"{'endpoint':<20} {'requests':>9} {'failed':>7} {'req/s':>8} {'p50 ms':>7} {'p95 ms':>7} " \
           f"{'p99 ms':>7} {'max ms':>7} {'p50/base':>8}"
    print(head)
    print("-" * len(head))
    base = float(stats.get("healthz (baseline)", {}).get("50%") or 0) or None
    for name in (*ENDPOINTS, "Aggregated"):
        row = stats.get(name)
        if row is None:
            continue
        ratio = f"{float(row['50%']) / base:.1f}x" if base and name not in ("Aggregated",) else ""
        print(f"{name:<20} {row['Request Count']:>9} {row['Failure Count']:>7} "
              f"{float(row['Requests/s']):>8.1f} {row['50%']:>7} {row['95%']:>7} {row['99%']:>7} "
              f"{float(row['Max Response Time']):>7.0f} {ratio:>8}")
    total = stats["Aggregated"]
    sync = sum(float(stats[n]["Requests/s"]) for n in ("pull", "attachment", "push") if n in stats)
    print(f"{users} agents for {seconds:.0f} s on {servers} server process(es): "
          f"{float(total['Requests/s']):.1f} requests/s in all, {sync:.1f} sync requests/s "
          f"({sync / servers:.1f} per process, {users / servers:.0f} agents per process)")
    return int(total["Failure Count"])


# ---------------------------------------------------------------------------- the database check
def check_database(url: str, records: list[dict[str, Any]]) -> list[str]:
    from sqlalchemy import func, select

    from fieldapp.server.db import make_engine
    from fieldapp.server.models import ChangeRow, Counter, PushedItem, User, Visit, VisitAttachment
    from fieldapp.server.services.history import GAP_PREFIX

    problems: list[str] = []
    engine = make_engine(url)
    with engine.connect() as conn:
        ids = dict(conn.execute(select(User.username, User.id).where(User.username.like("load%"))).all())
        sent = Tally(i for r in records for i in r["accepted"])
        unanswered = {i for r in records for i in r["unanswered"]}
        stored = Tally(conn.execute(select(PushedItem.id).where(PushedItem.user_id.in_(list(ids.values()))))
                       .scalars())
        visits = Tally(conn.execute(select(Visit.outbox_item_id).where(Visit.agent_id.in_(list(ids.values()))))
                       .scalars())
        attached = dict(conn.execute(select(Visit.outbox_item_id, func.count(VisitAttachment.sha256))
                                     .join(VisitAttachment, VisitAttachment.visit_id == Visit.id)
                                     .group_by(Visit.outbox_item_id)).all())
        twice = [i for i, n in sent.items() if n > 1]
        lost = [i for i in sent if stored[i] != 1 or visits[i] != 1]
        extra = [i for i in stored if i not in sent and i not in unanswered]
        no_files = [i for i in sent if attached.get(i) != 2]
        print(f"items: {sum(sent.values())} accepted by clients, {sum(stored.values())} stored, "
              f"{sum(r['duplicates'] for r in records)} re-sends answered duplicate, "
              f"{len(unanswered)} sent without an answer read ({len(unanswered & set(stored))} of them stored)")
        print(f"items: {len(lost)} lost, {len(twice)} accepted twice, {len(extra)} stored that no client sent, "
              f"{len(no_files)} without their 2 attachments")
        for label, found in (("accepted twice", twice), ("lost", lost), ("stored but never sent", extra),
                             ("attachments missing", no_files)):
            problems += [f"item {i}: {label}" for i in found[:20]]

        gaps = [(int(n[len(GAP_PREFIX):]), int(v)) for n, v in
                conn.execute(select(Counter.name, Counter.value).where(Counter.name.like(GAP_PREFIX + "%"))).all()]
        rows: dict[str, list[tuple[int, str, str]]] = {}
        for seq, recipient, case_id, op in conn.execute(
                select(ChangeRow.seq, ChangeRow.recipient_id, ChangeRow.case_id, ChangeRow.op)):
            rows.setdefault(recipient, []).append((seq, case_id, op))
    engine.dispose()
    problems += check_changes(records, ids, rows, gaps)
    return problems


def check_changes(records: list[dict[str, Any]], ids: dict[str, str], rows: dict[str, list[tuple[int, str, str]]],
                  gaps: list[tuple[int, int]]) -> list[str]:
    """No client missed a change, and every number it saw was a legitimate one.

    The log keeps one row per (agent, case), renumbered on every change, and all agents share
    one counter; so the numbers one agent sees skip (a) other agents' changes, (b) its own
    superseded ones (their rows were replaced by higher numbers) and (c) the history gaps each
    `server` command opens (`start_new_stretch`), inside which no change is ever numbered.
    Those are the legitimate gaps. A hole is a change row of that agent's, still in the log,
    numbered at or below the cursor the client reached, that the client never received:
    it was committed behind a number the client had already passed."""
    problems: list[str] = []
    holes = seen_total = 0
    for record in records:
        seen = record["seen"]
        numbers = [s for s, _, _ in seen]
        seen_total += len(numbers)
        if any(b <= a for a, b in zip(numbers, numbers[1:])):
            problems.append(f"{record['agent']}: change numbers not increasing across pulls")
        if seen and record["cursor"] < numbers[-1]:
            problems.append(f"{record['agent']}: cursor {record['cursor']} below a change it saw ({numbers[-1]})")
        for s in numbers:
            if any(last < s < start for last, start in gaps):
                problems.append(f"{record['agent']}: change {s} numbered inside a history gap")
        got = {s: case for s, case, _ in seen}
        latest = {case: s for s, case, _ in seen}
        for seq, case_id, _op in rows.get(ids.get(record["agent"], ""), []):
            if seq <= record["cursor"] and got.get(seq) != case_id:
                holes += 1
                problems.append(f"{record['agent']}: change {seq} (case {case_id}) is at or below its cursor "
                                f"{record['cursor']} but was never pulled")
            if case_id in latest and seq < latest[case_id]:
                problems.append(f"{record['agent']}: case {case_id} went back from change {latest[case_id]} to {seq}")
    print(f"changes: {seen_total} received by {len(records)} clients across {len(gaps)} history gap(s); "
          f"{holes} missed (at or below a client's cursor, never received)")
    return problems


def log_errors(log: Path) -> int:
    """Lines of a server's JSON log at level error or worse (and any stray traceback)."""
    count = 0
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            level = json.loads(line).get("level")
        except (ValueError, AttributeError):
            level = "error" if line.startswith("Traceback") else None
        count += level in ("error", "critical")
    return count


# ---------------------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="fieldapp-load-"))
    db = Database(args.pg, f"fieldapp_load_{os.getpid()}")
    env = {k: v for k, v in os.environ.items() if not k.startswith("FIELDAPP_")}
    env |= {"FIELDAPP_HOME": str(folder / "cli"), "FIELDAPP_SERVER_GEOCODER": "none"}
    seconds = args.minutes * 60
    say(f"run folder {folder}, database {db.name}")
    db.create()
    try:
        with ExitStack() as stack:
            fieldapp("server", "init", "--db", db.url, env=env)
            agents_file = seed(db, env, folder, args.users, args.cases_per_agent)
            servers = start_servers(stack, db, env, folder, args.servers)
            port, proxy = start_proxy(stack, [p for p, _, _ in servers], folder)
            say(f"proxy on 127.0.0.1:{port}; {args.users} agents sync for {seconds:.0f} s")
            record_file, prefix = folder / "clients.jsonl", folder / "locust"
            with LockWatch(db):
                locust = subprocess.run(
                    [str(BIN / "locust"), "-f", str(HERE / "locustfile.py"), "--headless", "--only-summary",
                     "-u", str(args.users), "-r", str(args.spawn_rate), "-t", f"{seconds:.0f}s",
                     "--stop-timeout", "60", "--host", f"http://127.0.0.1:{port}", "--csv", str(prefix),
                     "--loglevel", "WARNING"],
                    env=env | {"LOAD_AGENTS": str(agents_file), "LOAD_RECORD": str(record_file),
                               "LOAD_WAIT": args.wait, "LOAD_REPEAT": str(args.repeat)},
                    text=True, capture_output=True, timeout=seconds + 300)
            (folder / "locust.out").write_text(locust.stdout + locust.stderr)
            died = [f"server on port {p} exited ({proc.returncode}) during the run"
                    for p, proc, _ in servers if proc.poll() is not None]
            stack.close()  # stop the servers and the proxy before checking
            print((proxy.stdout.read() if proxy.stdout else "").strip())
            failed = print_figures(read_stats(prefix), seconds, args.servers, args.users)
            records = [json.loads(line) for line in record_file.read_text().splitlines()]
            problems = died + [f"{r['agent']}: {p}" for r in records for p in r["problems"]]
            if len(records) != args.users:
                problems.append(f"{len(records)} of {args.users} agents ran")
            problems += check_database(db.url, records)
            errors = sum(log_errors(log) for _, _, log in servers)
            print(f"server log errors: {errors}")
            if errors:
                problems.append(f"{errors} error lines in the server logs")
            if locust.returncode not in (0, 1) or "Traceback" in locust.stderr:
                problems.append(f"locust exited {locust.returncode}; see {folder / 'locust.out'}")
    finally:
        if not args.keep:
            db.drop()
    if failed or problems:
        for p in problems[:50]:
            print("PROBLEM:", p)
        print(f"FAILED: {failed} failed requests, {len(problems)} problems; run folder {folder}")
        return 1
    if not args.keep:
        shutil.rmtree(folder, ignore_errors=True)
    print("OK: no failed request, no lost or duplicated item, no missed change")
    return 0


if __name__ == "__main__":
    sys.exit(main())
