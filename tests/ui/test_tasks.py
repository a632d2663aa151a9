"""The background-task helper: results, failures and progress reach the GUI thread; the
database pool runs one operation at a time, in order; the network pool runs beside it."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import QObject

from fieldapp.ui.tasks import DB_THREAD_NAME, NET_THREAD_NAME, Op, TaskRunner

WAIT_MS = 10_000  # generous: the machine may be busy; nothing here measures time


@pytest.fixture
def runner(qapp):
    r = TaskRunner()
    yield r
    r.shutdown(wait=True)


def _main() -> threading.Thread:
    return threading.main_thread()


def test_success_is_delivered_on_the_gui_thread(qtbot, runner):
    seen = {}
    go = threading.Event()  # the work ends after start() returned: a real hand-over

    def work(a, b):
        go.wait(WAIT_MS / 1000)
        seen["worker"] = threading.current_thread()
        return a + b

    def done(value):
        seen["value"] = value
        seen["callback"] = threading.current_thread()

    runner.db(work, 2, 3).success(done).start()
    go.set()
    qtbot.waitUntil(lambda: "value" in seen, timeout=WAIT_MS)
    assert seen["value"] == 5
    assert seen["worker"] is not _main() and seen["worker"].name.startswith(DB_THREAD_NAME)
    assert seen["callback"] is _main()


def test_failure_is_delivered_on_the_gui_thread_and_finally_runs(qtbot, runner):
    seen = {}
    go = threading.Event()

    def broken():
        go.wait(WAIT_MS / 1000)
        raise ValueError("nope")

    (runner.net(broken)
     .success(lambda _v: seen.setdefault("success", True))
     .failure(lambda exc: seen.update(exc=exc, thread=threading.current_thread()))
     .finally_(lambda: seen.setdefault("finally", threading.current_thread()))
     .start())
    go.set()
    qtbot.waitUntil(lambda: "finally" in seen, timeout=WAIT_MS)
    assert isinstance(seen["exc"], ValueError) and str(seen["exc"]) == "nope"
    assert "success" not in seen
    assert seen["thread"] is _main() and seen["finally"] is _main()
    assert runner.pending == 0


def test_progress_reaches_the_gui_thread_before_the_result(qtbot, runner):
    events = []

    def work(progress):
        for i in range(1, 201):
            progress("pull", i, 200)
        return "ok"

    (runner.net(work)
     .with_progress(lambda phase, done, total: events.append(("progress", done, threading.current_thread())))
     .success(lambda v: events.append(("success", v, threading.current_thread())))
     .start())
    qtbot.waitUntil(lambda: bool(events) and events[-1][0] == "success", timeout=WAIT_MS)
    progress = [e for e in events if e[0] == "progress"]
    assert progress, "no progress report arrived"
    assert all(e[2] is _main() for e in events)
    # coalesced reports still end at the last value, and never go backwards
    dones = [e[1] for e in progress]
    assert dones == sorted(dones) and dones[-1] == 200
    assert events[-1][:2] == ("success", "ok")


def test_database_operations_are_serialised_in_submission_order(qtbot, runner):
    lock = threading.Lock()
    active = []
    overlaps = []
    order = []
    threads = set()

    def op(i):
        with lock:
            active.append(i)
            if len(active) > 1:
                overlaps.append(tuple(active))
        threads.add(threading.current_thread().name)
        # give another worker, if there were one, every chance to start meanwhile
        threading.Event().wait(0.005)
        with lock:
            active.remove(i)
        return i

    for i in range(20):
        runner.db(op, i).success(order.append).start()
    qtbot.waitUntil(lambda: len(order) == 20, timeout=WAIT_MS)
    assert overlaps == []
    assert order == list(range(20))
    assert len(threads) == 1 and next(iter(threads)).startswith(DB_THREAD_NAME)


def test_network_work_is_not_queued_behind_the_database(qtbot, runner):
    release = threading.Event()
    results = []

    runner.db(lambda: release.wait(WAIT_MS / 1000) and "db").success(results.append).start()
    runner.net(lambda: threading.current_thread().name).success(results.append).start()
    # the network op finishes while the database op is still blocked
    qtbot.waitUntil(lambda: len(results) == 1, timeout=WAIT_MS)
    assert results[0].startswith(NET_THREAD_NAME)
    release.set()
    qtbot.waitUntil(lambda: len(results) == 2, timeout=WAIT_MS)
    assert results[1] == "db"


def test_callbacks_are_skipped_when_their_widget_is_gone(qtbot, runner):
    release = threading.Event()
    parent = QObject()
    seen = []
    runner.db(lambda: release.wait(WAIT_MS / 1000)).with_parent(parent).success(seen.append).start()
    parent.deleteLater()
    qtbot.waitUntil(lambda: not __import__("shiboken6").isValid(parent), timeout=WAIT_MS)
    release.set()
    qtbot.waitUntil(lambda: runner.pending == 0, timeout=WAIT_MS)
    assert seen == []


def test_unhandled_failures_go_to_the_handler(qtbot, runner):
    heard = []
    runner.set_unhandled_handler(lambda op, exc: heard.append((op.label, type(exc))))
    runner.db(lambda: 1 / 0, label="divide").start()
    qtbot.waitUntil(lambda: bool(heard), timeout=WAIT_MS)
    assert heard == [("divide", ZeroDivisionError)]


def test_busy_signal_brackets_the_work(qtbot, runner):
    states = []
    runner.busy_changed.connect(states.append)
    release = threading.Event()
    runner.db(release.wait, 5).start()
    runner.db(lambda: None).start()
    assert states == [True]
    release.set()
    qtbot.waitUntil(lambda: states == [True, False], timeout=WAIT_MS)


def test_synchronous_mode_runs_inline_in_order(qapp):
    runner = TaskRunner(synchronous=True)
    events = []
    (runner.net(lambda progress: progress("push", 1, 1) or threading.current_thread())
     .with_progress(lambda *a: events.append(("progress", a)))
     .success(lambda t: events.append(("success", t)))
     .finally_(lambda: events.append(("finally",)))
     .start())
    # everything already happened, on this thread, before start() returned
    assert events == [("progress", ("push", 1, 1)), ("success", _main()), ("finally",)]
    runner.db(lambda: 1 / 0).failure(lambda exc: events.append(("failure", type(exc)))).start()
    assert events[-1] == ("failure", ZeroDivisionError)
    assert runner.pending == 0


def test_op_built_alone_runs_on_a_given_runner(qapp):
    runner = TaskRunner(synchronous=True)
    got = []
    Op(str.upper, "x", pool="net").success(got.append).start(runner)
    assert got == ["X"]
    with pytest.raises(RuntimeError):
        Op(str.upper, "x").start()
    with pytest.raises(ValueError):
        Op(str.upper, pool="disk")


def test_a_shut_down_runner_refuses_work(qapp):
    runner = TaskRunner()
    runner.shutdown()
    with pytest.raises(RuntimeError):
        runner.db(lambda: None).start()
