"""Malformed policy files are refused with the file, the field and the problem."""

from __future__ import annotations

import pytest
from policy_builders import context_data, decide

from fieldapp.core.errors import BadInput
from fieldapp.policy import load_policy
from fieldapp.policy.loader import policies_dir

GOOD = """
[policy]
id = "acme"
version = "1"
title = "ACME"

[[sources]]
id = "own"
title = "ACME visit rules"
status = "internal"

[window]
start = "09:00"
end = "18:00"
days = "every_day"

[holidays]
banned = false

[notice]
required = false
"""


def write(tmp_path, text, name="acme.toml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_minimal_institution_file_loads_with_safe_defaults(tmp_path):
    policy = load_policy(write(tmp_path, GOOD))
    assert policy.id == "acme" and policy.frequency.max_visits is None
    assert policy.geofence.max_distance_m == 300 and policy.appointment.checkin_early_minutes == 15
    assert "vulnerable" in policy.flags.block
    d = decide(policy, context_data("cn", "2026-03-02 10:00"))
    assert d.allowed and d.policy_id == "acme"


def test_a_path_string_is_read_as_a_file(tmp_path):
    path = write(tmp_path, GOOD)
    assert load_policy(str(path)).id == "acme"


def test_an_edited_file_is_read_again(tmp_path):
    path = write(tmp_path, GOOD)
    assert load_policy(path).window.end == 18 * 60
    path.write_text(GOOD.replace('end = "18:00"', 'end = "17:00"  # shorter'), encoding="utf-8")
    assert load_policy(path).window.end == 17 * 60


BAD = [
    # (replace this, with this, field named, words in the message)
    ('start = "09:00"', 'start = "25:00"', "window.start", "impossible time '25:00'"),
    ('end = "18:00"', 'end = "18:60"', "window.end", "impossible time"),
    ('end = "18:00"', 'end = "08:00"', "window.end", "must end after it starts"),
    ('end = "18:00"', 'end = "6pm"', "window.end", "impossible time '6pm'"),
    ('start = "09:00"', "start = 9", "window.start", "expected a string, got an integer"),
    ('days = "every_day"', 'days = "weekends"', "window.days", "'weekends' is not one of every_day, working_days"),
    ('days = "every_day"', 'days = ["mon", "funday"]', "window.days[1]", "'funday' is not a day"),
    ('days = "every_day"', 'days = "every_day"\nhours = "9-5"', "window.hours", "unknown field"),
    ("banned = false", 'banned = "no"', "holidays.banned", "expected true or false, got a string"),
    ("banned = false", "banned = false\nscope = \"planet\"", "holidays.scope", "not one of region, national"),
    ("required = false", "required = false\nmin_notice_hours = 24", "notice.min_notice_hours", "no effect"),
    ("required = false", 'required = true\nchannels = ["pigeon"]\nmin_notice_hours = 24',
     "notice.channels[0]", "unknown channel 'pigeon'"),
    ("required = false", 'required = true\nchannels = ["sms"]', "notice.min_notice_hours", "is required"),
    ("required = false", 'required = true\nchannels = ["sms"]\nmin_notice_hours = -1',
     "notice.min_notice_hours", "out of range"),
    ('title = "ACME"', 'title = "ACME"\nregions = ["XX"]', "policy.regions[0]", "unknown region 'XX'"),
    ('title = "ACME"', 'title = "ACME"\nregions = ["US-ZZ"]', "policy.regions[0]", "has no subdivision 'ZZ'"),
    ('id = "acme"', 'id = "ACME Bank"', "policy.id", "is not a policy id"),
    ('version = "1"', "", "policy.version", "is required"),
    ('title = "ACME"', 'title = "ACME"\nauthor = "me"', "policy.author", "unknown field"),
    ("[notice]\nrequired = false", "", "notice", "is required"),
    ("required = false", "required = false\n\n[flags]\nextra_block = [\"angry\"]", "flags.extra_block[0]",
     "unknown flag 'angry'"),
    ("required = false", "required = false\n\n[flags]\nwarn = [\"vulnerable\"]", "flags.warn",
     "vulnerable already block"),
    ("required = false", "required = false\n\n[frequency]\nmax_visits = 0\nper_days = 30", "frequency.max_visits",
     "not a positive number"),
    ("required = false", "required = false\n\n[frequency]\nper_days = 30", "frequency.per_days",
     "no effect without max_visits"),
    ("required = false", "required = false\n\n[frequency]\nmax_visits = 1\nper_days = 30\ncount = \"most\"",
     "frequency.count", "not one of all, contact_made"),
    ("required = false", "required = false\n\n[geofence]\nmax_distance_m = 0", "geofence.max_distance_m",
     "out of range"),
    ("required = false", "required = false\n\n[appointment]\ncheckin_early_minutes = 15.5",
     "appointment.checkin_early_minutes", "expected an integer, got a number"),
    ('days = "every_day"', 'days = "every_day"\nbasis.hours = { status = "guess" }', "window.basis.hours.status",
     "not one of verified, secondary, institution_choice"),
    ('days = "every_day"', 'days = "every_day"\nbasis.hours = { status = "verified", sources = ["law"] }',
     "window.basis.hours.sources[0]", "names source 'law'"),
    ('days = "every_day"', 'days = "every_day"\nbasis.colour = { status = "verified" }', "window.basis.colour",
     "basis for an unknown field"),
    ('status = "internal"', 'status = "internal"\n\n[[sources]]\nid = "own"\ntitle = "x"\nstatus = "primary"',
     "sources[1].id", "listed twice"),
    ("required = false", "required = false\nseverity = \"fatal\"", "notice.severity", "not one of block, warn"),
]


@pytest.mark.parametrize("old,new,field,words", BAD, ids=[b[2] + ":" + b[3][:20] for b in BAD])
def test_malformed_policy_is_refused(tmp_path, old, new, field, words):
    assert old in GOOD
    path = write(tmp_path, GOOD.replace(old, new, 1))
    with pytest.raises(BadInput) as exc:
        load_policy(path)
    text = str(exc.value)
    assert text.startswith(f"{path}: {field}: "), text
    assert words in text, text


def test_toml_syntax_error_names_the_line(tmp_path):
    path = write(tmp_path, GOOD.replace('end = "18:00"', 'end = "18:00'))
    with pytest.raises(BadInput) as exc:
        load_policy(path)
    assert str(exc.value).startswith(f"{path}:14:13: not valid TOML: "), str(exc.value)


def test_missing_file_and_unknown_preset(tmp_path):
    with pytest.raises(BadInput, match="policy file not found"):
        load_policy(tmp_path / "nope.toml")
    with pytest.raises(BadInput, match="unknown policy 'atlantis'; presets: au, cn, cn-bank-home-visit, ie"):
        load_policy("atlantis")


def test_not_utf8(tmp_path):
    path = tmp_path / "latin.toml"
    path.write_bytes(GOOD.replace("ACME", "ACMÉ").encode("latin-1"))
    with pytest.raises(BadInput, match="not UTF-8"):
        load_policy(path)


def test_presets_are_valid_toml_parsed_from_the_shipped_folder():
    assert sorted(p.name for p in policies_dir().glob("*.toml"))[0] == "au.toml"
    assert (policies_dir() / "README.md").is_file()
