"""The import as a stream of batches: batch boundaries, a bad row amid good ones, the
rejected-rows file, re-imports that write nothing, one changed field, documents equal to
the row-by-row way of building them, and a reader that never holds the whole file."""

from __future__ import annotations

import csv
import dataclasses
import inspect
import io
import itertools
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from fieldapp.core.canonical import content_hash
from fieldapp.server.compliance import Assessor
from fieldapp.server.import_rows import CsvRows
from fieldapp.server.importer import batches, import_cases
from fieldapp.server.models import AssignmentPeriod, AuditEntry, Case, ChangeRow, Customer
from fieldapp.server.services.caseupsert import CaseRow
from fieldapp.server.services.records import case_document, load_cases

from .kit import Api, make_people
from .test_import import HEADER, row, write


@pytest.fixture
def world(live):
    with live.session() as s, s.begin():
        make_people(s)
    return live


def _import(live, path, **kw):
    with live.session() as s, s.begin():
        return import_cases(s, path, **kw)


def _count(live, model):
    with live.session() as s:
        return s.scalar(select(func.count()).select_from(model))


def _state(live):
    """external_id -> (updated_at, document) of every case, and the change rows."""
    with live.session() as s:
        cases = {c.external_id: (c.updated_at, c.document) for c in s.scalars(select(Case))}
        changes = sorted(s.execute(select(ChangeRow.seq, ChangeRow.recipient_id, ChangeRow.case_id,
                                          ChangeRow.op)).all())
    return cases, changes


def test_rows_across_batch_boundaries_all_land_with_their_changes(world, tmp_path):
    rows = [row(f"B-{i}", agent=("agent1", "agent2")[i % 2]) for i in range(7)]
    calls = []
    report = _import(world, write(tmp_path / "b.csv", rows), batch_size=3,
                     progress=lambda n, at, size: calls.append((n, at <= size)))
    assert (report.applied, report.rows, report.created) == (True, 7, 7)
    assert [n for n, _ in calls] == [3, 6, 7] and all(ok for _, ok in calls)
    assert _count(world, Case) == 7 and _count(world, ChangeRow) == 7
    got, _ = Api(world.url, "agent1").pull_all()
    assert sorted(c["case"]["external_id"] for c in got) == ["B-0", "B-2", "B-4", "B-6"]
    with world.session() as s:
        seqs = [seq for (seq,) in s.execute(select(ChangeRow.seq).order_by(ChangeRow.seq))]
    assert seqs == list(range(seqs[0], seqs[0] + 7))  # numbered without gaps, across batches


def test_a_bad_row_in_the_middle_is_rejected_and_the_good_rows_land(world, tmp_path):
    rows = [row("M-1"), row("M-2"), row("M-3", amount_due="12.345"), row("M-4"), row("M-5")]
    path = write(tmp_path / "m.csv", rows)
    # Without --skip-invalid nothing lands, although the first batch was written before the
    # bad row was read.
    report = _import(world, path, batch_size=2)
    assert not report.applied and _count(world, Case) == 0 and _count(world, ChangeRow) == 0
    assert [(e.line, e.column) for e in report.errors] == [(4, "amount_due")]
    report = _import(world, path, batch_size=2, skip_invalid=True)
    assert (report.applied, report.created, report.skipped) == (True, 4, 1)
    assert str(report.errors[0]).startswith("line 4, column amount_due: ")
    with world.session() as s:
        assert sorted(s.scalars(select(Case.external_id))) == ["M-1", "M-2", "M-4", "M-5"]


def test_the_rejected_rows_file_names_line_column_and_reason(world, tmp_path):
    rows = [row("R-1"), row("R-2", currency="XYZ"), row("R-1"), row("R-4", agent="ghost"), row("R-5")]
    out = tmp_path / "rejected.csv"
    report = _import(world, write(tmp_path / "r.csv", rows), skip_invalid=True, batch_size=2, rejected=out)
    assert report.created == 2
    got = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert got[0] == ["line", "column", "reason"]
    assert [(line, column) for line, column, _ in got[1:]] == [("3", "currency"), ("4", "external_id"),
                                                              ("5", "agent")]
    assert "repeats line 2" in got[2][2] and "ghost" in got[3][2]


def test_reimporting_the_same_file_writes_nothing_and_emits_no_change(world, tmp_path):
    path = write(tmp_path / "a.csv", [row(f"A-{i}") for i in range(5)])
    assert _import(world, path, batch_size=2).created == 5
    before = _state(world)
    audit = _count(world, AuditEntry)
    again = _import(world, path, batch_size=2)
    assert (again.created, again.updated, again.unchanged, again.skipped) == (0, 0, 5, 0)
    assert _state(world) == before and _count(world, AuditEntry) == audit
    assert len(before[1]) == 5


def test_one_changed_field_changes_only_that_case(world, tmp_path):
    rows = [row(f"U-{i}") for i in range(4)]
    _import(world, write(tmp_path / "a.csv", rows))
    cases, changes = _state(world)
    rows[2] = row("U-2", amount_due="1234.00")
    report = _import(world, write(tmp_path / "b.csv", rows))
    assert (report.updated, report.unchanged) == (1, 3)
    after, new_changes = _state(world)
    assert {ext for ext in after if after[ext] != cases[ext]} == {"U-2"}
    assert '"amount_due":"1234.00"' in after["U-2"][1]
    moved = set(new_changes) - set(changes)
    assert len(moved) == 1 and len(new_changes) == len(changes)
    [(seq, _, case_id, op)] = moved
    assert op == "upsert" and seq > max(c[0] for c in changes)


def test_documents_equal_those_built_case_by_case(world, tmp_path):
    """New cases get documents from memory, updated ones and their customer's other cases
    from the database: both must be what `case_document` builds from the rows."""
    rows = [row("D-1", customer_ref="C-1"), row("D-2", customer_ref="C-1", agent="agent2"),
            row("D-3", flags="vulnerable", appointment_start="", appointment_end="", notifications=""),
            row("D-4", lat="31.2", lon="121.4")]
    _import(world, write(tmp_path / "a.csv", rows, header=HEADER + ["customer_ref"]))
    rows[0] = row("D-1", customer_ref="C-1", phone="13811112222",
                  appointment_start="2030-03-06T10:00:00+08:00", appointment_end="2030-03-06T11:00:00+08:00")
    rows[2] = row("D-3", status="closed")
    report = _import(world, write(tmp_path / "b.csv", rows[:3], header=HEADER + ["customer_ref", "status"]))
    assert report.updated == 2
    assessor = Assessor()
    with world.session() as s:
        cases = load_cases(s, s.scalars(select(Case.id)).all())
        for case in cases.values():
            s.refresh(case, ["document"])
            if case.status == "open":
                assert case.document == case_document(case, assessor)[0], case.external_id
            else:
                assert case.document is None
        phones = {c.external_id: c.customer.phone for c in cases.values()}
    assert phones["D-2"] == "13811112222"  # the customer's other case carries the new phone
    got, _ = Api(world.url, "agent2").pull_all()
    assert [c["case"]["customer"]["phone"] for c in got] == ["13811112222"]


def test_a_new_agent_and_a_closed_case_tell_the_former_agent(world, tmp_path):
    rows = [row("T-1"), row("T-2")]
    _import(world, write(tmp_path / "a.csv", rows))
    api1, api2 = Api(world.url, "agent1"), Api(world.url, "agent2")
    _, cursor = api1.pull_all()
    rows = [row("T-1", agent="agent2"), row("T-2", status="closed")]
    report = _import(world, write(tmp_path / "b.csv", rows, header=HEADER + ["status"]))
    assert report.updated == 2
    got, _ = api1.pull_all(cursor)
    assert sorted((c["op"], c["reason"]) for c in got) == [("tombstone", "closed"), ("tombstone", "unassigned")]
    assert [c["case"]["external_id"] for c in api2.pull_all()[0]] == ["T-1"]
    with world.session() as s:
        periods = sorted(s.execute(select(AssignmentPeriod.end_reason)).scalars())
        assert periods == ["closed", "unassigned"]
        assert s.scalar(select(Case.assigned_at).where(Case.external_id == "T-2")) is None


def test_the_reader_streams(tmp_path):
    """Memory does not grow with the file: rows are read one at a time, and batches are
    taken from the stream without listing it."""
    path = write(tmp_path / "big.csv", [row(f"S-{i:05d}") for i in range(3000)])
    rows = CsvRows(path)
    stream = iter(rows)
    assert inspect.isgenerator(stream)
    first = next(stream)
    assert (first.line, first.row.external_id, rows.count) == (2, "S-00000", 1)
    assert rows.position() < rows.size  # the rest of the file is not read yet
    rows.close()
    endless = batches(itertools.count(), 1000)
    assert next(endless) == list(range(1000)) and next(endless)[0] == 1000
    assert inspect.isgenerator(endless)
    assert list(batches(iter([]), 3)) == []


def test_the_fingerprint_is_the_one_stored_by_earlier_imports():
    r = CaseRow(external_id="E", customer_name="n", address="a", timezone="Asia/Shanghai", region="CN",
                amount_due=Decimal("1.50"), currency="CNY", days_past_due=3, policy_id="cn", lat=1.5, lon=2.25,
                flags=["disputed"])
    data = dataclasses.asdict(r)
    data["lat"], data["lon"] = f"{r.lat:.7f}", f"{r.lon:.7f}"
    assert r.fingerprint() == content_hash(data)


def test_customer_rows_are_shared_by_a_customers_cases(world, tmp_path):
    rows = [row(f"C-{i}", customer_ref="SAME") for i in range(3)]
    _import(world, write(tmp_path / "c.csv", rows, header=HEADER + ["customer_ref"]), batch_size=2)
    assert _count(world, Customer) == 1 and _count(world, Case) == 3


def test_the_command_writes_rejected_rows_and_shows_progress_only_on_a_terminal(db_url, tmp_path, monkeypatch,
                                                                                capsys):
    from fieldapp.cli import main

    monkeypatch.setenv("FIELDAPP_PASSWORD", "agent-pass-2026")
    assert main(["server", "create-user", "agent1", "--role", "agent", "--db", db_url]) == 0
    path = write(tmp_path / "c.csv", [row("P-1"), row("P-2", days_past_due="x"), row("P-3")])
    out = tmp_path / "rejected.csv"
    capsys.readouterr()
    assert main(["server", "import-cases", str(path), "--db", db_url, "--geocoder", "none", "--skip-invalid",
                 "--rejected", str(out)]) == 0
    captured = capsys.readouterr()
    assert "2 created" in captured.out and "1 skipped" in captured.out
    assert "\r" not in captured.err  # not a terminal: no progress line
    assert captured.err.strip() == f"{path}: line 3, column days_past_due: 'x' is not a whole number >= 0"
    assert out.read_text(encoding="utf-8").splitlines() == [
        "line,column,reason", "3,days_past_due,'x' is not a whole number >= 0"]


def test_the_progress_line():
    from fieldapp.server.import_progress import ProgressBar, for_stream, line

    assert line(5000, 50, 100, 2.0) == "[############------------]  50%  5,000 rows  2,500 rows/s  ETA 0:02"
    assert line(10, 100, 100, 1.0).endswith("10 rows/s")  # done: no ETA
    assert for_stream(io.StringIO()) is None

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    term = Terminal()
    ticks = iter([0.0, 1.0, 1.05, 2.0])
    assert isinstance(for_stream(term), ProgressBar)
    bar = ProgressBar(term, clock=lambda: next(ticks))
    bar(1000, 10, 100)   # shown
    bar(1100, 11, 100)   # too soon after: skipped
    bar(2000, 100, 100)  # the end is always shown
    bar.finish()
    shown = term.getvalue().split("\r")
    assert len(shown) == 5 and "1,000 rows" in shown[1] and "ETA 0:09" in shown[1]
    assert "2,000 rows" in shown[2] and shown[-1] == ""


def test_with_skip_invalid_a_bad_row_does_not_stop_geocoding_its_batch(world, tmp_path):
    from fieldapp.geo.geocode import Geocoder
    from fieldapp.server.geocache import DbGeocodeCache

    from .nominatim_stub import NominatimStub

    rows = [row("G-1", currency="XYZ"), row("G-2", lat="", lon="", address="南京市秦淮区中山南路8号")]
    with NominatimStub({"南京市秦淮区中山南路8号": (32.0228, 118.7849)}) as stub:
        with world.session() as s, s.begin():
            geo = Geocoder(domain=stub.domain, scheme="http", min_delay_seconds=0, cache=DbGeocodeCache(s))
            report = import_cases(s, write(tmp_path / "g.csv", rows), geocoder=geo, skip_invalid=True)
    assert (report.created, report.geocoded, report.skipped) == (1, 1, 1)


def test_a_new_case_that_changes_its_customer_tells_the_other_case_once(world, tmp_path):
    from fieldapp.server.models import Counter

    header = HEADER + ["customer_ref"]
    _import(world, write(tmp_path / "a.csv", [row("K-1", customer_ref="K")], header=header))
    _, before = _state(world)
    report = _import(world, write(tmp_path / "b.csv", [row("K-1", customer_ref="K"),
                                                       row("K-2", customer_ref="K", phone="13700000000")],
                                  header=header))
    assert (report.created, report.unchanged) == (1, 1)
    cases, changes = _state(world)
    assert all('"phone":"13700000000"' in doc for _, doc in cases.values())
    assert len(changes) == 2 and {c[0] for c in changes} == {before[0][0] + 1, before[0][0] + 2}
    with world.session() as s:
        assert s.scalar(select(Counter.value)) == before[0][0] + 2  # no number skipped
