"""The operations managers' staffing page: forecast against actual, required / base / planned, plan, what-if, the
week confirmed as executed and the month's on-call shifts (their forms post here and come back to the page)."""

from __future__ import annotations

import functools
from datetime import date, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from litestar import Request, Response, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from ops import bounds
from ops.auth import Principal, requires
from ops.contracts.services import get_contract, list_contracts
from ops.db import utcnow
from ops.errors import ConflictError, DomainError, InvalidInputError, Said
from ops.l10n import N_, Formats, gettext
from ops.staffing.planning import execution, oncall_requests, services
from ops.staffing.planning.controllers import plan_out
from ops.staffing.planning.schemas import ShiftIn
from ops.web.actions import attempt
from ops.web.i18n import locale_tag, pick_language, told, translate
from ops.web.render import page
from ops.web.staffing_view import beside_forecast, plan_json, timed

Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]

PHRASES: dict[str, str] = {
    "st_title": N_("Staffing and reinforcement"),
    "st_contract": N_("Contract"),
    "st_week": N_("Week starting"),
    "st_show": N_("Show"),
    "st_prev_week": N_("Previous week"),
    "st_next_week": N_("Next week"),
    "st_no_contract": N_("No contract loaded."),
    "st_forecast_vs_actual": N_("Forecast against actual (offered calls)"),
    "st_forecast": N_("forecast"),
    "st_actual": N_("actual"),
    "st_no_history": N_("No interval history before this week: import statistics first (ops import intervals)."),
    "st_staffing_chart": N_("Required against base against planned positions per interval"),
    "st_required": N_("required"),
    "st_base": N_("base"),
    "st_reinforcement": N_("reinforcement"),
    "st_uncovered": N_("uncovered"),
    "st_predicted_sl": N_("predicted SL"),
    "st_plan": N_("Reinforcement plan"),
    "st_saved_plan": N_("saved plan"),
    "st_whatif_plan": N_("what-if (not saved)"),
    "st_no_plan": N_("No saved plan for this week yet."),
    "st_compute": N_("Compute and save the plan"),
    "st_oncall": N_("Allow on-call shifts"),
    "st_computing": N_("Computing…"),
    "st_failed": N_("The computation failed"),
    "st_cost": N_("Cost"),
    "st_cost_taxes": N_("with taxes"),
    "st_lp_bound": N_("LP bound (cost + penalty)"),
    "st_gap": N_("Gap to optimum"),
    "st_status": N_("Status"),
    "st_uncovered_intervals": N_("Uncovered intervals"),
    "st_day": N_("Day"),
    "st_start": N_("Start"),
    "st_end": N_("End"),
    "st_length": N_("Hours"),
    "st_kind": N_("Kind"),
    "st_count": N_("Count"),
    "st_no_shifts": N_("No reinforcement needed."),
    "st_whatif": N_("What if…"),
    "st_volume": N_("Volume (%)"),
    "st_aht": N_("AHT (%)"),
    "st_target": N_("SL target (%, empty = contract)"),
    "st_target_help": N_("In percent: 85 for 85 % of calls answered within the contract's time."),
    "st_recompute": N_("Recompute"),
    "st_sl_before_after": N_("Predicted SL: base only → with plan"),
    "st_interval": N_("Interval"),
    "st_intervals_table": N_("Intervals with a requirement"),
    "st_offered": N_("Offered"),
    "st_planned": N_("Planned"),
    "st_skipped": N_("Queues left out of the plan"),
    "st_step_queued": N_("queued"),
    "st_step_forecast": N_("forecast"),
    "st_step_requirement": N_("requirement"),
    "st_step_solving": N_("solving"),
    "st_step_service_level": N_("service level"),
    "st_status_optimal": N_("optimal"),
    "st_status_time_limit": N_("time limit"),
    "st_kind_reinforcement": N_("reinforcement"),
    "st_kind_oncall": N_("on-call"),
    "st_oncall_title": N_("On-call shifts of the month"),
    "st_oncall_add": N_("Record an on-call shift"),
    "st_specialists": N_("Specialists"),
    "st_note": N_("Note"),
    "st_billed_hours": N_("Billable hours per specialist"),
    "st_ended": N_("Ended at"),
    "st_end_early": N_("End early"),
    "st_no_oncall": N_("No on-call shift this month."),
    "st_execution": N_("Week executed"),
    "st_confirmed": N_("Confirmed as executed"),
    "st_by": N_("by"),
    "st_not_confirmed": N_("Week not confirmed yet: tick the shifts that were not worked, then confirm."),
    "st_not_worked": N_("Not worked"),
    "st_add_shift": N_("A shift worked beyond the plan (optional)"),
    "st_agents": N_("Agents"),
    "st_confirm": N_("Confirm the week as executed"),
    "st_origin": N_("Origin"),
    "st_origin_plan": N_("plan"),
    "st_origin_added": N_("added"),
    "st_oncall_in_plan": N_("The plan's on-call shifts are billed only when recorded below."),
    "st_accuracy": N_("Forecast accuracy of the last weeks"),
    "st_accuracy_help": N_(
        "Each week forecast from the history before it. WAPE: the absolute errors over the contacts offered; "
        "bias: positive when the forecast ran high."
    ),
    "st_weeks": N_("Weeks"),
    "st_period": N_("Period"),
    "st_wape": N_("WAPE"),
    "st_bias": N_("Bias"),
    "st_accuracy_none": N_("Not enough history: accuracy needs two weeks of it."),
    "st_workload": N_("Back-office queues: staffed by workload"),
    "st_workload_help": N_(
        "Tickets forecast times their handle time, spread up to their due date in business hours: the positions "
        "that finish every ticket on time."
    ),
    "st_tickets": N_("Tickets forecast"),
    "st_handle": N_("Handle time (min)"),
    "st_due": N_("Due within (business hours)"),
    "st_peak": N_("Peak positions"),
    "st_base_positions": N_("Base positions"),
    "st_position_hours": N_("Position-hours"),
    "st_short": N_("Intervals short of the base"),
    "st_no_workload": N_("No back-office queue can be sized this week."),
    "st_unplanned": N_("Queues not planned, and why"),
    "st_why_no_arrivals": N_(
        "{queue} makes outbound calls: no contacts arrive to forecast, so its positions follow its call campaigns "
        "and are not planned here."
    ),
    "st_why_no_history_voice": N_(
        "{queue} has no call statistics before this week: import them (ops import intervals) to plan it."
    ),
    "st_why_no_history_tickets": N_(
        "{queue} received no tickets in the weeks before this one: with no arrivals to forecast, its workload "
        "cannot be sized."
    ),
    "st_why_no_handle_time": N_(
        "{queue} has no handle time in the contract (routing.handle_minutes): its workload cannot be sized."
    ),
    "st_why_no_due_date": N_(
        "{queue} has no resolution target in the contract (sla.tickets): without due dates its work cannot be "
        "spread over the week."
    ),
}

MANAGERS = requires("manager")


@functools.cache
def _plotly_js() -> bytes:
    import plotly.offline

    text: str = plotly.offline.get_plotlyjs()
    return text.encode()


@get("/vendor/plotly.min.js", operation_id="PlotlyJs", exclude_from_auth=True, include_in_schema=False)
async def plotly_js() -> Response[bytes]:
    """plotly.js from the installed plotly package: the pages work with no internet access."""
    return Response(
        _plotly_js(),
        media_type="application/javascript",
        headers={"Cache-Control": "public, max-age=86400"},
    )


def _labels(lang: str) -> dict[str, str]:
    return {key.removeprefix("st_"): translate(key, lang) for key in PHRASES}


@get("/staffing", operation_id="StaffingPage", guards=[MANAGERS], include_in_schema=False)
async def staffing_page(
    request: Request[Principal, str, State],
    db_session: NamedDependency[AsyncSession],
    contract: FromQuery[str | None] = None,
    week: FromQuery[str | None] = None,
) -> Template:
    """The week shown: `week` is any day of it (YYYY-MM-DD); read here, so that a wrong one (2026-02-30) is said
    on the page in the reader's words, next week shown, rather than in the framework's English."""
    if not week:
        return await _render(request, db_session, contract, None)
    try:
        day = date.fromisoformat(week)
    except ValueError:
        problem: str | None = f"{week!r} is not a date YYYY-MM-DD"
    else:
        if (problem := bounds.date_problem(day)) is None:  # 9999-12-27 was a 500
            return await _render(request, db_session, contract, day)
    said = Said(N_("Give a day of the week to show (YYYY-MM-DD), within the accepted dates."))
    error = InvalidInputError(said, extra=[{"field": "week", "problem": problem}])
    return await _render(request, db_session, contract, None, error=error)


async def _render(
    request: Request[Principal, str, State],
    db_session: AsyncSession,
    contract: str | None,
    week: date | None,
    *,
    error: DomainError | None = None,
    form: dict[str, str] | None = None,
) -> Template:
    contracts = await list_contracts(db_session, principal=request.user)
    codes = [c.code for c in contracts]
    problems = error.extra if error is not None and isinstance(error.extra, list) else []
    context: dict[str, Any] = {
        "contracts": codes,
        "contract": None,
        "week": None,
        "data": None,
        "error": None,
        "error_detail": None,
        "problems": problems,
        "form": form or {},
    }
    if error is not None:
        context["error"], context["error_detail"] = _said(
            error, pick_language(dict(request.cookies), request.headers.get("accept-language"))
        )
    if not codes:
        return _status(page(request, "staffing.html", **context), error)
    code = contract or codes[0]  # a contract named but not the reader's is a 404, not another one shown
    shown = await get_contract(db_session, code=code, principal=request.user)  # with its queues
    zone = ZoneInfo(shown.timezone)
    # By default the week a planner plans: the next one on the contract's clock. A day picked in the date field
    # stands for its week, since plans and their API take Mondays only.
    week = services.next_week(utcnow(), shown.timezone) if week is None else services.week_of(week)
    forecast: dict[str, Any] | None = None
    try:
        forecast = await services.forecast_week(db_session, contract_code=code, week=week, principal=request.user)
    except DomainError:
        forecast = None
    plan = None
    try:
        row = await services.get_plan(db_session, contract_code=code, week=week, principal=request.user)
        plan = plan_out(code, row)
    except DomainError:
        plan = None
    lang = pick_language(dict(request.cookies), request.headers.get("accept-language"))
    month = week.replace(day=1)
    try:
        oncall = await oncall_requests.list_oncall(
            db_session,
            contract_code=code,
            start=month,
            end=(month + timedelta(days=32)).replace(day=1),
            principal=request.user,
        )
    except DomainError:  # a contract without on-call prices has none
        oncall = []
    try:
        executed: execution.Execution | None = await execution.get_execution(
            db_session, contract_code=code, week=week, principal=request.user
        )
    except DomainError:
        executed = None
    if request.method != "GET":  # a form shown again: the language switch goes back to the page's own address
        context["request_path"] = "/staffing?" + urlencode({"contract": code, "week": week.isoformat()})
    context.update(
        contract=code,
        week=week,
        zone=zone,
        month=month,
        oncall=oncall,
        executed=executed,
        plan_shifts=timed((plan.result or {}).get("shifts", []) if plan is not None and plan.result else []),
        queues=[q.code for q in shown.queues],
        contract_targets=sorted(
            {
                float((q.sla or {}).get("voice", {}).get("target", 0.8))
                for q in shown.queues
                if q.channel == "inbound_voice"
            }
        ),
        **beside_forecast(forecast, shown.queues, lang),
        prev_week=week - timedelta(days=7),
        next_week=week + timedelta(days=7),
        data={
            "contract": code,
            "week": week.isoformat(),
            "forecast": forecast,
            "plan": None if plan is None else plan_json(plan),
            "labels": _labels(lang),
            "queue_names": {q.code: q.name for q in shown.queues},  # a chart's legend names a queue, not its code
            # The charts' days named by Babel in the reader's language (plotly alone writes English month names).
            "days": [
                {"x": f"{day.isoformat()} 00:00", "label": Formats(locale_tag(lang)).weekday(day)}
                for day in (week + timedelta(days=i) for i in range(7))
            ],
            "locale": locale_tag(lang),  # the script's numbers and money by the browser's Intl in this locale
            "separators": Formats(locale_tag(lang)).separators(),  # and the charts' (Plotly's decimal, group)
        },
    )
    return _status(page(request, "staffing.html", **context), error)


# A refused form's field -> what the manager reads (the service's own words stay below it, in English).
_FIELD_SAID: dict[str, str] = {
    "contract": N_("Choose a contract that bills on-call shifts."),
    "start": N_("Give the start as a date and time within the accepted dates."),
    "end": N_("Give the end as a date and time after the start; a shift lasts at most 14 days."),
    "specialists": N_("Specialists: a whole number from 1 to 50."),
    "at": N_("Give when the shift ended: after its start, not after its scheduled end."),
    "week": N_("Give the Monday of a week that has started, within the accepted dates."),
    "skip": N_("A shift ticked as not worked is not one of the saved plan's."),
    "add": N_("This week has no saved plan: add the shift that was worked."),
    "add_start": N_("Give the added shift's start as a date and time."),
    "add_end": N_("Give the added shift's end as a date and time."),
    "add_agents": N_("Agents: a whole number of at least 1."),
    "add[0].queue": N_("Choose one of the contract's queues."),
    "add[0].start": N_("The added shift starts inside the week shown."),
    "add[0].end": N_("The added shift ends after its start, at most 24 hours later."),
    "add[0].agents": N_("Agents: a whole number of at least 1."),
}


def _said(error: DomainError, lang: str) -> tuple[str, str | None]:
    """A refusal as the page heads it, in the reader's language, and the service's English below it (or None)."""
    problems = error.extra if isinstance(error.extra, list) else []
    field = next((p.get("field") for p in problems if isinstance(p, dict)), None)
    _ = gettext(locale_tag(lang))
    if error.said is not None:  # said in the catalogue's words already
        return told(error, lang), None
    if isinstance(error, ConflictError):
        if field == "at":
            return _("This on-call shift has already ended."), error.message
        if field == "week":
            return _("This week was already confirmed as executed."), error.message
        return _("Changed in the meantime: check the page and try again."), error.message
    if isinstance(field, str) and field in _FIELD_SAID:
        return _(_FIELD_SAID[field]), error.message
    return told(error, lang), None


def _status(response: Template, error: DomainError | None) -> Template:
    if error is not None:
        response.status_code = error.status_code
    return response


# --- the page's forms ---------------------------------------------------------------------------------


def _week(value: str | None) -> tuple[date | None, str | None]:
    """A day typed in the week field, or None and why not (not a date, or outside the input window: 0001-01-01)."""
    try:
        day = date.fromisoformat(value or "")
    except ValueError:
        return None, f"{value!r} is not a date YYYY-MM-DD"
    problem = bounds.date_problem(day)
    return (day, None) if problem is None else (None, problem)


def _back(code: str, week: date | None, anchor: str) -> Redirect:
    query = urlencode({"contract": code, **({"week": week.isoformat()} if week else {})})
    return Redirect(f"/staffing?{query}#{anchor}", status_code=303)


def _time(data: dict[str, str], field: str, zone: ZoneInfo, *, required: bool = True) -> datetime | None:
    """A datetime-local field (the contract's wall clock), or a 422 naming it."""
    text = (data.get(field) or "").strip()
    if not text and not required:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise oncall_requests.refuse(field, f"{text!r} is not a date and time") from None
    return oncall_requests.in_zone(value, zone)


def _whole(data: dict[str, str], field: str, default: int) -> int:
    text = (data.get(field) or "").strip()
    try:
        return int(text) if text else default
    except ValueError:
        raise oncall_requests.refuse(field, f"{text!r} is not a whole number") from None


async def _zone(session: AsyncSession, code: str, principal: Principal) -> ZoneInfo:
    if not code:
        raise InvalidInputError("contract: choose a contract", extra=[{"field": "contract", "problem": "missing"}])
    return await oncall_requests.contract_zone(session, contract_code=code, principal=principal)


@post("/staffing/oncall", operation_id="StaffingAddOnCall", guards=[MANAGERS], include_in_schema=False, status_code=303)
async def staffing_add_oncall(
    request: Request[Principal, str, State], db_session: NamedDependency[AsyncSession], data: Form
) -> Response[Any]:
    """Record an on-call shift from the page's form (local times of the contract)."""
    code, (week, _) = data.get("contract", ""), _week(data.get("week_of"))
    try:
        zone = await _zone(db_session, code, request.user)
        start, end = _time(data, "start", zone), _time(data, "end", zone)
        assert start is not None and end is not None
        await attempt(
            db_session,
            oncall_requests.add_oncall(
                db_session,
                contract_code=code,
                start=start,
                end=end,
                specialists=_whole(data, "specialists", 1),
                note=data.get("note"),
                actor=f"token:{request.user.name}",
                principal=request.user,
            ),
        )
    except DomainError as exc:
        return await _render(request, db_session, code, week, error=exc, form=data)
    return _back(code, week, "oncall")


@post(
    "/staffing/oncall/{id:int}/end",
    operation_id="StaffingEndOnCall",
    guards=[MANAGERS],
    include_in_schema=False,
    status_code=303,
)
async def staffing_end_oncall(
    request: Request[Principal, str, State],
    db_session: NamedDependency[AsyncSession],
    id: FromPath[int],
    data: Form,
) -> Response[Any]:
    """End an on-call shift early from the page."""
    code, (week, _) = data.get("contract", ""), _week(data.get("week_of"))
    try:
        zone = await _zone(db_session, code, request.user)
        at = _time(data, "at", zone)
        assert at is not None
        await attempt(
            db_session,
            oncall_requests.end_oncall(
                db_session,
                shift_id=id,
                at=at,
                actor=f"token:{request.user.name}",
                contract_code=code,
                principal=request.user,
            ),
        )
    except DomainError as exc:
        return await _render(request, db_session, code, week, error=exc, form=data)
    return _back(code, week, "oncall")


@post(
    "/staffing/execution",
    operation_id="StaffingConfirmWeek",
    guards=[MANAGERS],
    include_in_schema=False,
    status_code=303,
)
async def staffing_confirm_week(
    request: Request[Principal, str, State], db_session: NamedDependency[AsyncSession], data: Form
) -> Response[Any]:
    """Confirm the shown week as executed: the plan's shifts but the ticked ones, plus at most one added."""
    code, (week, problem) = data.get("contract", ""), _week(data.get("week_of"))
    try:
        zone = await _zone(db_session, code, request.user)
        if week is None:
            raise oncall_requests.refuse("week", problem or "missing")
        skip = sorted(int(k.removeprefix("skip_")) for k in data if k.startswith("skip_") and k[5:].isdigit())
        add = []
        if (data.get("add_queue") or "").strip():
            start, end = _time(data, "add_start", zone), _time(data, "add_end", zone)
            assert start is not None and end is not None
            add.append(ShiftIn(data["add_queue"].strip(), start, end, _whole(data, "add_agents", 1)))
        await attempt(
            db_session,
            execution.confirm_week(
                db_session,
                contract_code=code,
                week=week,
                skip=skip,
                add=add,
                actor=f"token:{request.user.name}",
                principal=request.user,
            ),
        )
    except DomainError as exc:
        return await _render(request, db_session, code, week, error=exc, form=data)
    return _back(code, week, "execution")


ROUTES: list[Any] = [staffing_page, plotly_js, staffing_add_oncall, staffing_end_oncall, staffing_confirm_week]
