"""The engine pinned on the real Anonymous Bank logs of February and August 1999, on Parquet, and on a queue_log."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from ops.staffing.history.calllog import count_call_log
from ops.staffing.history.counting import BadRecords
from ops.staffing.history.intervals import INTERVAL_COLUMNS
from tests.conftest import FIXTURES
from tests.unit.staffing.history.pandas_reference import aggregate_calls, read_anonymous_bank

FEB_SLICE = FIXTURES / "anonymous_bank_1999_02_12-14_calls.csv"
FEB_MONTH = FIXTURES / "anonymous_bank_1999_02_care_intervals.csv"
AUG_SLICE = FIXTURES / "anonymous_bank_1999_08_12-14_calls.csv"
AUG_MONTH = FIXTURES / "anonymous_bank_1999_08_care_intervals.csv"
QUEUE_LOG = FIXTURES / "asterisk_queue_log_sample.txt"
SAO_PAULO = "America/Sao_Paulo"
JERUSALEM = "Asia/Jerusalem"
VALUES = list(INTERVAL_COLUMNS[2:])


def month(path: Path) -> pd.DataFrame:
    table = pd.read_csv(path)
    table["interval_start"] = pd.to_datetime(table["interval_start"], utc=True)
    return table


def days(table: pd.DataFrame, timezone: str, wanted: list[str]) -> pd.DataFrame:
    local = table["interval_start"].dt.tz_convert(timezone).dt.strftime("%Y-%m-%d")
    return table[local.isin(wanted)].reset_index(drop=True)


def same_rows(ours: pd.DataFrame, stored: pd.DataFrame) -> None:
    assert ours["interval_start"].tolist() == stored["interval_start"].tolist()
    assert ours[VALUES].astype(float).to_numpy().tolist() == stored[VALUES].astype(float).to_numpy().tolist()


@pytest.mark.parametrize(
    ("slice_path", "month_path", "timezone", "whole_days"),
    [
        # Calls that crossed midnight into the slice's first day are dated the day before: its
        # first day is not whole in the slice, the later ones are.
        (FEB_SLICE, FEB_MONTH, SAO_PAULO, ["1999-02-13", "1999-02-14"]),
        (AUG_SLICE, AUG_MONTH, JERUSALEM, ["1999-08-13", "1999-08-14"]),
    ],
)
def test_the_engine_gives_the_pandas_table_and_the_month_table_row_for_row(
    slice_path: Path, month_path: Path, timezone: str, whole_days: list[str]
) -> None:
    ours = count_call_log(slice_path, fmt="anonymous-bank", queue="care", timezone=timezone).intervals

    assert ours.equals(aggregate_calls(read_anonymous_bank(slice_path), queue="care", timezone=timezone))
    same_rows(days(ours, timezone, whole_days), days(month(month_path), timezone, whole_days))


def test_the_month_tables_hold_the_pinned_counts() -> None:
    feb = month(FEB_MONTH)[VALUES].sum()
    assert (len(month(FEB_MONTH)), feb["offered"], feb["answered"], feb["answered_within"], feb["abandoned"]) == (
        1346,
        31094,
        27162,
        16209,
        3932,
    )
    aug = month(AUG_MONTH)[VALUES].sum().to_dict()
    assert len(month(AUG_MONTH)) == 1488
    assert aug == {
        "offered": 38662,
        "answered": 31402,
        "answered_within": 15857,
        "abandoned": 7260,
        "abandoned_within": 1988,
        "short_abandons": 302,
        "handle_seconds": 5790452.0,
        "wait_seconds": 2317703.0,
    }


def test_the_february_slice_in_the_report_figures() -> None:
    counted = count_call_log(FEB_SLICE, fmt="anonymous-bank", queue="care", timezone=JERUSALEM)
    totals = counted.intervals[VALUES].sum()

    assert (totals["offered"], totals["answered"], totals["answered_within"], totals["abandoned"]) == (
        2191,
        1966,
        1470,
        225,
    )
    assert counted.outcomes == {"answered": 1966, "abandoned": 225, "unqueued": 170, "phantom": 20, "unfinished": 0}
    assert counted.records == 2381


def test_parquet_is_read_like_the_csv(tmp_path: Path) -> None:
    parquet = tmp_path / "slice.data"  # told by its magic bytes, not its name
    with duckdb.connect() as con:
        con.execute(f"COPY (SELECT * FROM read_csv('{FEB_SLICE}', all_varchar = true)) TO '{parquet}' (FORMAT parquet)")

    ours = count_call_log(parquet, fmt="anonymous-bank", queue="care", timezone=SAO_PAULO).intervals

    assert ours.equals(count_call_log(FEB_SLICE, fmt="anonymous-bank", queue="care", timezone=SAO_PAULO).intervals)


def test_a_typed_cdr_parquet_with_a_queue_column_goes_to_the_mapped_queues(tmp_path: Path) -> None:
    parquet = tmp_path / "cdr.parquet"
    with duckdb.connect() as con:
        con.execute(
            f"""COPY (SELECT * FROM (VALUES
                  ('1', TIMESTAMP '2026-03-02 08:05:00', 10.0, 'answered', 200.0, 'q1'),
                  ('2', TIMESTAMP '2026-03-02 08:29:59', 25.0, 'answered', 100.0, 'q1'),
                  ('3', TIMESTAMP '2026-03-02 08:31:00', 3.0, 'abandoned', NULL, 'q2'),
                  ('4', TIMESTAMP '2026-03-02 08:31:00', 3.0, 'abandoned', NULL, 'other'))
                AS t(call_id, queue_entered_at, wait_seconds, outcome, handle_seconds, queue)) TO '{parquet}'
                (FORMAT parquet)"""
        )

    counted = count_call_log(
        parquet, fmt="cdr", queue_map={"q1": "care", "q2": "helpdesk"}, timezone=SAO_PAULO, fill_days=False
    )

    table = counted.intervals
    assert table[
        ["queue", "offered", "answered", "answered_within", "abandoned", "short_abandons"]
    ].values.tolist() == [
        ["care", 2, 2, 1, 0, 0],
        ["helpdesk", 1, 0, 0, 1, 1],
    ]
    assert table["interval_start"].astype(str).tolist() == ["2026-03-02 11:00:00+00:00", "2026-03-02 11:30:00+00:00"]
    assert counted.unmapped == 1


# The sample queue_log (tests/fixtures/README.md lists every call): support -> care, sales ->
# helpdesk, billing not mapped; 2026-03-02 in São Paulo (UTC-3). Counted by hand per interval:
# (local start, offered, answered, answered within 20 s, abandoned, abandoned within, short, handle, wait)
# c8 was transferred after 60 s of talk, c9 left on EXITEMPTY, c12 is unfinished, c15 left by key.
HAND = {
    "care": [
        ("09:00", 7, 4, 2, 3, 1, 1, 810.0, 83.0),  # c1-c7; c7 entered 09:29:50, answered 09:30:15
        ("09:30", 4, 2, 2, 2, 2, 1, 240.0, 24.0),  # c8-c11
        ("10:00", 7, 5, 4, 2, 2, 0, 555.0, 55.0),  # c14-c20
    ],
    "helpdesk": [
        ("09:00", 3, 2, 1, 1, 1, 1, 400.0, 55.0),
        ("09:30", 3, 2, 1, 1, 0, 0, 380.0, 35.0),  # s6 timed out after 120 s
        ("10:00", 2, 2, 2, 0, 0, 0, 255.0, 20.0),
    ],
}


def test_a_queue_log_counts_as_counted_by_hand() -> None:
    counted = count_call_log(
        QUEUE_LOG, fmt="asterisk-queue-log", queue_map={"support": "care", "sales": "helpdesk"}, timezone=SAO_PAULO
    )

    table = counted.intervals
    assert table.groupby("queue").size().to_dict() == {"care": 48, "helpdesk": 48}  # the whole local day
    busy = table[table["offered"] > 0]
    local = busy["interval_start"].dt.tz_convert(SAO_PAULO).dt.strftime("%H:%M")
    got = {
        queue: [
            (t, *row)
            for t, row in zip(
                local[busy["queue"] == queue], busy[busy["queue"] == queue][VALUES].values.tolist(), strict=True
            )
        ]
        for queue in ("care", "helpdesk")
    }
    assert got == {q: [tuple(r) for r in rows] for q, rows in HAND.items()}
    assert counted.outcomes["unfinished"] == 2  # c12 still waiting at the end, c13 entered before the log
    assert counted.unmapped == 2  # the billing queue's two calls


def test_one_queue_takes_every_queue_of_the_log() -> None:
    counted = count_call_log(QUEUE_LOG, fmt="asterisk-queue-log", queue="care", timezone=SAO_PAULO)

    assert counted.intervals["offered"].sum() == 18 + 8 + 2
    assert counted.unmapped == 0


def test_a_bad_queue_log_line_is_named(tmp_path: Path) -> None:
    lines = QUEUE_LOG.read_text().splitlines()
    lines[5] = lines[5].replace("|CONNECT|8|", "|CONNECT|eight|")
    path = tmp_path / "queue_log"
    path.write_text("\n".join(lines) + "\n")

    with pytest.raises(BadRecords, match=r"^row 6: CONNECT data1 \(holdtime\) 'eight' is not a whole number"):
        count_call_log(path, fmt="asterisk-queue-log", queue="care", timezone=SAO_PAULO)


def test_a_queue_log_line_from_year_33658_is_named(tmp_path: Path) -> None:
    """Issue 13: twelve digits of UNIX time reach year 33658; history stops at the input window's end."""
    lines = QUEUE_LOG.read_text().splitlines()
    epoch = lines[5].split("|", 1)[0]
    lines[5] = lines[5].replace(epoch, "999999999999", 1)
    path = tmp_path / "queue_log"
    path.write_text("\n".join(lines) + "\n")

    with pytest.raises(BadRecords, match=r"^row 6: epoch '999999999999' is outside 1970-01-01 to"):
        count_call_log(path, fmt="asterisk-queue-log", queue="care", timezone=SAO_PAULO)
