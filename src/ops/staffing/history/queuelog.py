"""Asterisk's queue_log read by DuckDB: each visit of a call to a queue, from its events, as one call record."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from ops.staffing.history.counting import CallRelation, outside_window, quote, shown

# epoch|callid|queuename|agent|event|data1|data2|data3|data4|data5 (fields past data5 are not read).
_FIELDS = ("epoch", "callid", "queuename", "agent", "event", "data1", "data2", "data3", "data4", "data5")
# What each call event says, and in which field: (event, field, meaning).
_SECONDS = (
    ("CONNECT", "data1", "holdtime"),
    ("COMPLETEAGENT", "data1", "holdtime"),
    ("COMPLETEAGENT", "data2", "calltime"),
    ("COMPLETECALLER", "data1", "holdtime"),
    ("COMPLETECALLER", "data2", "calltime"),
    ("TRANSFER", "data4", "calltime"),
    ("BLINDTRANSFER", "data4", "calltime"),
    ("ATTENDEDTRANSFER", "data4", "calltime"),
    ("ABANDON", "data3", "waittime"),
    ("EXITWITHTIMEOUT", "data3", "waittime"),
    ("EXITEMPTY", "data3", "waittime"),
    ("EXITWITHKEY", "data4", "waittime"),
)
# A visit ends answered (after CONNECT) or unanswered: the caller hung up (ABANDON), the queue's
# timeout sent them on (EXITWITHTIMEOUT), no agent was logged in (EXITEMPTY) or they pressed a key
# to leave (EXITWITHKEY). Each of those was offered to the queue and not answered: abandoned.
_UNANSWERED = ("ABANDON", "EXITWITHTIMEOUT", "EXITEMPTY", "EXITWITHKEY")
_ENDS_TALK = ("COMPLETEAGENT", "COMPLETECALLER", "TRANSFER", "BLINDTRANSFER", "ATTENDEDTRANSFER")
_EVENTS = ("ENTERQUEUE", "CONNECT", *_ENDS_TALK, *_UNANSWERED)


def _names(values: tuple[str, ...]) -> str:
    return ", ".join(quote(v) for v in values)


def _whole(expr: str) -> str:
    return rf"CASE WHEN regexp_full_match(trim({expr}), '\d{{1,12}}') THEN CAST(trim({expr}) AS BIGINT) END"


def asterisk_queue_log(path: Path, *, queue: str | None, queue_map: Mapping[str, str] | None = None) -> CallRelation:
    """The queue_log as calls in UTC instants: of `queue` (every queue of the log), or of the contract
    queue `queue_map` gives each queue name (names it does not map are not counted).

    A visit starts at ENTERQUEUE (its time places the call in an interval) and lasts until the next
    ENTERQUEUE of the same call id in the same queue. Answered: it has a CONNECT; wait = CONNECT's
    holdtime, handle = calltime of COMPLETEAGENT / COMPLETECALLER (or of the TRANSFER that ended the
    talk; 0 if the log ends mid-call). Abandoned: it ended in ABANDON, EXITWITHTIMEOUT, EXITEMPTY or
    EXITWITHKEY, wait = their waittime. Unfinished (not counted, reported): no ENTERQUEUE in the
    log, or no end yet. Other events (RINGNOANSWER, agent and queue events) are not read.
    """
    columns = ", ".join(f"'{name}': 'VARCHAR'" for name in _FIELDS)
    source = (
        f"read_csv({quote(str(path))}, auto_detect = false, header = false, delim = '|', quote = '', "
        f"escape = '', null_padding = true, strict_mode = false, columns = {{{columns}}})"
    )
    numbered = f"(SELECT row_number() OVER () AS row_no, * FROM {source})"
    if queue_map is not None:
        cases = " ".join(f"WHEN {quote(name)} THEN {quote(code)}" for name, code in queue_map.items())
        target = f"CASE queuename {cases} END" if cases else "CAST(NULL AS VARCHAR)"
    else:
        target = quote(queue or "")
    checks = " ".join(
        f"WHEN event = {quote(event)} AND {_whole(field)} IS NULL "
        f"THEN '{event} {field} ({meaning}) ' || {shown(field)} || ' is not a whole number of seconds'"
        for event, field, meaning in _SECONDS
    )
    problem = (
        f"CASE WHEN {_whole('epoch')} IS NULL THEN 'epoch ' || {shown('epoch')} || ' is not a UNIX time' "
        + outside_window(f"{_whole('epoch')} * 1000000", "epoch")
        + f"WHEN callid IS NULL OR queuename IS NULL THEN 'a call event without its call id or queue' {checks} END"
    )
    events = f"SELECT *, {problem} AS problem FROM __ROWS__ WHERE trim(event) IN ({_names(_EVENTS)})"
    good_rows = events.replace("__ROWS__", source)
    numbered_rows = events.replace("__ROWS__", numbered)
    seconds = {(e, f): _whole(f) for e, f, _ in _SECONDS}
    hold = f"CASE WHEN event = 'CONNECT' THEN {seconds['CONNECT', 'data1']} END"
    talk = "CASE " + " ".join(
        f"WHEN event = {quote(e)} THEN {seconds[e, f]}" for e, f, m in _SECONDS if m == "calltime"
    )
    waited = "CASE " + " ".join(
        f"WHEN event = {quote(e)} THEN {seconds[e, f]}" for e, f, m in _SECONDS if m == "waittime"
    )
    rank = "CASE event WHEN 'ENTERQUEUE' THEN 0 WHEN 'CONNECT' THEN 1 ELSE 2 END"
    visits = f"""
WITH ev AS (SELECT trim(event) AS event, callid, queuename, {_whole("epoch")} AS at_s, {hold} AS hold,
                   {talk} END AS talk, {waited} END AS waited, problem
            FROM ({good_rows}) WHERE problem IS NULL)
, numbered AS (SELECT *, sum(CASE WHEN event = 'ENTERQUEUE' THEN 1 ELSE 0 END)
                    OVER (PARTITION BY callid, queuename ORDER BY at_s, {rank} ROWS UNBOUNDED PRECEDING) AS visit
               FROM ev)
, visits AS (SELECT queuename, min(at_s) FILTER (event = 'ENTERQUEUE') AS entered, min(at_s) AS first_at,
                    bool_or(event = 'CONNECT') AS connected, max(hold) AS hold, max(talk) AS talk,
                    bool_or(event IN ({_names(_UNANSWERED)})) AS unanswered, max(waited) AS waited, visit
             FROM numbered GROUP BY callid, queuename, visit)
SELECT {target} AS queue, coalesce(entered, first_at) * 1000000 AS t,
       CASE WHEN visit = 0 OR entered IS NULL THEN 4 WHEN connected THEN 0 WHEN unanswered THEN 1 ELSE 4 END
           AS outcome,
       CAST(CASE WHEN connected THEN hold ELSE coalesce(waited, 0) END AS DOUBLE) AS wait,
       CAST(coalesce(talk, 0) AS DOUBLE) AS handle, FALSE AS bad
FROM visits
UNION ALL
SELECT NULL, NULL, NULL, NULL, NULL, TRUE FROM ({good_rows}) WHERE problem IS NOT NULL
"""
    return CallRelation(
        sql=visits,
        locate=f"SELECT row_no, problem FROM ({numbered_rows}) WHERE problem IS NOT NULL",
        instants=True,
    )
