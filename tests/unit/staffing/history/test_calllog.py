"""The call logs counted by the DuckDB engine: the rules of each format, and the same tables as the pandas path."""

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest

from ops.staffing.history.calllog import count_call_log
from ops.staffing.history.counting import BadRecords, count_frame
from ops.staffing.history.intervals import CALL_COLUMNS, INTERVAL_COLUMNS
from tests.conftest import FIXTURES
from tests.unit.staffing.history.pandas_reference import aggregate_calls, read_anonymous_bank, read_cdr

SLICE = FIXTURES / "anonymous_bank_1999_02_12-14_calls.csv"
EDGES = FIXTURES / "anonymous_bank_1999_02_edge_rows.csv"
JERUSALEM = "Asia/Jerusalem"
SAO_PAULO = "America/Sao_Paulo"


def calls(rows: list[tuple[str, str, float, float]]) -> pd.DataFrame:
    """A calls frame from (entered_at wall time, outcome, wait, handle) tuples."""
    return pd.DataFrame(
        {
            "call_id": [str(i) for i in range(len(rows))],
            "entered_at": pd.to_datetime([r[0] for r in rows]),
            "outcome": [r[1] for r in rows],
            "wait_seconds": [r[2] for r in rows],
            "handle_seconds": [r[3] for r in rows],
        }
    )


def ab(path: Path, timezone: str, **kwargs: object) -> pd.DataFrame:
    """An Anonymous Bank file counted by the engine into queue care."""
    return count_call_log(path, fmt="anonymous-bank", queue="care", timezone=timezone, **kwargs).intervals  # type: ignore[arg-type]


def cdr_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "cdr.csv"
    path.write_text(text, encoding="utf-8")
    return path


def totals(intervals: pd.DataFrame) -> dict[str, float]:
    return {c: intervals[c].sum() for c in INTERVAL_COLUMNS[2:]}


def test_real_slice_gives_the_figures_a_report_prints() -> None:
    # Three days of the February 1999 log (Fri 12 to Sun 14); the whole month gives offered
    # 31,094, answered 27,162, abandoned 3,932, 52.1 % within 20 s, ASA 40.8 s, AHT 176.4 s.
    intervals = ab(SLICE, JERUSALEM)

    assert intervals.equals(aggregate_calls(read_anonymous_bank(SLICE), queue="care", timezone=JERUSALEM))
    assert totals(intervals) == {
        "offered": 2191,
        "answered": 1966,
        "answered_within": 1470,
        "abandoned": 225,
        "abandoned_within": 97,
        "short_abandons": 21,
        "handle_seconds": 303506.0,
        "wait_seconds": 45335.0,
    }
    assert round(1470 / 2191, 3) == 0.671
    assert round(45335 / 1966, 1) == 23.1
    assert round(303506 / 1966, 1) == 154.4
    local_day = intervals["interval_start"].dt.tz_convert(JERUSALEM).dt.strftime("%Y-%m-%d")
    assert intervals.groupby(local_day)["offered"].sum().to_dict() == {
        "1999-02-12": 477,
        "1999-02-13": 193,
        "1999-02-14": 1521,
    }


def test_interval_table_has_the_shared_columns_and_types() -> None:
    intervals = ab(SLICE, JERUSALEM)

    assert tuple(intervals.columns) == INTERVAL_COLUMNS
    assert str(intervals["interval_start"].dt.tz) == "UTC"
    assert intervals["offered"].dtype == "int64"
    assert intervals["wait_seconds"].dtype == "float64"
    assert set(intervals["queue"]) == {"care"}
    assert intervals["interval_start"].is_monotonic_increasing


def test_each_kind_of_anonymous_bank_record_is_read_as_the_rules_say() -> None:
    # The rules on the pandas reference, call by call; the engine gives its table for these rows.
    assert ab(EDGES, JERUSALEM, fill_days=False).equals(
        aggregate_calls(read_anonymous_bank(EDGES), queue="care", timezone=JERUSALEM, fill_days=False)
    )
    frame = read_anonymous_bank(EDGES).set_index("call_id")

    assert tuple(frame.reset_index().columns) == CALL_COLUMNS
    outcome = frame["outcome"].astype(str)
    assert outcome["34645"] == "phantom"
    assert outcome["34585"] == "unqueued"  # HANG that never queued
    assert outcome["34868"] == "unqueued"  # HANG with q_start set but q_time 0
    assert outcome["34539"] == "abandoned"
    assert outcome["34537"] == "answered"  # NO_SERVER
    assert outcome["34648"] == "answered"  # ser_time 0
    entered = frame["entered_at"].astype(str)
    assert entered["34536"] == "1999-02-01 07:02:56"  # never queued: at vru_exit
    assert entered["34539"] == "1999-02-01 08:09:22"  # at q_start
    assert entered["30456"] == "1999-02-07 09:47:17"  # q_start before vru_entry: clock skew, same day
    assert entered["14375"] == "1999-02-11 00:00:02"  # crossed midnight
    assert entered["31056"] == "1999-02-16 00:00:00"  # queued at exactly midnight (q_time 27)
    assert frame.loc["34684", "wait_seconds"] == 20
    assert frame.loc["34684", "handle_seconds"] == 525


def test_edge_records_count_by_wait_thresholds() -> None:
    default = totals(ab(EDGES, JERUSALEM))
    assert default["offered"] == 11  # 8 AGENT + 3 HANG that queued; PHANTOM and unqueued left out
    assert default["answered"] == 8
    assert default["answered_within"] == 4  # waits 0, 0, 13 and exactly 20
    assert default["abandoned_within"] == 3  # waits 5, 6, 20
    assert default["short_abandons"] == 1  # wait 5

    wider = totals(ab(EDGES, JERUSALEM, answer_within=21, short_abandon_seconds=6))
    assert wider["answered_within"] == 5
    assert wider["short_abandons"] == 2


def test_an_interval_holds_calls_from_its_start_up_to_but_not_including_its_end() -> None:
    frame = calls(
        [
            ("2026-03-02 08:00:00", "answered", 3, 100),
            ("2026-03-02 08:29:59", "answered", 30, 200),
            ("2026-03-02 08:30:00", "abandoned", 40, 0),
        ]
    )

    intervals = count_frame(frame, queue="care", timezone=SAO_PAULO, fill_days=False)

    assert intervals["interval_start"].astype(str).tolist() == [
        "2026-03-02 11:00:00+00:00",
        "2026-03-02 11:30:00+00:00",
    ]
    assert intervals["offered"].tolist() == [2, 1]
    assert intervals["wait_seconds"].tolist() == [33.0, 0.0]  # wait of answered calls only
    assert intervals["handle_seconds"].tolist() == [300.0, 0.0]


def test_every_interval_of_a_logged_day_is_listed_and_unlogged_days_are_not() -> None:
    frame = calls([("2026-03-02 08:10:00", "answered", 0, 60), ("2026-03-04 03:00:00", "unqueued", 0, 0)])

    intervals = count_frame(frame, queue="care", timezone=SAO_PAULO)

    local = intervals["interval_start"].dt.tz_convert(SAO_PAULO)
    assert local.dt.strftime("%Y-%m-%d").value_counts().to_dict() == {"2026-03-02": 48, "2026-03-04": 48}
    assert local.iloc[0].strftime("%H:%M") == "00:00"
    assert intervals["offered"].sum() == 1


def test_a_day_when_clocks_go_back_has_fifty_intervals_and_keeps_every_call() -> None:
    # Sao Paulo left summer time at midnight on 21 February 1999: 23:00-24:00 of the 20th ran twice.
    frame = calls([("1999-02-20 23:15:00", "answered", 5, 60), ("1999-02-20 22:45:00", "answered", 5, 60)])

    intervals = count_frame(frame, queue="care", timezone=SAO_PAULO)

    assert len(intervals) == 50
    assert intervals["offered"].sum() == 2
    busy = intervals.loc[intervals["offered"] > 0, "interval_start"].astype(str).tolist()
    assert busy == ["1999-02-21 00:30:00+00:00", "1999-02-21 01:00:00+00:00"]  # 22:30 and 23:00 at -02:00


def test_a_log_from_another_zone_lands_in_the_queue_local_intervals() -> None:
    frame = read_anonymous_bank(EDGES, timezone=JERUSALEM)  # 14375 entered 1999-02-11 00:00:02 in Israel

    intervals = count_frame(frame, queue="care", timezone=SAO_PAULO, fill_days=False)

    start = intervals.loc[intervals["answered"] > 0, "interval_start"].dt.tz_convert(SAO_PAULO)
    # 00:00:02 at +02:00 is 20:00:02 of the day before at -02:00.
    assert "1999-02-10 20:00:00-02:00" in start.astype(str).tolist()


def test_cdr_with_offsets_is_placed_by_its_instant(tmp_path: Path) -> None:
    text = (
        "call_id,queue_entered_at,wait_seconds,outcome,handle_seconds\n"
        "a,2026-03-02T08:05:00-03:00,12,answered,300\n"
        "b,2026-03-02T11:40:00Z,25,abandoned,\n"
    )

    path = cdr_file(tmp_path, text)
    intervals = count_call_log(path, fmt="cdr", queue="care", timezone=SAO_PAULO, fill_days=False).intervals

    assert intervals["interval_start"].astype(str).tolist() == [
        "2026-03-02 11:00:00+00:00",
        "2026-03-02 11:30:00+00:00",
    ]
    assert intervals["answered_within"].tolist() == [1, 0]
    assert intervals["abandoned"].tolist() == [0, 1]
    assert intervals["handle_seconds"].tolist() == [300.0, 0.0]
    assert intervals.equals(aggregate_calls(read_cdr(path), queue="care", timezone=SAO_PAULO, fill_days=False))


def test_cdr_without_offsets_reads_wall_times_of_the_given_zone(tmp_path: Path) -> None:
    text = "call_id,queue_entered_at,wait_seconds,outcome,handle_seconds\na,2026-03-02 08:05:00,1,answered,30\n"

    counted = count_call_log(cdr_file(tmp_path, text), fmt="cdr", queue="care", timezone=SAO_PAULO, fill_days=False)

    assert counted.intervals["interval_start"].astype(str).tolist() == ["2026-03-02 11:00:00+00:00"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            "a,2026-03-02T08:05:00-03:00,1,answered,3\nb,2026-03-02T08:06:00,1,answered,3\n",
            "row 3: queue_entered_at mixes",
        ),
        ("a,2026-03-02T08:05:00,1,hung_up,3\n", "row 2: outcome 'hung_up'"),
        ("a,2026-03-02T08:05:00,-4,answered,3\n", "row 2: wait_seconds '-4'"),
        ("a,yesterday,1,answered,3\n", "row 2: queue_entered_at 'yesterday' is not an ISO 8601 date and time"),
        ("a,2026-03-02T08:05:00,1,answered,-3\n", "row 2: handle_seconds '-3' is not a number"),
        ("a,0001-01-01T08:05:00,1,answered,3\n", "row 2: queue_entered_at '0001-01-01T08:05:00' is outside 1970-01-01"),
        ("a,9999-12-31T08:05:00-03:00,1,answered,3\n", "row 2: queue_entered_at '9999-12-31T08:05:00-03:00' is out"),
        (
            "a,2026-03-02T08:05:00,1,answered,3\nb,2026-03-02T08:06:00,x,answered,3\nc,x,1,answered,3\n",
            r"row 3: wait_seconds 'x' .* \(2 bad records in all\)",
        ),
    ],
)
def test_bad_cdr_rows_are_named_and_counted(tmp_path: Path, body: str, message: str) -> None:
    path = cdr_file(tmp_path, "call_id,queue_entered_at,wait_seconds,outcome,handle_seconds\n" + body)

    with pytest.raises(BadRecords, match=message):
        count_call_log(path, fmt="cdr", queue="care", timezone=SAO_PAULO)


def test_bad_anonymous_bank_files_are_named(tmp_path: Path) -> None:
    good = EDGES.read_text().splitlines()
    path = tmp_path / "ab.csv"
    path.write_text("\n".join([good[0], good[1].replace("7:02:56", "7:62:56"), *good[2:]]))
    with pytest.raises(BadRecords, match=r"^row 2: bad vru_exit '7:62:56'$"):
        ab(path, JERUSALEM)
    path.write_text(
        "\n".join([good[0], *good[1:4], good[4].replace("HANG", "BUSY"), good[5].replace("990202", "990231")])
    )
    with pytest.raises(BadRecords, match=r"^row 5: bad outcome 'BUSY' \(2 bad records in all\)$"):
        ab(path, JERUSALEM)
    path.write_text("call_id,queue_entered_at\n1,2026-01-01\n")
    with pytest.raises(ValueError, match="not an Anonymous Bank call log: missing columns date"):
        ab(path, JERUSALEM)


def test_unknown_zone_and_bad_calls_are_refused() -> None:
    frame = calls([("2026-03-02 08:00:00", "answered", 3, 100)])
    with pytest.raises(ValueError, match="unknown time zone"):
        count_frame(frame, queue="care", timezone="Mars/Olympus")
    with pytest.raises(BadRecords, match="row 1: unknown call outcome 'busy'"):
        count_frame(frame.assign(outcome="busy"), queue="care", timezone=SAO_PAULO)
    with pytest.raises(BadRecords, match="negative wait_seconds"):
        count_frame(frame.assign(wait_seconds=-1.0), queue="care", timezone=SAO_PAULO)


def test_no_calls_give_an_empty_table_with_the_shared_columns() -> None:
    intervals = count_frame(calls([]), queue="care", timezone=SAO_PAULO)

    assert intervals.empty
    assert tuple(intervals.columns) == INTERVAL_COLUMNS


def test_counts_match_a_call_by_call_reckoning_across_a_clock_change() -> None:
    # Random instants over Sao Paulo's 1999 end of summer time, placed one by one with zoneinfo.
    rng = np.random.default_rng(7)
    seconds = rng.integers(0, 6 * 86_400, 3_000)
    instants = pd.Timestamp("1999-02-18", tz="UTC") + pd.to_timedelta(seconds, unit="s")
    outcome = rng.choice(["answered", "abandoned", "unqueued"], len(seconds))
    wait = rng.integers(0, 60, len(seconds)).astype(float)
    frame = pd.DataFrame(
        {"call_id": "x", "entered_at": instants, "outcome": outcome, "wait_seconds": wait, "handle_seconds": 1.0}
    )

    intervals = count_frame(frame, queue="care", timezone=SAO_PAULO, fill_days=False)

    zone = ZoneInfo(SAO_PAULO)
    expected: Counter[datetime] = Counter()
    within: Counter[datetime] = Counter()
    for instant, kind, waited in zip(instants, outcome, wait, strict=True):
        local = instant.to_pydatetime().astimezone(zone)
        start = local.replace(minute=local.minute - local.minute % 30, second=0).astimezone(UTC)
        if kind != "unqueued":
            expected[start] += 1
            within[start] += int(kind == "answered" and waited <= 20)
    got = intervals.set_index(intervals["interval_start"].map(lambda t: t.to_pydatetime()))
    assert got["offered"][got["offered"] > 0].to_dict() == dict(expected)
    assert got["answered_within"][got["offered"] > 0].to_dict() == {k: within[k] for k in expected}
