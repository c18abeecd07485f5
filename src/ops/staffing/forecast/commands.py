"""`ops staffing backtest`: the forecast's accuracy against seasonal-naive and five-week-median baselines."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click
import pandas as pd

from ops.cli.support import domain_errors, echo_json, fail, run, session_scope

SERIES_FORMATS = ("intervals", "anonymous-bank-6min", "us-bank-5min")


def _holidays_of(country: str | None, subdivision: str | None, series: pd.Series) -> set[date]:
    if country is None:
        return set()
    import holidays

    years = range(series.index.min().year, series.index.max().year + 1)
    try:
        found = holidays.country_holidays(country, subdiv=subdivision, years=years)
    except NotImplementedError as exc:
        raise click.BadParameter(str(exc), param_hint="'--country'") from exc
    return set(found.keys())


def _interval_series(path: Path, queue: str | None, timezone: str) -> pd.Series:
    """Offered calls by interval from a file the one reader reads (CSV of any separator and encoding, or XLSX),
    naive starts in `timezone`; every bad row named at once, with each of its problems."""
    from ops.config import get_settings
    from ops.tabular import TableError, open_table, parse_number

    starts: list[pd.Timestamp] = []
    counts: list[float] = []
    problems: list[str] = []
    try:
        with open_table(path, max_rows=get_settings().import_max_rows) as table:
            missing = sorted({"interval_start", "offered"} - set(table.columns))
            if missing:
                raise click.BadParameter(f"{path.name} lacks columns {missing}", param_hint="'--series'")
            by_queue = queue is not None and "queue" in table.columns
            for row in table:
                if row.problem is not None:
                    problems.append(f"line {row.line}: {row.problem}")
                    continue
                if by_queue and str(row.values.get("queue", "")).strip() != queue:
                    continue
                bad: list[str] = []
                raw_start, raw_offered = row.values.get("interval_start"), row.values.get("offered")
                try:
                    stamp = pd.Timestamp(str(raw_start).strip())
                    stamp = stamp.tz_localize(timezone) if stamp.tzinfo is None else stamp.tz_convert(timezone)
                except (ValueError, TypeError, OverflowError):
                    bad.append(f"interval_start: {raw_start!r} is not an ISO 8601 date and time in {timezone}")
                try:
                    offered = float(parse_number(str(raw_offered), "en"))
                except ValueError:
                    bad.append(f"offered: {raw_offered!r} is not a number")
                if bad:
                    problems.append(f"line {row.line}: {'; '.join(bad)}")
                    continue
                starts.append(stamp)
                counts.append(offered)
    except TableError as error:
        raise click.BadParameter(str(error), param_hint="'--series'") from None
    if problems:
        raise click.BadParameter(f"{path.name}: " + "; ".join(problems), param_hint="'--series'")
    series = pd.Series(counts, index=pd.DatetimeIndex(starts, name="interval_start"), dtype=float)
    series = series.groupby(level=0).sum().astype(float)
    series.index.name = "interval_start"
    return series


async def _queue_series(contract_code: str, queue_code: str) -> tuple[pd.Series, set[date]]:
    from ops.calendars import Calendar
    from ops.contracts.services import get_contract
    from ops.errors import NotFoundError
    from ops.staffing.history.services import load_history, queue_zone

    async with session_scope() as session:
        contract = await get_contract(session, code=contract_code, principal=None)
        queue = next((q for q in contract.queues if q.code == queue_code), None)
        if queue is None:
            raise NotFoundError(f"no queue {queue_code!r} in contract {contract_code!r}")
        history = await load_history(session, queue_id=queue.id)
        tz = queue_zone(queue, contract)
        calendar = Calendar.from_dict(queue.calendar)
    series = history["offered"].astype(float)
    series.index = pd.DatetimeIndex(series.index).tz_convert(tz)
    if series.empty:
        return series, set()
    first, last = series.index.min().date(), series.index.max().date()
    days = pd.date_range(first, last, freq="D").date
    return series, {d for d in days if calendar.is_holiday(d)}


@click.command("backtest")
@click.option("--contract", "contract_code", default=None, help="Contract whose queue history to backtest.")
@click.option("--queue", "queue_code", default=None, help="Queue code (with --contract, or to filter --series).")
@click.option("--series", "series_file", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None)
@click.option("--series-format", type=click.Choice(SERIES_FORMATS), default="intervals", show_default=True)
@click.option("--timezone", default=None, help="Zone of the series' times (files only).")
@click.option("--country", default=None, help="Holidays of this country (files only), e.g. BR, IL, US.")
@click.option("--subdivision", default=None, help="State or province for --country.")
@click.option("--weeks", type=click.IntRange(1, 104), default=8, show_default=True, help="Rolling origins.")
@click.option("--json", "as_json", is_flag=True, help="Print the table as JSON.")
@domain_errors
def backtest(
    contract_code: str | None,
    queue_code: str | None,
    series_file: Path | None,
    series_format: str,
    timezone: str | None,
    country: str | None,
    subdivision: str | None,
    weeks: int,
    as_json: bool,
) -> None:
    """WAPE and bias of the forecast against seasonal naive and the five-week median over rolling weeks.

    From a queue's stored history (--contract and --queue) or a file (--series): an interval table
    with interval_start and offered, or one of the real series' raw formats.
    """
    from ops.staffing.forecast.backtest import load_anonymous_bank_6min, load_us_bank_5min, run_backtest

    if (series_file is None) == (contract_code is None):
        fail("give either --contract with --queue, or --series FILE")
    if timezone is not None:
        from ops.staffing.history.intervals import zone as parse_zone

        try:
            parse_zone(timezone)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="'--timezone'") from exc
    if series_file is not None:
        try:
            if series_format == "anonymous-bank-6min":
                series = load_anonymous_bank_6min(series_file, tz=timezone or "Asia/Jerusalem")
            elif series_format == "us-bank-5min":
                series = load_us_bank_5min(series_file, tz=timezone or "America/New_York")
            else:
                series = _interval_series(series_file, queue_code, timezone or "UTC")
        except UnicodeDecodeError as exc:
            fail(f"{series_file.name}: not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset {exc.start})")
        except (pd.errors.EmptyDataError, pd.errors.ParserError) as exc:
            fail(f"{series_file.name}: cannot read it as --format {series_format}: {str(exc).strip().splitlines()[0]}")
        holidays = _holidays_of(country, subdivision, series)
    else:
        if queue_code is None:
            fail("--contract needs --queue")
        assert contract_code is not None
        assert queue_code is not None
        series, holidays = run(_queue_series(contract_code, queue_code))
    if series.empty:
        fail("the series is empty: nothing to backtest")
    observed_weeks = (series.index.max() - series.index.min()).days // 7
    if observed_weeks < weeks + 1:
        fail(f"the series spans {observed_weeks} weeks: too short for {weeks} rolling weeks (use --weeks)")
    table = run_backtest(series, holidays=holidays, weeks=weeks)
    if as_json:
        echo_json(table.to_dict("records"))
        return
    click.echo(f"{weeks} rolling one-week origins, {len(series)} intervals, {len(holidays)} holidays known")
    click.echo(f"  {'method':<18}  {'WAPE':>7}  {'bias':>7}  {'vs naive':>9}  {'vs median':>9}")
    for row in table.to_dict("records"):
        naive = 100 * row.get("vs_seasonal_naive", float("nan"))
        median = 100 * row.get("vs_five_week_median", float("nan"))
        click.echo(
            f"  {row['method']:<18}  {100 * row['wape']:>6.1f}%  {100 * row['bias']:>+6.1f}%  "
            f"{naive:>+8.1f}%  {median:>+8.1f}%"
        )
