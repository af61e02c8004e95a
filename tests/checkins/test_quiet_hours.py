from __future__ import annotations

from datetime import UTC, datetime, time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.checkins.quiet_hours import QuietHours, delivery_time
from bot.errors import InvalidInput

NIGHT = QuietHours(time(21, 0), time(7, 30))


def paris(y: int, mo: int, d: int, h: int, mi: int = 0) -> datetime:
    from zoneinfo import ZoneInfo

    return datetime(y, mo, d, h, mi, tzinfo=ZoneInfo("Europe/Paris")).astimezone(UTC)


def test_parse() -> None:
    assert QuietHours.parse("21:00-07:30") == NIGHT
    assert QuietHours.parse("") is None
    assert str(NIGHT) == "21:00-07:30"
    with pytest.raises(InvalidInput, match="21:00-07:30"):
        QuietHours.parse("9pm to 7")


@pytest.mark.parametrize(
    ("due", "expected"),
    [
        (paris(2026, 6, 1, 20, 59), paris(2026, 6, 1, 20, 59)),  # before quiet hours
        (paris(2026, 6, 1, 21, 0), paris(2026, 6, 2, 7, 30)),  # evening: next morning
        (paris(2026, 6, 1, 23, 59), paris(2026, 6, 2, 7, 30)),
        (paris(2026, 6, 2, 3, 0), paris(2026, 6, 2, 7, 30)),  # after midnight: same morning
        (paris(2026, 6, 2, 7, 30), paris(2026, 6, 2, 7, 30)),  # end is not quiet
        (paris(2026, 3, 28, 22, 0), paris(2026, 3, 29, 7, 30)),  # across spring-forward
        (paris(2026, 10, 24, 22, 0), paris(2026, 10, 25, 7, 30)),  # across fall-back
    ],
)
def test_deferred_to_end_of_quiet_hours(due: datetime, expected: datetime) -> None:
    assert delivery_time(due, "Europe/Paris", NIGHT) == expected


def test_urgent_and_none_never_deferred() -> None:
    due = paris(2026, 6, 1, 23, 0)
    assert delivery_time(due, "Europe/Paris", NIGHT, urgent=True) == due
    assert delivery_time(due, "Europe/Paris", None) == due


def test_daytime_window_and_empty_window() -> None:
    lunch = QuietHours(time(12, 0), time(14, 0))
    assert delivery_time(paris(2026, 6, 1, 13, 0), "Europe/Paris", lunch) == paris(2026, 6, 1, 14)
    assert delivery_time(paris(2026, 6, 1, 11, 0), "Europe/Paris", lunch) == paris(2026, 6, 1, 11)
    never = QuietHours(time(8, 0), time(8, 0))
    assert delivery_time(paris(2026, 6, 1, 8), "Europe/Paris", never) == paris(2026, 6, 1, 8)


@settings(max_examples=300, deadline=None)
@given(
    due=st.datetimes(
        datetime(2025, 1, 1),  # noqa: DTZ001 (hypothesis wants naive bounds)
        datetime(2028, 1, 1),  # noqa: DTZ001
        timezones=st.just(UTC),
    ),
    tz=st.sampled_from(["Europe/Paris", "Asia/Tokyo", "UTC"]),
    start=st.times(),
    end=st.times(),
)
def test_delivery_is_never_earlier_and_never_quiet(
    due: datetime, tz: str, start: time, end: time
) -> None:
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    quiet = QuietHours(
        start.replace(second=0, microsecond=0), end.replace(second=0, microsecond=0)
    )
    at = delivery_time(due, tz, quiet)
    assert at >= due
    assert at - due <= timedelta(hours=25)
    if at != due:
        assert (
            not quiet.contains(at.astimezone(ZoneInfo(tz)).time())
            or quiet.end == at.astimezone(ZoneInfo(tz)).time()
        )
