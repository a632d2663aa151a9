"""Benchmark: 10,000 visit contexts evaluated (target: under 50 µs each).

Baseline, measured in the same run: the bare work any evaluation must do, converting the
appointment to the customer's zone and comparing it with a window. Run with
`python -m pytest tests/perf/test_policy_perf.py -m perf -s`.
"""

from __future__ import annotations

import datetime as dt
import gc
import random
import time

from fieldapp.policy import Context, evaluate, load_policy, list_presets
from fieldapp.policy.calendar import year_calendar

N = 10_000
TARGET_US = 50.0
REGIONS = {"cn-bank-home-visit": ("Asia/Shanghai", "CN"), "cn": ("Asia/Shanghai", "CN"),
           "us-fdcpa": ("America/New_York", "US-NY"), "us-ma": ("America/New_York", "US-MA"),
           "uk-fca": ("Europe/London", "GB"), "in-rbi": ("Asia/Kolkata", "IN"),
           "ie": ("Europe/Dublin", "IE"), "au": ("Australia/Sydney", "AU-NSW")}


def _contexts(rng: random.Random) -> list[tuple[Context, str]]:
    out = []
    base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    for i in range(N):
        preset = rng.choice(sorted(REGIONS))
        zone, region = REGIONS[preset]
        start = base + dt.timedelta(minutes=15 * rng.randrange(0, 4 * 24 * 700))
        end = start + dt.timedelta(minutes=rng.choice((30, 45, 60, 90)))
        notes = [{"channel": rng.choice(("sms", "email", "letter")),
                  "sent_at": (start - dt.timedelta(hours=h + 1)).isoformat(),
                  "delivered_at": (start - dt.timedelta(hours=h)).isoformat()}
                 for h in rng.sample(range(1, 96), rng.randrange(0, 3))]
        visits = [{"at": (start - dt.timedelta(days=d)).isoformat(), "contact_made": rng.random() < 0.5}
                  for d in rng.sample(range(1, 60), rng.randrange(0, 4))]
        data = {"customer": {"timezone": zone, "region": region, "location": {"lat": 32.06, "lon": 118.79},
                             "flags": rng.choice(([], [], [], ["disputed"], ["vulnerable"]))},
                "appointment": {"start": start.isoformat(), "end": end.isoformat()},
                "notifications": notes, "visits": visits}
        if i % 2:  # half are check-ins with a location
            data["now"] = (start + dt.timedelta(minutes=rng.randrange(-30, 30))).isoformat()
            data["agent_location"] = {"lat": 32.06 + rng.uniform(-0.005, 0.005),
                                      "lon": 118.79 + rng.uniform(-0.005, 0.005), "accuracy_m": 12}
        out.append((Context.from_json(data, where=f"context {i}"), preset))
    return out


def test_10000_evaluations():
    rng = random.Random(20260302)
    contexts = _contexts(rng)
    policies = {pid: load_policy(pid) for pid in list_presets()}  # compiled once
    year_calendar.cache_clear()

    def timed(fn) -> float:
        gc.collect()
        gc.disable()  # as timeit does: the collector's pauses are not the evaluator's
        try:
            t0 = time.perf_counter()
            fn()
            return time.perf_counter() - t0
        finally:
            gc.enable()

    cold: list = []
    cold_s = timed(lambda: cold.extend(evaluate(ctx, policies[pid]) for ctx, pid in contexts))
    decisions: list = []
    warm_s = timed(lambda: decisions.extend(evaluate(ctx, policies[pid]) for ctx, pid in contexts))
    warm_s = min(warm_s, timed(lambda: [evaluate(ctx, policies[pid]) for ctx, pid in contexts]))
    full_s = timed(lambda: [evaluate(ctx, policies[pid], lang="zh_CN").to_json() for ctx, pid in contexts])

    def baseline() -> int:
        inside = 0
        for ctx, pid in contexts:
            w = policies[pid].window
            s, e = ctx.start.astimezone(ctx.zone), ctx.end.astimezone(ctx.zone)
            inside += s.date() == e.date() and s.hour * 60 + s.minute >= w.start and e.hour * 60 + e.minute <= w.end
        return inside

    base_s = min(timed(baseline), timed(baseline))

    per = warm_s / N * 1e6
    print(f"\npolicy evaluation, {N} contexts (half check-ins): "
          f"{per:.1f} µs each warm, {cold_s / N * 1e6:.1f} µs cold (calendars built), "
          f"{full_s / N * 1e6:.1f} µs with zh_CN sentences and JSON; "
          f"baseline (zone conversion + window comparison) {base_s / N * 1e6:.2f} µs; "
          f"ratio {warm_s / base_s:.1f}x; target {TARGET_US:.0f} µs: {'met' if per < TARGET_US else 'NOT met'}")
    allowed = sum(d.allowed for d in decisions)
    assert 0 < allowed < N and [d.allowed for d in cold] == [d.allowed for d in decisions]
    assert per < 4 * TARGET_US  # a guard against gross regressions (e.g. calendars rebuilt per call)
