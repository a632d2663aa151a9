"""CSV import: good, bad, idempotent, Chinese, quoted commas, geocoding with a cache."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import func, select

from fieldapp.core.errors import BadInput
from fieldapp.geo.geocode import Geocoder
from fieldapp.server.geocache import DbGeocodeCache
from fieldapp.server.importer import COLUMNS, import_cases
from fieldapp.server.models import Case, GeocodeCacheRow

from .kit import Api, make_people
from .nominatim_stub import NominatimStub

HEADER = ["external_id", "customer_name", "phone", "id_tail", "address", "lat", "lon", "timezone",
          "region", "amount_due", "currency", "days_past_due", "tier", "product", "agent", "policy_id",
          "appointment_start", "appointment_end", "notifications", "flags"]


def row(ext, **kw):
    base = {"external_id": ext, "customer_name": "李娜", "phone": "13900000000", "id_tail": "123X",
            "address": "南京市鼓楼区北京西路2号, 3栋 \"东\"单元", "lat": "32.059", "lon": "118.762",
            "timezone": "Asia/Shanghai", "region": "CN", "amount_due": "8000.50", "currency": "CNY",
            "days_past_due": "200", "tier": "B", "product": "信用卡", "agent": "agent1", "policy_id": "cn",
            "appointment_start": "2030-03-05T10:00:00+08:00", "appointment_end": "2030-03-05T11:00:00+08:00",
            "notifications": "sms@2030-03-02T10:00:00+08:00@2030-03-02T10:01:00+08:00;letter@2030-03-01T09:00:00+08:00@",
            "flags": ""}
    base.update(kw)
    return base


def write(path, rows, header=HEADER, bom=False):
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=header, lineterminator="\r\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: r.get(k, "") for k in header})
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + buf.getvalue().encode("utf-8"))
    return path


@pytest.fixture
def world(live):
    with live.session() as s, s.begin():
        make_people(s)
    return live


def _import(live, path, **kw):
    with live.session() as s, s.begin():
        return import_cases(s, path, **kw)


def _count(live):
    with live.session() as s:
        return s.scalar(select(func.count()).select_from(Case))


def test_good_file_with_chinese_commas_and_bom(world, tmp_path):
    path = write(tmp_path / "cases.csv", [row("B-1"), row("B-2", agent="agent2", customer_name="赵敏",
                                                           address="上海市黄浦区南京东路100号\n2楼")], bom=True)
    report = _import(world, path)
    assert (report.applied, report.created, report.rows, report.errors) == (True, 2, 2, [])
    changes, _ = Api(world.url, "agent1").pull_all()
    [case] = [c["case"] for c in changes]
    assert case["customer"]["address"] == "南京市鼓楼区北京西路2号, 3栋 \"东\"单元"
    assert case["customer"]["name"] == "李娜" and case["customer"]["id_tail"] == "123X"
    assert case["amount_due"] == "8000.50"
    assert [(n["channel"], n["delivered_at"]) for n in case["notifications"]] == [
        ("letter", None), ("sms", "2030-03-02T02:01:00Z")]
    assert case["appointment"]["start"] == "2030-03-05T02:00:00Z"
    assert "B-1" in report.summary() or "2 created" in report.summary()


def test_reimport_is_idempotent_and_a_changed_row_is_one_change(world, tmp_path):
    rows = [row(f"R-{i}") for i in range(5)]
    path = write(tmp_path / "a.csv", rows)
    assert _import(world, path).created == 5
    api = Api(world.url, "agent1")
    _, cursor = api.pull_all()
    again = _import(world, path)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 5)
    assert api.pull_all(cursor) == ([], cursor)
    rows[2] = row("R-2", amount_due="7000.00", flags="disputed")
    rows[3] = row("R-3", agent="agent2")
    changed = _import(world, write(tmp_path / "b.csv", rows))
    assert (changed.updated, changed.unchanged) == (2, 3)
    got, _ = api.pull_all(cursor)
    assert sorted((c["op"], c["reason"] or c["case"]["amount_due"]) for c in got) == [
        ("tombstone", "unassigned"), ("upsert", "7000.00")]
    assert [c["case"]["customer"]["flags"] for c in got if c["op"] == "upsert"] == [["disputed"]]


def test_bad_file_is_reported_row_by_row_and_nothing_imported(world, tmp_path):
    rows = [row("G-1"),
            row("X-2", amount_due="10.005"),
            row("X-3", timezone="Mars/Olympus"),
            row("X-4", agent="ghost"),
            row("X-5", lon=""),
            row("X-6", appointment_start="2030-03-05T10:00:00"),
            row("X-7", notifications="pigeon@2030-03-02T10:00:00+08:00@"),
            row("G-1"),
            row("X-9", flags="disputed|angry"),
            row("X-10", days_past_due="-3")]
    path = write(tmp_path / "bad.csv", rows)
    report = _import(world, path)
    assert not report.applied and _count(world) == 0
    got = [(e.line, e.column) for e in report.errors]
    assert got == [(3, "amount_due"), (4, "timezone"), (5, "agent"), (6, "lon"),
                   (7, "appointment_start"), (8, "notifications"), (9, "external_id"), (10, "flags"),
                   (11, "days_past_due")]
    texts = [str(e) for e in report.errors]
    assert "more decimals" in texts[0] and "Mars/Olympus" in texts[1] and "ghost" in texts[2]
    assert "repeats line 2" in texts[6] and "angry" in texts[7]
    assert "nothing imported" in report.summary()


def test_skip_invalid_imports_the_good_rows(world, tmp_path):
    path = write(tmp_path / "mixed.csv", [row("S-1"), row("S-2", currency="XYZ"), row("S-3")])
    report = _import(world, path, skip_invalid=True)
    assert (report.applied, report.created, report.skipped) == (True, 2, 1)
    assert [(e.line, e.column) for e in report.errors] == [(3, "currency")]
    assert _count(world) == 2


def test_unquoted_comma_is_caught(world, tmp_path):
    text = ",".join(HEADER) + "\n" + ",".join(row("C-1", address="a, b").values()).replace('"', "") + "\n"
    path = tmp_path / "unquoted.csv"
    path.write_text(text, encoding="utf-8")
    report = _import(world, path)
    assert [(e.line, e.column) for e in report.errors] == [(2, None)]
    assert "quote" in report.errors[0].reason


@pytest.mark.parametrize("content,match", [
    (b"", "empty"),
    ("external_id,naem\n".encode(), "unknown column"),
    ("external_id,customer_name\n".encode(), "missing column"),
    ("\xff\xfe".encode("latin-1") + "abc".encode("utf-16-le"), "UTF-8"),
])
def test_bad_headers_and_encodings(world, tmp_path, content, match):
    path = tmp_path / "f.csv"
    path.write_bytes(content)
    with pytest.raises(BadInput, match=match) as info:
        _import(world, path)
    assert "f.csv" in str(info.value)


def test_all_documented_columns_are_accepted(world, tmp_path):
    full = row("D-1", reference="REF-1", customer_ref="CUST-9", language="zh_CN", status="open")
    path = write(tmp_path / "all.csv", [full], header=list(COLUMNS))
    assert _import(world, path).created == 1


def test_rows_without_coordinates_are_geocoded_once(world, tmp_path):
    places = {"南京市秦淮区中山南路8号": (32.0228, 118.7849)}
    rows = [row("GEO-1", lat="", lon="", address="南京市秦淮区中山南路8号"),
            row("GEO-2", lat="", lon="", address="南京市秦淮区中山南路8号 ")]
    with NominatimStub(places) as stub:
        with world.session() as s, s.begin():
            geo = Geocoder(domain=stub.domain, scheme="http", min_delay_seconds=0, cache=DbGeocodeCache(s))
            report = import_cases(s, write(tmp_path / "g.csv", rows), geocoder=geo)
        assert (report.created, report.geocoded, report.geocode_lookups) == (2, 2, 1)
        assert len(stub.queries) == 1
        # A later import (new geocoder, same database cache): no lookup at all.
        with world.session() as s, s.begin():
            geo = Geocoder(domain=stub.domain, scheme="http", min_delay_seconds=0, cache=DbGeocodeCache(s))
            report = import_cases(s, write(tmp_path / "g2.csv", [row("GEO-3", lat="", lon="",
                                                                    address="南京市秦淮区中山南路8号")]),
                                  geocoder=geo)
        assert report.created == 1 and len(stub.queries) == 1
        # Unknown addresses are row errors.
        with world.session() as s, s.begin():
            geo = Geocoder(domain=stub.domain, scheme="http", min_delay_seconds=0, cache=DbGeocodeCache(s))
            report = import_cases(s, write(tmp_path / "g3.csv", [row("GEO-4", lat="", lon="",
                                                                    address="不存在的地址")]), geocoder=geo)
        assert not report.applied and report.errors[0].column == "address"
    with world.session() as s:
        assert s.scalar(select(func.count()).select_from(GeocodeCacheRow)) == 2
    changes, _ = Api(world.url, "agent1").pull_all()
    locations = {c["case"]["external_id"]: c["case"]["customer"]["location"] for c in changes}
    assert locations["GEO-1"] == {"lat": 32.0228, "lon": 118.7849, "accuracy_m": None}


def test_without_a_geocoder_rows_need_coordinates(world, tmp_path):
    report = _import(world, write(tmp_path / "n.csv", [row("N-1", lat="", lon="")]))
    assert not report.applied and report.errors[0].column == "lat"


def test_cases_that_cannot_be_visited_are_flagged(world, tmp_path):
    pytest.importorskip("fieldapp.policy", reason="policy engine not installed")
    late = row("F-1", policy_id="seed", appointment_start="2030-03-05T20:30:00+08:00",
               appointment_end="2030-03-05T21:30:00+08:00")
    fine = row("F-2", policy_id="cn")
    report = _import(world, write(tmp_path / "f.csv", [late, fine]))
    assert [ext for ext, _ in report.flagged] == ["F-1"]
    assert "cannot be visited" in report.summary()


def test_sample_file_and_documentation_agree_with_the_code(world):
    import re
    from pathlib import Path

    import fieldapp.server.importer as importer
    from fieldapp.core.resources import resource_path

    documented = re.findall(r"^\| `([a-z_]+)`(?:, `([a-z_]+)`)?", (Path(importer.__file__).parent / "IMPORT.md")
                            .read_text(encoding="utf-8"), flags=re.M)
    assert sorted(c for pair in documented for c in pair if c) == sorted(COLUMNS)
    assert all(c in importer.__doc__ for c in COLUMNS)
    with world.session() as s:
        from fieldapp.server import admin as server_admin
        for name in ("agent1", "agent2", "agent3"):
            assert server_admin.find_user(s, name)
    report = _import(world, resource_path("demo", "cases-sample.csv"))
    assert (report.applied, report.created, report.errors) == (True, 3, [])


def test_the_email_column(world, tmp_path):
    from fieldapp.server.models import Customer

    header = HEADER + ["email"]
    bad = write(tmp_path / "bad.csv", [row("E-1", email="not-an-address"), row("E-2", email="a@b")], header=header)
    report = _import(world, bad)
    assert not report.applied
    assert [str(e) for e in report.errors] == [
        "line 2, column email: 'not-an-address' is not an email address (name@example.org)",
        "line 3, column email: 'a@b' is not an email address (name@example.org)"]
    good = write(tmp_path / "good.csv", [row("E-1", email="li.na@example.cn"), row("E-2")], header=header)
    assert _import(world, good).created == 2
    with world.session() as s:
        emails = dict(s.execute(select(Case.external_id, Customer.email).join(Customer)).all())
    assert emails == {"E-1": "li.na@example.cn", "E-2": None}


def test_an_unknown_policy_is_refused_with_line_and_column(world, tmp_path):
    path = write(tmp_path / "cases.csv", [row("P-1"), row("P-2", policy_id="cn-typo"), row("P-3", policy_id="seed")])
    report = _import(world, path)
    assert not report.applied and _count(world) == 0
    [error] = report.errors
    assert (error.line, error.column) == (3, "policy_id")
    assert "unknown policy 'cn-typo'" in error.reason and "us-fdcpa" in error.reason
    report = _import(world, path, skip_invalid=True)
    assert (report.applied, report.created, report.skipped) == (True, 2, 1)


def test_an_institutions_own_policy_file_is_known(world, tmp_path):
    from fieldapp.core.resources import resource_path

    own = tmp_path / "bank.toml"
    own.write_text(resource_path("policies", "cn-bank-home-visit.toml").read_text(encoding="utf-8"), encoding="utf-8")
    report = _import(world, write(tmp_path / "cases.csv", [row("P-9", policy_id=str(own))]))
    assert report.applied and report.created == 1


@pytest.mark.parametrize("column,value,shown", [
    ("customer_name", "李\x00娜", "U+0000"),
    ("address", "南京市\x07鼓楼区", "U+0007"),
    ("phone", "139\x1b00000000", "U+001B"),
    ("reference", "REF\x7f1", "U+007F"),
    ("customer_name", "李娜\u202e", "U+202E"),       # a right-to-left override hides text
    ("external_id", "N\u200b-1", "U+200B"),          # invisible: two ids that look the same
    ("customer_name", "李\n娜", "line break"),        # only an address may span lines
])
def test_control_characters_are_refused_with_line_and_column(world, tmp_path, column, value, shown):
    header = HEADER + ["reference"] if column == "reference" else HEADER
    path = write(tmp_path / "cases.csv", [row("N-0"), row("N-1", **{column: value})], header=header)
    report = _import(world, path)
    assert not report.applied and _count(world) == 0
    [error] = report.errors
    assert (error.line, error.column) == (3, column), error
    assert shown in error.reason


def test_line_breaks_and_tabs_stay_allowed_in_an_address(world, tmp_path):
    path = write(tmp_path / "cases.csv", [row("N-5", address="上海市黄浦区\r\n南京东路100号\t2楼")])
    assert _import(world, path).created == 1


def test_a_nul_byte_never_reaches_the_database(world, tmp_path):
    """A NUL in an otherwise good file: refused on SQLite and PostgreSQL alike, with
    --skip-invalid the other rows go in."""
    path = write(tmp_path / "cases.csv", [row("Z-1", customer_name="王\x00五"), row("Z-2")])
    report = _import(world, path, skip_invalid=True)
    assert (report.applied, report.created, report.skipped) == (True, 1, 1)
    assert str(report.errors[0]).startswith("line 2, column customer_name:")
