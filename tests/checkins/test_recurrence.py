"""Recurrence in local wall-clock time across DST, over a year, in zones with and without DST."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.errors import InvalidInput
from storage.recurrence import (
    EveryNDays,
    Monthly,
    OneOff,
    Weekly,
    local_to_utc,
    next_occurrence,
    parse_rule,
)

PARIS = ZoneInfo("Europe/Paris")


def _series(rule: Weekly | EveryNDays | Monthly, start: datetime, end: datetime) -> list[datetime]:
    out: list[datetime] = []
    t = start
    while True:
        nxt = next_occurrence(rule, t)
        assert nxt is not None
        if nxt > end:
            return out
        assert nxt > t
        out.append(nxt)
        t = nxt


@pytest.mark.parametrize("tz", ["Europe/Paris", "Asia/Tokyo", "UTC", "America/New_York"])
def test_weekly_0900_local_every_week_for_a_year(tz: str) -> None:
    rule = Weekly(0, time(9, 0), tz)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    fired = _series(rule, start, start + timedelta(days=365))
    assert len(fired) == 52
    for when in fired:
        local = when.astimezone(ZoneInfo(tz))
        assert (local.weekday(), local.hour, local.minute) == (0, 9, 0)
    gaps = {b - a for a, b in itertools.pairwise(fired)}
    if tz in ("Asia/Tokyo", "UTC"):
        assert gaps == {timedelta(days=7)}
    else:  # the two DST weeks are one hour shorter / longer in UTC terms
        assert gaps == {timedelta(days=7), timedelta(days=7, hours=-1), timedelta(days=7, hours=1)}


def test_paris_utc_offsets_across_both_changes() -> None:
    rule = Weekly(0, time(9, 0), "Europe/Paris")
    assert next_occurrence(rule, datetime(2026, 3, 24, tzinfo=UTC)) == datetime(
        2026, 3, 30, 7, 0, tzinfo=UTC
    )  # Monday after spring-forward: 09:00 CEST = 07:00 UTC
    assert next_occurrence(rule, datetime(2026, 3, 17, tzinfo=UTC)) == datetime(
        2026, 3, 23, 8, 0, tzinfo=UTC
    )
    assert next_occurrence(rule, datetime(2026, 10, 26, tzinfo=UTC)) == datetime(
        2026, 10, 26, 8, 0, tzinfo=UTC
    )  # Monday after fall-back: 09:00 CET = 08:00 UTC


def test_spring_forward_gap_shifts_forward() -> None:
    # 2026-03-29 02:30 does not exist in Paris: shifted forward by the gap to 03:30 CEST.
    rule = Weekly(6, time(2, 30), "Europe/Paris")
    when = next_occurrence(rule, datetime(2026, 3, 28, tzinfo=UTC))
    assert when == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    assert when.astimezone(PARIS).strftime("%H:%M %Z") == "03:30 CEST"


def test_fall_back_overlap_takes_first_and_fires_once() -> None:
    # 2026-10-25 02:30 happens twice in Paris: the first (CEST, 00:30 UTC), and only once.
    rule = Weekly(6, time(2, 30), "Europe/Paris")
    first = next_occurrence(rule, datetime(2026, 10, 24, tzinfo=UTC))
    assert first == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert first is not None
    again = next_occurrence(rule, first)
    assert again == datetime(2026, 11, 1, 1, 30, tzinfo=UTC)


def test_every_n_days_counts_from_start_local_date() -> None:
    rule = EveryNDays(3, time(9, 0), "Europe/Paris", date(2026, 3, 26))
    fired = _series(rule, datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 5, tzinfo=UTC))
    assert [w.astimezone(PARIS).date().day for w in fired] == [26, 29, 1, 4]
    assert all(w.astimezone(PARIS).hour == 9 for w in fired)


def test_monthly_clamps_to_month_end() -> None:
    rule = Monthly(31, time(10, 0), "Europe/Paris")
    fired = _series(rule, datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))
    days = [w.astimezone(PARIS).date() for w in fired]
    assert len(days) == 12
    assert days[1] == date(2026, 2, 28)
    assert days[3] == date(2026, 4, 30)
    assert all(w.astimezone(PARIS).hour == 10 for w in fired)


def test_one_off() -> None:
    at = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    assert next_occurrence(OneOff(at), at - timedelta(seconds=1)) == at
    assert next_occurrence(OneOff(at), at) is None


def test_rules_round_trip_and_errors() -> None:
    rules = [
        Weekly(2, time(9, 5), "Asia/Tokyo"),
        EveryNDays(14, time(18, 0), "Asia/Tokyo", date(2026, 2, 3)),
        Monthly(1, time(0, 0), "Asia/Tokyo"),
        OneOff(datetime(2026, 1, 1, 9, tzinfo=UTC)),
    ]
    for rule in rules:
        assert parse_rule(rule.to_text(), "Asia/Tokyo") == rule
    for bad in [
        "weekly:XX@09:00",
        "weekly:MO@25:00",
        "monthly:0@09:00",
        "nope",
        "every:0d@09:00 from 2026-01-01",
    ]:
        with pytest.raises(InvalidInput):
            parse_rule(bad, "UTC")
    with pytest.raises(InvalidInput, match="IANA"):
        Weekly(0, time(9), "Mars/Olympus")


ZONES = st.sampled_from(
    ["Europe/Paris", "Asia/Tokyo", "UTC", "America/Sao_Paulo", "Australia/Lord_Howe"]
)
INSTANTS = st.datetimes(
    min_value=datetime(2024, 1, 1),  # noqa: DTZ001 (hypothesis wants naive bounds)
    max_value=datetime(2030, 12, 31),  # noqa: DTZ001
    timezones=st.just(UTC),
)


@settings(max_examples=300, deadline=None)
@given(
    tz=ZONES,
    weekday=st.integers(0, 6),
    hh=st.integers(0, 23),
    mm=st.integers(0, 59),
    after=INSTANTS,
)
def test_weekly_property(tz: str, weekday: int, hh: int, mm: int, after: datetime) -> None:
    rule = Weekly(weekday, time(hh, mm), tz)
    nxt = next_occurrence(rule, after)
    assert nxt is not None
    assert after < nxt <= after + timedelta(days=7, hours=3)
    local = nxt.astimezone(ZoneInfo(tz))
    assert local.weekday() == weekday
    # exact wall clock unless the time fell in a DST gap (then later the same day, never earlier)
    assert nxt == local_to_utc(local.date(), time(hh, mm), ZoneInfo(tz))
    assert (local.hour, local.minute) >= (hh, mm)
    # nothing was skipped: the previous candidate is not after `after`
    prev = local_to_utc(local.date() - timedelta(days=7), time(hh, mm), ZoneInfo(tz))
    assert prev <= after


@settings(max_examples=200, deadline=None)
@given(tz=ZONES, day=st.integers(1, 31), hh=st.integers(0, 23), after=INSTANTS)
def test_monthly_property(tz: str, day: int, hh: int, after: datetime) -> None:
    rule = Monthly(day, time(hh, 0), tz)
    nxt = next_occurrence(rule, after)
    assert nxt is not None
    assert after < nxt <= after + timedelta(days=32)
    local = nxt.astimezone(ZoneInfo(tz))
    assert local.day == day or local.day < day  # clamped only in a shorter month
    assert nxt == local_to_utc(local.date(), time(hh, 0), ZoneInfo(tz))


@settings(max_examples=200, deadline=None)
@given(
    tz=ZONES,
    n=st.integers(1, 40),
    start=st.dates(date(2024, 1, 1), date(2030, 1, 1)),
    after=INSTANTS,
)
def test_every_n_days_property(tz: str, n: int, start: date, after: datetime) -> None:
    rule = EveryNDays(n, time(9, 30), tz, start)
    nxt = next_occurrence(rule, after)
    assert nxt is not None
    assert nxt > after
    local = nxt.astimezone(ZoneInfo(tz))
    assert (local.date() - start).days % n == 0
    assert local.date() >= start
    earlier = local.date() - timedelta(days=n)
    if earlier >= start:
        assert local_to_utc(earlier, time(9, 30), ZoneInfo(tz)) <= after
