"""Observation periods: every written form, the refusals, feature values, file names, overlaps."""

from __future__ import annotations

from datetime import date

import pytest

from oresight.earth.periods import (
    ObservationPeriod,
    parse_period,
    period_in_name,
    period_of_value,
)

FORMS_HINT = "write a year (2024), a quarter (2024-Q2), a month (2023-12) or days"


def days_in(period: ObservationPeriod) -> int:
    return (period.end - period.start).days + 1


@pytest.mark.parametrize(
    ("text", "start", "end", "label"),
    [
        ("2024", date(2024, 1, 1), date(2024, 12, 31), "2024"),
        ("  2019 ", date(2019, 1, 1), date(2019, 12, 31), "2019"),
        ("2024-Q2", date(2024, 4, 1), date(2024, 6, 30), "2024-Q2"),
        ("2024q3", date(2024, 7, 1), date(2024, 9, 30), "2024-Q3"),
        ("2023-Q4", date(2023, 10, 1), date(2023, 12, 31), "2023-Q4"),
        ("2023-12", date(2023, 12, 1), date(2023, 12, 31), "2023-12"),
        ("2023-04", date(2023, 4, 1), date(2023, 4, 30), "2023-04"),
        # Amazon Mining Watch: year then month, month 00 for the whole year.
        ("201800", date(2018, 1, 1), date(2018, 12, 31), "2018"),
        ("202406", date(2024, 6, 1), date(2024, 6, 30), "2024-06"),
        ("2024-03-05", date(2024, 3, 5), date(2024, 3, 5), "2024-03-05"),
        ("2024-01-01/2024-11-15", date(2024, 1, 1), date(2024, 11, 15), "2024-01-01/2024-11-15"),
        (
            "2024-01-01 / 2024-11-15",
            date(2024, 1, 1),
            date(2024, 11, 15),
            "2024-01-01/2024-11-15",
        ),
        ("2024-06-30/2024-06-30", date(2024, 6, 30), date(2024, 6, 30), "2024-06-30/2024-06-30"),
    ],
)
def test_every_written_form_is_read(text: str, start: date, end: date, label: str) -> None:
    assert parse_period(text) == ObservationPeriod(start, end, label)


@pytest.mark.parametrize(
    ("text", "last_day", "days"),
    [
        ("2024-02", date(2024, 2, 29), 29),  # divisible by 4: leap
        ("2023-02", date(2023, 2, 28), 28),
        ("1900-02", date(1900, 2, 28), 28),  # a century not divisible by 400: not leap
        ("2000-02", date(2000, 2, 29), 29),  # divisible by 400: leap
        ("202402", date(2024, 2, 29), 29),
    ],
)
def test_february_ends_on_the_right_day(text: str, last_day: date, days: int) -> None:
    period = parse_period(text)
    assert period.end == last_day
    assert days_in(period) == days


@pytest.mark.parametrize(("year", "days"), [(2024, 31 + 29 + 31), (2023, 31 + 28 + 31)])
def test_a_first_quarter_holds_february_whole(year: int, days: int) -> None:
    period = parse_period(f"{year}-Q1")
    assert (period.start, period.end) == (date(year, 1, 1), date(year, 3, 31))
    assert days_in(period) == days


@pytest.mark.parametrize(("year", "days"), [(2024, 366), (2023, 365), (2100, 365)])
def test_a_year_holds_every_day(year: int, days: int) -> None:
    assert days_in(parse_period(str(year))) == days
    assert ObservationPeriod.year(year) == parse_period(str(year))


@pytest.mark.parametrize("text", ["2024-13", "202413", "2024-00"])
def test_a_month_outside_1_to_12_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="is not a valid period") as raised:
        parse_period(text)
    assert repr(text) in str(raised.value)
    assert "must be 1-12" in str(raised.value).split(":", 1)[1]


@pytest.mark.parametrize("text", ["2024-02-30", "2023-02-29/2023-03-10"])
def test_a_day_that_does_not_exist_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="day is out of range for month") as raised:
        parse_period(text)
    assert str(raised.value).startswith(f"{text!r} is not a valid period")


def test_a_range_ending_before_it_starts_is_refused() -> None:
    with pytest.raises(ValueError) as raised:
        parse_period("2024-11-15/2024-01-01")
    assert str(raised.value) == "the period '2024-11-15/2024-01-01' ends before it starts"


@pytest.mark.parametrize("text", ["last summer", "2024-Q5", "24", "2024/2025", "", "Q2 2024"])
def test_free_text_is_refused_naming_the_forms(text: str) -> None:
    with pytest.raises(ValueError) as raised:
        parse_period(text)
    message = str(raised.value)
    assert message.startswith(f"{text.strip()!r} is not a period")
    assert FORMS_HINT in message


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (2024, ObservationPeriod.year(2024)),
        (201800, ObservationPeriod.year(2018)),
        (202406, ObservationPeriod(date(2024, 6, 1), date(2024, 6, 30), "2024-06")),
        (2021.0, ObservationPeriod.year(2021)),
        (202400.0, ObservationPeriod.year(2024)),
        ("2024-Q2", ObservationPeriod(date(2024, 4, 1), date(2024, 6, 30), "2024-Q2")),
        (" 2022 ", ObservationPeriod.year(2022)),
        # AMW writes first-detection years as midnight on New Year's Day.
        ("2017-01-01T00:00:00", ObservationPeriod.year(2017)),
        ("2019-07-14T12:30:00+02:00", ObservationPeriod.year(2019)),
        ("2020-01-01T00:00:00Z", ObservationPeriod.year(2020)),
    ],
)
def test_feature_values_are_read_as_periods(value: object, expected: ObservationPeriod) -> None:
    assert period_of_value(value) == expected


@pytest.mark.parametrize("value", [True, False])
def test_booleans_are_not_years(value: bool) -> None:
    # bool is an int in Python: True would otherwise be the year 1.
    with pytest.raises(ValueError) as raised:
        period_of_value(value)
    assert str(raised.value) == f"{value!r} is not a period"


@pytest.mark.parametrize("value", [2024.5, None, [2024], {"year": 2024}, float("nan")])
def test_other_values_are_refused_naming_the_forms(value: object) -> None:
    with pytest.raises(ValueError) as raised:
        period_of_value(value)
    assert str(raised.value).startswith(f"{value!r} is not a period")
    assert FORMS_HINT in str(raised.value)


@pytest.mark.parametrize("value", ["Tuesday", "2024-13-01T00:00:00", "soon"])
def test_text_that_is_no_period_nor_date_time_is_refused(value: str) -> None:
    with pytest.raises(ValueError, match="is not a period"):
        period_of_value(value)


def test_the_ghana_file_name_states_its_period() -> None:
    name = "ghana_48px_v3.2-3.7ensemble_0.50_2024-01-01_2024-11-15-dissolved-0.6.geojson"
    assert period_in_name(name) == ObservationPeriod(
        date(2024, 1, 1), date(2024, 11, 15), "2024-01-01/2024-11-15"
    )


@pytest.mark.parametrize(
    "name",
    [
        "mining_201800_simplified.geojson",  # AMW's year is in the features, not two dates
        "amazon_1_48px_v3.7_0.50_1_2023-12_2023.geojson",
        "scan_2024-11-15_2024-01-01.geojson",  # backwards: not a period
        "scan_2024-02-30_2024-03-10.geojson",  # no such day
        "scan_12024-01-01_2024-11-15.geojson",  # a longer number, not a date
        "scan_2024-01-01-2024-11-15.geojson",  # not joined by an underscore
    ],
)
def test_names_without_two_valid_dates_state_no_period(name: str) -> None:
    assert period_in_name(name) is None


def test_overlaps_counts_both_ends() -> None:
    year = ObservationPeriod.year(2024)
    assert year.overlaps(date(2024, 12, 31), date(2025, 1, 5))
    assert year.overlaps(date(2023, 12, 1), date(2024, 1, 1))
    assert year.overlaps(date(2024, 6, 1), date(2024, 6, 1))
    assert year.overlaps(date(2020, 1, 1), date(2030, 1, 1))  # holds the period whole
    assert not year.overlaps(date(2025, 1, 1), date(2025, 3, 1))
    assert not year.overlaps(date(2023, 1, 1), date(2023, 12, 31))


def test_a_one_day_period_overlaps_only_that_day() -> None:
    day = parse_period("2024-03-05")
    assert day.overlaps(date(2024, 3, 5), date(2024, 3, 5))
    assert not day.overlaps(date(2024, 3, 6), date(2024, 3, 9))
    assert not day.overlaps(date(2024, 3, 1), date(2024, 3, 4))


def test_periods_sort_by_start_then_end() -> None:
    given = [parse_period("2024"), parse_period("2018"), parse_period("2024-01-01/2024-11-15")]
    assert [p.label for p in sorted(given)] == ["2018", "2024-01-01/2024-11-15", "2024"]
