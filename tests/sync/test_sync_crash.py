"""A client process killed with SIGKILL at random points of pull and push, again and again;
then one clean sync: server and laptop hold exactly the same data, nothing lost or doubled."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import keyring
import keyring.backends.fail
import pytest
from serverdata import PASSWORD, add_agent, add_cases, touch_cases, visible_cases
from sqlalchemy import select

from fieldapp.server import admin
from fieldapp.server.models import PushedItem, Visit
from fieldapp.server.services.records import case_record
from fieldapp.store import Store
from fieldapp.store import cases as case_repo
from fieldapp.store import outbox as outbox_repo

pytestmark = pytest.mark.slow

HERE = Path(__file__).parent
KILLS = 22
MAX_ROUNDS = 40
PASSPHRASE = "a passphrase for the kill test"


def _env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(FIELDAPP_PASSWORD=PASSWORD, FIELDAPP_STORE_PASSPHRASE=PASSPHRASE,
               FIELDAPP_HOME=str(tmp_path / "home"), FIELDAPP_LANG="en",
               PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")  # never the real keyring
    return env


def _client(store, url, agent, cases_file, visits, env, use_cli):
    if use_cli:
        cmd = [sys.executable, "-m", "fieldapp", "sync", "--server", url, "--user", agent,
               "--store", str(store), "--page-size", "20"]
    else:
        cmd = [sys.executable, str(HERE / "crash_client.py"), str(store), url, agent, str(cases_file), str(visits)]
    return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _kill_after_lines(proc: subprocess.Popen, lines: int) -> str:
    """Let the client print `lines` progress lines, then SIGKILL it; returns the phase
    of the last line seen (what the client was doing when it died)."""
    last = ""
    for _ in range(lines):
        line = proc.stdout.readline()
        if not line:
            break
        last = line.split()[0]
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    return last


def _kill_in_phase(proc: subprocess.Popen, phase: str, extra: int) -> str:
    """SIGKILL the client `extra` progress lines after it starts `phase` (or when it ends)."""
    last, seen = "", -1
    while seen < extra:
        line = proc.stdout.readline()
        if not line:
            break
        last = line.split()[0]
        if last == phase or seen >= 0:
            seen += 1
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    return last


def test_sigkill_during_pull_and_push_loses_and_doubles_nothing(server, tmp_path):
    rng = random.Random(20260302)
    agent = "crash-agent"
    with server.session() as s, s.begin():
        add_agent(s, agent)
        add_agent(s, "crash-other")
        stable = add_cases(s, agent, 120, prefix="S")    # visits go here; never taken away
        moving = add_cases(s, agent, 280, prefix="M")    # updated, reassigned, closed
    cases_file = tmp_path / "cases.txt"
    cases_file.write_text("\n".join(stable))
    store = tmp_path / "laptop.sqlite3"
    env = _env(tmp_path)

    kills = rounds = 0
    phases: set[str] = set()
    started = time.monotonic()
    while kills < KILLS and rounds < MAX_ROUNDS:  # a run that finished first does not count
        n, rounds = rounds, rounds + 1
        with server.session() as s, s.begin():  # the server keeps changing between kills
            touch_cases(s, rng.sample(stable, 20) + rng.sample(moving, 40))
            for case_id in rng.sample(moving, 3):
                case = s.get(admin.Case, case_id)
                if case.status == "open" and case.assigned_agent_id is not None:
                    if rng.random() < 0.5:
                        admin.reassign_case(s, case.external_id, "crash-other")
                    else:
                        admin.close_case(s, case.external_id)
            moving += add_cases(s, agent, 10, prefix=f"R{n}-")
        proc = _client(store, server.url, agent, cases_file, 4, env, use_cli=n % 4 == 3)
        if n % 4 == 0:  # a pull is quick: aim at it explicitly, at a random page
            phase = _kill_in_phase(proc, "pull", rng.randint(0, 3))
        elif n % 2 == 0:
            phase = _kill_after_lines(proc, rng.randint(1, 14))
        else:
            time.sleep(rng.uniform(0.3, 1.4))
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
            phase = "timed"
        if proc.returncode == -signal.SIGKILL:
            kills += 1
            phases.add(phase)
        else:
            assert proc.returncode == 0, proc.stderr.read()
    assert kills >= 20, f"only {kills} of {rounds} runs were killed mid-work"
    assert "pull" in phases and phases & {"attachments", "push"}, phases  # died pulling and pushing

    for use_cli in (False, True):  # a clean sync; then one more that must find nothing to do
        proc = _client(store, server.url, agent, cases_file, 0, env, use_cli=use_cli)
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    assert "pulled: 0 cases updated, 0 removed" in out and "pushed: 0 accepted, 0 already" in out
    elapsed = time.monotonic() - started

    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())
    laptop = Store(store, passphrase=PASSPHRASE)
    keyring.set_keyring(previous)
    try:
        assert laptop.integrity_ok()
        with laptop.read() as s:
            items = outbox_repo.rows(s)
            local = {cid: case_repo.get_record(s, laptop.cipher, cid)
                     for cid in [r.id for r in case_repo.list_rows(s, laptop.cipher)]}
        assert items and {i.state for i in items} == {"accepted"}
        item_ids = {i.id for i in items}
        assert len(item_ids) == len(items)
        with server.session() as s:
            user = admin.find_user(s, agent)
            server_visits = set(s.scalars(select(Visit.id).where(Visit.agent_id == user.id)))
            receipts = set(s.scalars(select(PushedItem.id).where(PushedItem.user_id == user.id)))
            assert server_visits == item_ids == receipts  # nothing lost, nothing doubled
            remote = visible_cases(s, agent)
            assert set(local) == set(remote)
            for cid, case in remote.items():
                expected = case_record(case)
                got = local[cid]
                assert (got.amount_due, got.updated_at, [v.id for v in got.visits]) == \
                       (expected.amount_due, expected.updated_at, [v.id for v in expected.visits]), cid
        assert laptop.counts()["cases"] == len(remote)
        assert not [p for p in laptop.files.directory.iterdir() if p.suffix == ".tmp"]
    finally:
        laptop.close()
    print(f"{kills} kills in {rounds} runs, {len(items)} items, {len(local)} cases, {elapsed:.1f} s")
