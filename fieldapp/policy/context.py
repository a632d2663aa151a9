"""What a policy is evaluated against: one appointment, its customer, notices and history.

Built from CONTEXT.json (`Context.from_json`, format in DESIGN.md "check") or from the
wire case record (`context_from_case`). All checking happens here, once: timestamps must
carry an offset, the zone and region must exist, flags and channels must be known.
Without `now` the context is a planning check; with `now` it is a check-in.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from fieldapp.core.errors import BadInput
from fieldapp.core.records import record
from fieldapp.core.timeutil import parse_aware, zone
from fieldapp.geo.distance import check_point
from fieldapp.policy._fields import Fields, type_name
from fieldapp.policy.calendar import normalise_region
from fieldapp.policy.model import ALL_CHANNELS, ALL_FLAGS

if TYPE_CHECKING:  # the wire types are only needed by context_from_case's signature
    from fieldapp.protocol.v1 import CaseRecord

MAX_LIST = 10_000
MAX_APPOINTMENT = dt.timedelta(hours=24)


@record
class Notification:
    channel: str
    sent_at: dt.datetime
    delivered_at: dt.datetime | None = None


@record
class PastVisit:
    at: dt.datetime
    contact_made: bool


@record
class PastAttempt:
    """A call or message to the customer (channel "call" | "sms"), counted with visits by
    a frequency limit on contact attempts."""

    at: dt.datetime
    channel: str


@record
class Practice:
    """The case's conversation script (id and current version) and the agent's completed
    practices of it: (version, when), in any order."""

    script_id: str
    version: int
    completed: tuple[tuple[int, dt.datetime], ...] = ()

    def of_version(self, version: int) -> dt.datetime | None:
        """When the agent last practised `version` (None: never)."""
        times = [at for v, at in self.completed if v == version]
        return max(times) if times else None


@record
class AgentLocation:
    lat: float
    lon: float
    accuracy_m: float | None = None


@record
class Context:
    timezone: str
    zone: ZoneInfo
    region: str
    start: dt.datetime
    end: dt.datetime
    location: tuple[float, float] | None = None
    flags: frozenset[str] = frozenset()
    notifications: tuple[Notification, ...] = ()
    visits: tuple[PastVisit, ...] = ()
    now: dt.datetime | None = None
    agent_location: AgentLocation | None = None
    practice: Practice | None = None  # None: not known here (the agent's laptop knows it)
    attempts: tuple[PastAttempt, ...] = ()

    @property
    def is_checkin(self) -> bool:
        return self.now is not None

    @classmethod
    def build(cls, *, timezone: str, region: str, start: dt.datetime, end: dt.datetime,
              location: tuple[float, float] | None = None, flags: Any = (),
              notifications: Any = (), visits: Any = (), now: dt.datetime | None = None,
              agent_location: AgentLocation | None = None, practice: Practice | None = None,
              attempts: Any = (), where: str | None = None) -> "Context":
        """Check the invariants every context must hold, whatever it was built from."""
        tz = zone(timezone, field="customer.timezone", where=where)
        region = normalise_region(region, where=where)
        for name, value in (("appointment.start", start), ("appointment.end", end), ("now", now)):
            if value is not None and (value.tzinfo is None or value.utcoffset() is None):
                raise BadInput("timestamp has no UTC offset", where=where, field=name)
        if not start < end:
            raise BadInput(f"the appointment must end after it starts ({start.isoformat()} to {end.isoformat()})",
                           where=where, field="appointment.end")
        if end - start > MAX_APPOINTMENT:
            raise BadInput(f"the appointment lasts {end - start}, longer than a visit can ({MAX_APPOINTMENT})",
                           where=where, field="appointment.end")
        flags = frozenset(flags)
        unknown = sorted(flags - ALL_FLAGS)
        if unknown:
            raise BadInput(f"unknown flag {unknown[0]!r} (known: {', '.join(sorted(ALL_FLAGS))})",
                           where=where, field="customer.flags")
        if agent_location is not None and now is None:
            raise BadInput("an agent location is a check-in fact; give `now` (the check-in time) too",
                           where=where, field="now")
        return cls(timezone, tz, region, start, end, location, flags, tuple(notifications),
                   tuple(visits), now, agent_location, practice, tuple(attempts))

    @classmethod
    def from_json(cls, data: Any, *, where: str | None = None) -> "Context":
        """Read the CONTEXT.json structure; every problem names `where` and the field."""
        top = Fields(data, where=where)
        now = _time(top, "now", required=False)
        customer = top.table("customer", required=True)
        assert customer is not None
        timezone = customer.take("timezone", str, required=True)
        region = customer.take("region", str, required=True)
        loc = customer.table("location") if customer.data.get("location") is not None else None
        if loc is None:
            customer.take("location", dict, nullable=True)
        location = _point(loc)
        flags = customer.strings("flags")
        for i, flag in enumerate(flags):
            if flag not in ALL_FLAGS:
                raise BadInput(f"unknown flag {flag!r} (known: {', '.join(sorted(ALL_FLAGS))})",
                               where=where, field=f"customer.flags[{i}]")
        customer.done()
        appt = top.table("appointment", required=True)
        assert appt is not None
        start, end = _time(appt, "start"), _time(appt, "end")
        appt.done()
        notifications = []
        for n in _items(top, "notifications"):
            channel = n.take("channel", str, required=True)
            if channel not in ALL_CHANNELS:
                raise n.fail("channel", f"unknown channel {channel!r} (known: {', '.join(sorted(ALL_CHANNELS))})")
            sent, delivered = _time(n, "sent_at"), _time(n, "delivered_at", required=False)
            if delivered is not None and delivered < sent:
                raise n.fail("delivered_at", "is before sent_at")
            n.done()
            notifications.append(Notification(channel, sent, delivered))
        visits = []
        for v in _items(top, "visits"):
            visits.append(PastVisit(_time(v, "at"), v.take("contact_made", bool, required=True)))
            v.done()
        attempts = []
        for a in _items(top, "contact_attempts"):
            channel = a.choice("channel", ("call", "sms"), required=True)
            attempts.append(PastAttempt(_time(a, "at"), channel))
            a.done()
        agent = None
        if top.data.get("agent_location") is not None:
            a = top.table("agent_location")
            assert a is not None
            lat, lon = _point(a)  # type: ignore[misc]
            accuracy = a.take("accuracy_m", float, nullable=True)
            if accuracy is not None and not 0 <= accuracy < 1e7:
                raise a.fail("accuracy_m", f"{accuracy!r} is not a distance in metres")
            a.done()
            agent = AgentLocation(lat, lon, None if accuracy is None else float(accuracy))
        else:
            top.take("agent_location", dict, nullable=True)
        practice = _practice(top.table("practice")) if top.data.get("practice") is not None else None
        if practice is None:
            top.take("practice", dict, nullable=True)
        top.done()
        return cls.build(timezone=timezone, region=region, start=start, end=end, location=location,
                         flags=flags, notifications=notifications, visits=visits, now=now,
                         agent_location=agent, practice=practice, attempts=attempts, where=where)


def _practice(f: Fields | None) -> Practice | None:
    """{"script": {"id": ..., "version": N}, "completed": [{"version": N, "at": ISO}, ...]}"""
    if f is None:
        return None
    script = f.table("script", required=True)
    assert script is not None
    script_id = script.take("id", str, required=True)
    version = script.take("version", int, required=True)
    script.done()
    done = []
    for c in _items(f, "completed"):
        done.append((c.take("version", int, required=True), _time(c, "at")))
        c.done()
    f.done()
    return Practice(script_id, version, tuple(done))  # type: ignore[arg-type]


def _time(f: Fields, key: str, *, required: bool = True) -> dt.datetime | None:
    value = f.take(key, str, required=required, nullable=not required)
    if value is None:
        return None
    return parse_aware(value, field=f.field(key), where=f.where)


def _point(f: Fields | None) -> tuple[float, float] | None:
    """lat/lon of a location table; an address may carry its own accuracy (accepted, unused)."""
    if f is None:
        return None
    lat, lon = f.take("lat", float, required=True), f.take("lon", float, required=True)
    if f.path == "customer.location":
        f.take("accuracy_m", float, nullable=True)
        f.done()
    return check_point(lat, lon, field=f.path, where=f.where)


def _items(top: Fields, key: str) -> list[Fields]:
    value = top.take(key, list, nullable=True, default=[])
    if len(value) > MAX_LIST:
        raise top.fail(key, f"more than {MAX_LIST} entries")
    out = []
    for i, item in enumerate(value):
        if not isinstance(item, dict):
            raise BadInput(f"expected an object, got {type_name(item)}", where=top.where, field=f"{key}[{i}]")
        out.append(Fields(item, where=top.where, path=f"{key}[{i}]"))
    return out


def context_from_case(case: "CaseRecord", now: dt.datetime | None = None,
                      agent_location: Any = None, practice: Practice | None = None) -> Context:
    """The context of a case's appointment, from the wire record the server and app share.

    `agent_location` is a `fieldapp.protocol.v1.Location` (or anything with lat, lon and
    accuracy_m). A case without an appointment cannot be checked.
    """
    where = f"case {case.reference}"
    if case.appointment is None:
        raise BadInput("the case has no appointment to check", where=where, field="appointment")
    customer = case.customer
    location = None
    if customer.location is not None:
        location = check_point(customer.location.lat, customer.location.lon,
                               field="customer.location", where=where)
    agent = None
    if agent_location is not None:
        lat, lon = check_point(agent_location.lat, agent_location.lon, field="agent_location", where=where)
        accuracy = getattr(agent_location, "accuracy_m", None)
        agent = AgentLocation(lat, lon, None if accuracy is None else float(accuracy))
    return Context.build(
        timezone=customer.timezone, region=customer.region,
        start=case.appointment.start, end=case.appointment.end, location=location,
        flags=[str(f) for f in customer.flags],
        notifications=[Notification(str(n.channel), n.sent_at, n.delivered_at) for n in case.notifications],
        visits=[PastVisit(v.at, v.contact_made) for v in case.visits],
        attempts=[PastAttempt(a.at, str(a.channel)) for a in getattr(case, "contact_attempts", ())],
        now=now, agent_location=agent, practice=practice, where=where,
    )
