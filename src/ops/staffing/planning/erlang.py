"""Erlang C and Erlang A (M/M/n+M) queue measures and required agents, vectorised and exact where it counts.

Units: ``calls`` arrive per interval of ``interval_seconds``; ``aht``, ``answer_within`` (T) and
``patience`` (mean time a caller waits before hanging up) are in seconds. The offered load in
Erlangs is ``calls * aht / interval_seconds``.

Why "exact": integer decisions (agents that meet a maximum occupancy, ``ceil(agents / (1 - s))``)
are taken on rationals built from the decimal the user wrote. Floating point turns
``48 * 180 / 1800 / 0.8`` (exactly 6) into 6.000000000000001 and ``21 / (1 - 0.3)`` (exactly 30)
into 30.000000000000004, and ``ceil`` then adds an agent or a position nobody needs. The vectorised
path works on float arrays and takes those decisions with a relative tolerance of 1e-12 instead.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

import numpy as np
import numpy.typing as npt
from scipy.special import expit, gammainc, gammaincc, gammaln

Number = int | float | Decimal | Fraction
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

_REL_TOL = 1e-12
# Below this gammainc loses its digits to underflow; the series is then short and exact.
_TINY_P = 1e-250


class ErlangInputError(ValueError):
    """A bad argument; ``argument`` is the parameter's name (``calls``, ``shrinkage``, ...)."""

    def __init__(self, argument: str, message: str) -> None:
        super().__init__(f"{argument}: {message}")
        self.argument = argument
        self.message = message


class ErlangUnreachableError(ErlangInputError):
    """No agent count up to a generous cap meets the targets."""


@dataclass(frozen=True)
class Metrics:
    """Per-interval measures. ``service_level`` is answered within T out of all arrivals."""

    service_level: FloatArray
    p_wait: FloatArray
    asa: FloatArray  # mean wait of answered calls, seconds (inf when Erlang C is unstable)
    occupancy: FloatArray
    p_abandon: FloatArray | None  # None for Erlang C, which has no abandonment


@dataclass(frozen=True)
class Staffing:
    """One interval's staffing: agents on the phones, scheduled positions and what they achieve."""

    agents: int
    scheduled: int
    service_level: float
    p_wait: float
    asa: float
    occupancy: float
    p_abandon: float | None


# --- exact arithmetic -------------------------------------------------------------------------


def as_fraction(value: Number, argument: str = "value") -> Fraction:
    """The rational a user meant: a float is read as the shortest decimal that prints it (0.3 -> 3/10)."""
    if isinstance(value, bool):
        raise ErlangInputError(argument, "must be a number")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ErlangInputError(argument, f"must be a finite number, got {value}")
        return Fraction(repr(float(value)))
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ErlangInputError(argument, f"must be a finite number, got {value}")
        return Fraction(value)
    return Fraction(value)


def _shrinkage(shrinkage: Number) -> Fraction:
    s = as_fraction(shrinkage, "shrinkage")
    if not 0 <= s < 1:
        raise ErlangInputError("shrinkage", f"must be in [0, 1), got {shrinkage}")
    return s


def scheduled_positions(agents: int, shrinkage: Number = 0) -> int:
    """Positions to schedule so ``agents`` remain after shrinkage: ``ceil(agents / (1 - s))``, exactly."""
    if agents < 0:
        raise ErlangInputError("agents", f"must be >= 0, got {agents}")
    return math.ceil(Fraction(int(agents)) / (1 - _shrinkage(shrinkage)))


def scheduled_positions_array(agents: npt.ArrayLike, shrinkage: Number = 0) -> IntArray:
    """``scheduled_positions`` over an array of agent counts (exact, one rational per distinct count)."""
    values = np.asarray(agents, dtype=np.int64)
    if values.size and values.min() < 0:
        raise ErlangInputError("agents", "must be >= 0")
    s = _shrinkage(shrinkage)
    distinct, inverse = np.unique(values, return_inverse=True)
    table = np.array([math.ceil(Fraction(int(a)) / (1 - s)) for a in distinct], dtype=np.int64)
    return table[inverse].reshape(values.shape)


# --- validation -------------------------------------------------------------------------------


def _floats(value: npt.ArrayLike | Number, argument: str) -> FloatArray:
    if isinstance(value, Decimal | Fraction):
        value = float(value)
    arr = np.asarray(value, dtype=np.float64)
    if not np.all(np.isfinite(arr)):
        raise ErlangInputError(argument, "must be finite")
    return arr


def _check(ok: bool | np.bool_, argument: str, message: str) -> None:
    if not ok:
        raise ErlangInputError(argument, message)


def _check_inputs(calls: FloatArray, interval: FloatArray, aht: FloatArray, answer_within: FloatArray) -> None:
    _check(np.all(calls >= 0), "calls", "must be >= 0 (a volume cannot be negative)")
    _check(np.all(interval > 0), "interval_seconds", "must be > 0")
    _check(np.all(aht > 0), "aht", "must be > 0 seconds")
    _check(np.all(answer_within >= 0), "answer_within", "must be >= 0 seconds")


def _check_patience(patience: FloatArray) -> None:
    _check(np.all(patience > 0), "patience", "must be > 0 seconds (omit it for Erlang C)")


def _check_targets(target: float, max_occupancy: float | None, patience_given: bool, max_abandon: float | None) -> None:
    _check(0 < target < 1, "target", f"must be in (0, 1), got {target}")
    if max_occupancy is not None:
        _check(0 < max_occupancy <= 1, "max_occupancy", f"must be in (0, 1], got {max_occupancy}")
    if max_abandon is not None:
        _check(patience_given, "max_abandon", "needs --patience: Erlang C has no abandonment")
        _check(
            0 < max_abandon <= 1,
            "max_abandon",
            f"must be in (0, 1], got {max_abandon}: with finite patience some callers always hang up",
        )


# --- Erlang B and C ---------------------------------------------------------------------------


def erlang_b(agents: npt.ArrayLike, load: npt.ArrayLike) -> FloatArray:
    """Blocking probability by the recursion B(k) = A B(k-1) / (k + A B(k-1)): no factorials, any size."""
    n, r = np.broadcast_arrays(np.asarray(agents, dtype=np.int64), np.asarray(load, dtype=np.float64))
    b = np.ones(r.shape)
    for k in range(1, int(n.max(initial=0)) + 1):
        rb = r * b
        b = np.where(n >= k, rb / (k + rb), b)
    return b


def _erlang_c_sl(n: FloatArray, r: FloatArray, b: FloatArray, t_over_aht: FloatArray) -> FloatArray:
    """Service level for n > r given Erlang B: 1 - C exp(-(n - r) T / AHT)."""
    c = n * b / (n - r * (1 - b))
    return np.asarray(1 - c * np.exp(-(n - r) * t_over_aht), dtype=np.float64)


def _agents(agents: npt.ArrayLike, calls: FloatArray) -> IntArray:
    n = np.asarray(agents)
    _check(np.all(n == np.round(n)), "agents", "must be whole agents")
    n = n.astype(np.int64)
    _check(np.all(n >= 0), "agents", "must be >= 0")
    _check(np.all((n >= 1) | (calls == 0)), "agents", "must be >= 1 when calls arrive")
    return n


def erlang_c(
    calls: npt.ArrayLike | Number,
    interval_seconds: npt.ArrayLike | Number,
    aht: npt.ArrayLike | Number,
    agents: npt.ArrayLike,
    answer_within: npt.ArrayLike | Number,
) -> Metrics:
    """Erlang C (M/M/n, callers never hang up) measures, broadcast over all arguments.

    With agents <= load the queue grows without bound: service level 0, everyone waits, ASA inf.
    """
    lam, iv, h, t = np.broadcast_arrays(
        _floats(calls, "calls"),
        _floats(interval_seconds, "interval_seconds"),
        _floats(aht, "aht"),
        _floats(answer_within, "answer_within"),
    )
    _check_inputs(lam, iv, h, t)
    n_int = _agents(agents, lam)
    lam, iv, h, t, n_int = np.broadcast_arrays(lam, iv, h, t, n_int)
    r = lam * h / iv
    n = n_int.astype(np.float64)
    b = erlang_b(n_int, r)
    stable = n > r
    with np.errstate(divide="ignore", invalid="ignore"):
        c = np.where(stable, n * b / (n - r * (1 - b)), 1.0)
        sl = np.where(stable, 1 - c * np.exp(-(n - r) * t / h), 0.0)
        asa = np.where(stable, c * h / (n - r), np.inf)
        occ = np.where(stable, r / n, 1.0)
    idle = r == 0
    return Metrics(
        service_level=np.where(idle, 1.0, sl),
        p_wait=np.where(idle, 0.0, c),
        asa=np.where(idle, 0.0, asa),
        occupancy=np.where(idle, 0.0, occ),
        p_abandon=None,
    )


# --- Erlang A ---------------------------------------------------------------------------------
# In units of the patience rate theta: a = n mu / theta, x = lambda / theta. With S the
# Kummer series sum_k x^k / ((a+1)...(a+k)) (the queue seen by a caller who finds every agent
# busy is proportional to its terms) and P the regularised lower incomplete gamma function
# (Garnett, Mandelbaum & Reiman 2002; Mandelbaum & Zeltyn 2004):
#   S = Gamma(a+1) x^-a e^x P(a, x)
#   P(wait)            = E S / (1 + (S - 1) E),   E = Erlang B(n, load)
#   P(answered | wait) = (a / x) (1 - 1/S)
#   P(answered within T | wait) = (a / x) [P(a+1, x) - P(a+1, x e^(-theta T))] / P(a, x)
# The last one integrates the offered-wait density (theta a / S) exp(-theta a t + x (1 - e^(-theta t)))
# against the caller's own survival e^(-theta t). Everything is kept in logarithms because S
# overflows when the queue is overloaded and P underflows when it is lightly loaded.


def _kummer_log(a: FloatArray, x: FloatArray) -> FloatArray:
    """log sum_k x^k / ((a+1)...(a+k)) by its series; used only where x is far below a, so it is short."""
    total = np.ones(a.shape)
    term = np.ones(a.shape)
    k = 0
    active = np.arange(a.size)
    while active.size:
        k += 1
        term[active] *= x[active] / (a[active] + k)
        total[active] += term[active]
        active = active[term[active] > 1e-17 * total[active]]
    return np.asarray(np.log(total), dtype=np.float64)


def _log_p(a: FloatArray, x: FloatArray) -> FloatArray:
    """log P(a, x), the regularised lower incomplete gamma function, without underflow."""
    p = np.asarray(gammainc(a, x), dtype=np.float64)
    small = (p <= _TINY_P) & (x > 0)  # at x = 0, log P is -inf, which is right
    with np.errstate(divide="ignore"):
        out = np.log(p)
    if small.any():
        a_s, x_s = a[small], x[small]
        out[small] = a_s * np.log(x_s) - x_s - gammaln(a_s + 1) + _kummer_log(a_s, x_s)
    return out


def _erlang_a_core(
    n: FloatArray, r: FloatArray, b: FloatArray, aht: FloatArray, t: FloatArray, patience: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    """Service level, P(wait), P(abandon), occupancy and log S for load r > 0 and n >= 1 agents."""
    a = n * patience / aht
    x = r * patience / aht
    log_p_ax = _log_p(a, x)
    log_s = gammaln(a + 1) - a * np.log(x) + x + log_p_ax
    with np.errstate(divide="ignore", over="ignore"):
        p_wait = expit(np.log(b) + log_s - np.log1p(-b))
    answered_if_wait = np.minimum(a / x * -np.expm1(-log_s), 1.0)
    late = np.exp(_log_p(a + 1, x * np.exp(-t / patience)) - log_p_ax)
    within_if_wait = np.clip(a / x * (-np.expm1(-log_s) - late), 0.0, answered_if_wait)
    p_abandon = p_wait * (1 - answered_if_wait)
    sl = 1 - p_wait + p_wait * within_if_wait
    occ = r * (1 - p_abandon) / n
    return sl, p_wait, p_abandon, occ, log_s


def _answered_wait_if_wait(a: FloatArray, x: FloatArray, log_s: FloatArray) -> FloatArray:
    """E[wait; answered | wait] in patience units, summed over the queue length k the caller finds.

    Given k ahead, the caller passes k + 1 exponential stages of rates a + j + 1 (own hang-up
    included) and is answered with probability a / (a + k + 1), after a mean sum_j 1 / (a + j + 1).
    """
    total = np.zeros(a.shape)
    log_t = np.zeros(a.shape)
    harmonic = np.zeros(a.shape)
    log_x = np.log(x)
    mode = x - a
    k = 0
    active = np.arange(a.size)
    while active.size:
        aa = a[active] + k + 1
        harmonic[active] += 1 / aa
        term = np.exp(log_t[active] - log_s[active]) * a[active] / aa * harmonic[active]
        total[active] += term
        log_t[active] += log_x[active] - np.log(aa)
        keep = (k < mode[active]) | (term > 1e-17 * total[active])
        active = active[keep]
        k += 1
    return total


def erlang_a(
    calls: npt.ArrayLike | Number,
    interval_seconds: npt.ArrayLike | Number,
    aht: npt.ArrayLike | Number,
    agents: npt.ArrayLike,
    answer_within: npt.ArrayLike | Number,
    patience: npt.ArrayLike | Number,
) -> Metrics:
    """Erlang A (M/M/n+M, exponential patience) measures, broadcast over all arguments.

    Service level is answered within T out of all arrivals; ASA is the mean wait of answered calls;
    occupancy counts answered work only.
    """
    lam, iv, h, t, pat = np.broadcast_arrays(
        _floats(calls, "calls"),
        _floats(interval_seconds, "interval_seconds"),
        _floats(aht, "aht"),
        _floats(answer_within, "answer_within"),
        _floats(patience, "patience"),
    )
    _check_inputs(lam, iv, h, t)
    _check_patience(pat)
    n_int = _agents(agents, lam)
    lam, iv, h, t, pat, n_int = np.broadcast_arrays(lam, iv, h, t, pat, n_int)
    r = lam * h / iv
    sl, pw, pab, occ, asa = (np.zeros(r.shape) for _ in range(5))
    sl[...] = 1.0
    busy = r > 0
    if busy.any():
        n = n_int[busy].astype(np.float64)
        rb, hb, pb = r[busy], h[busy], pat[busy]
        s_b, w_b, ab_b, o_b, log_s = _erlang_a_core(n, rb, erlang_b(n_int[busy], rb), hb, t[busy], pb)
        sl[busy], pw[busy], pab[busy], occ[busy] = s_b, w_b, ab_b, o_b
        waited = _answered_wait_if_wait(n * pb / hb, rb * pb / hb, log_s) * pb
        with np.errstate(divide="ignore", invalid="ignore"):
            asa[busy] = np.where(ab_b < 1, w_b * waited / (1 - ab_b), np.nan)
    return Metrics(service_level=sl, p_wait=pw, asa=asa, occupancy=occ, p_abandon=pab)


# --- required agents --------------------------------------------------------------------------

_Check = Callable[[IntArray, FloatArray, FloatArray], npt.NDArray[np.bool_]]


# Up to this many agents Erlang B climbs its recursion (a few cheap array steps over the small starts, the
# common case); above it, the incomplete gamma function gives it in one step, whatever the start.
_CLIMB_LIMIT = 24


def _erlang_b_at(n: IntArray, load: FloatArray) -> FloatArray:
    """Erlang B at each element's `n` agents, as the recursion of `erlang_b` gives it (to ~1e-15 relative).

    Small `n` climb the recursion together (elements sorted by n descending, so those still climbing are a
    prefix). Larger ones take the closed form P(N = n) / P(N <= n) for N ~ Poisson(load), with P(N <= n)
    the regularised upper incomplete gamma Q(n + 1, load): one vectorised step instead of n."""
    b = np.ones(load.shape)
    large = n > _CLIMB_LIMIT
    if large.any():
        nl, rl = n[large], load[large]
        with np.errstate(divide="ignore", under="ignore"):
            log_pmf = nl * np.log(rl) - rl - gammaln(nl + 1.0)
            b[large] = np.exp(log_pmf) / gammaincc(nl + 1.0, rl)
    small = np.flatnonzero(~large & (n > 0))
    if small.size:
        order = small[np.argsort(-n[small], kind="stable")]
        r, lo = load[order], n[order]
        bs = np.ones(order.size)
        climbing = np.searchsorted(-lo, -np.arange(1, int(lo[0]) + 1), side="right")
        for k, m in enumerate(climbing.tolist(), start=1):
            rb = r[:m] * bs[:m]
            bs[:m] = rb / (k + rb)
        b[order] = bs
    return b


def _search(load: FloatArray, start: IntArray, cap: IntArray, check: _Check) -> tuple[IntArray, IntArray]:
    """Smallest n >= start with check(index, n, erlang_b) true, per element; also the unreachable ones.

    Erlang B is evaluated directly at each element's own start; then every element is checked at its
    own n, and the ones not yet met step up by one agent together (B by its recursion from there).
    """
    result = np.zeros(load.shape, dtype=np.int64)
    idx = np.flatnonzero(load > 0)
    r, n, hi = load[idx], start[idx], cap[idx]
    b = _erlang_b_at(n, r)
    failed: list[IntArray] = []
    while idx.size:
        ok = check(idx, n.astype(np.float64), b)
        result[idx[ok]] = n[ok]
        over = ~ok & (n >= hi)
        if over.any():
            failed.append(idx[over])
        keep = ~ok & ~over
        idx, r, b, n, hi = idx[keep], r[keep], b[keep], n[keep] + 1, hi[keep]
        rb = r * b
        b = rb / (n + rb)
    return result, np.sort(np.concatenate(failed)) if failed else np.zeros(0, dtype=np.int64)


def _cap(load: FloatArray) -> IntArray:
    return np.asarray(np.ceil(load + 15 * np.sqrt(load) + 100), dtype=np.int64)


def _required_core(
    load: FloatArray,
    aht: FloatArray,
    answer_within: FloatArray,
    patience: FloatArray | None,
    start: IntArray,
    target: float,
    max_occupancy: float | None,
    max_abandon: float | None,
) -> IntArray:
    cap = np.maximum(_cap(load), start)
    t_over_aht = answer_within / aht

    def check_c(i: IntArray, n: FloatArray, b: FloatArray) -> npt.NDArray[np.bool_]:
        r = load[i]
        # a float load a hair above a whole number can sit on n: the formula is meaningless there
        with np.errstate(divide="ignore", invalid="ignore"):
            sl = _erlang_c_sl(n, r, b, t_over_aht[i])
        return np.asarray((n > r) & (sl >= target))

    def measures_a(i: IntArray, n: FloatArray, b: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        assert patience is not None
        sl, _, pab, occ, _ = _erlang_a_core(n, load[i], b, aht[i], answer_within[i], patience[i])
        return sl, pab, occ

    def check_a(i: IntArray, n: FloatArray, b: FloatArray) -> npt.NDArray[np.bool_]:
        sl, pab, occ = measures_a(i, n, b)
        ok = sl >= target
        if max_occupancy is not None:
            ok &= occ <= max_occupancy * (1 + _REL_TOL)
        if max_abandon is not None:
            ok &= pab <= max_abandon
        return np.asarray(ok)

    agents, failed = _search(load, start, cap, check_c if patience is None else check_a)
    if failed.size:
        first = int(failed[0])
        argument = "target"
        if patience is not None and max_abandon is not None:
            b = erlang_b(cap[first], load[first]).reshape(1)
            sl, _, _ = measures_a(failed[:1], cap[first : first + 1].astype(np.float64), b)
            argument = "max_abandon" if sl[0] >= target else "target"
        where = f", element {first} of {load.size}" if load.size > 1 else ""
        raise ErlangUnreachableError(
            argument,
            f"not reachable with up to {int(cap[first])} agents (load {load[first]:.4g} Erlangs{where})",
        )
    return agents


def _start_bounds(
    load: FloatArray,
    target: float,
    max_occupancy: float | None,
    patience_given: bool,
    max_abandon: float | None,
) -> IntArray:
    """Lowest agent count worth checking, erring low by the tolerance (erring high would overstaff)."""
    low = load * (1 - _REL_TOL)
    if patience_given:
        # Answered within T cannot exceed answered, which is at most n / load; likewise 1 - P(abandon).
        share = max(target, 1 - max_abandon) if max_abandon is not None else target
        return np.maximum(np.floor(share * low), 1).astype(np.int64)
    start = np.floor(low).astype(np.int64) + 1
    if max_occupancy is not None:
        start = np.maximum(start, np.ceil(low / max_occupancy).astype(np.int64))
    return start


def required_agents_array(
    calls: npt.ArrayLike,
    interval_seconds: npt.ArrayLike | Number,
    aht: npt.ArrayLike | Number,
    answer_within: npt.ArrayLike | Number,
    target: float = 0.8,
    max_occupancy: float | None = None,
    patience: npt.ArrayLike | Number | None = None,
    max_abandon: float | None = None,
) -> IntArray:
    """Fewest agents per element (e.g. forecast volume per interval) meeting every target.

    Erlang C without ``patience``, Erlang A with it. Zero volume needs zero agents.
    """
    given = (
        _floats(calls, "calls"),
        _floats(interval_seconds, "interval_seconds"),
        _floats(aht, "aht"),
        _floats(answer_within, "answer_within"),
    )
    _check_inputs(*given)  # before broadcasting: a scalar is checked once, not once per interval
    lam, iv, h, t = np.broadcast_arrays(*given)
    _check_targets(target, max_occupancy, patience is not None, max_abandon)
    pat: FloatArray | None = None
    if patience is not None:
        pat = np.broadcast_to(_floats(patience, "patience"), lam.shape).ravel()
        _check_patience(pat)
    shape = lam.shape
    load = (lam * h / iv).ravel()
    start = _start_bounds(load, target, max_occupancy, pat is not None, max_abandon)
    agents = _required_core(load, h.ravel(), t.ravel(), pat, start, target, max_occupancy, max_abandon)
    return agents.reshape(shape)


def evaluate(
    calls: Number,
    interval_seconds: Number,
    aht: Number,
    agents: int,
    answer_within: Number,
    shrinkage: Number = 0,
    patience: Number | None = None,
) -> Staffing:
    """What ``agents`` achieve on one interval (Erlang C, or Erlang A when ``patience`` is given)."""
    occupancy: float | None = None
    if patience is None:
        m = erlang_c(calls, interval_seconds, aht, agents, answer_within)
        load = as_fraction(calls, "calls") * as_fraction(aht, "aht") / as_fraction(interval_seconds)
        if agents > load:
            # rounded once from the rational, so an occupancy exactly at 0.85 prints as 0.85
            occupancy = float(load / agents)
    else:
        m = erlang_a(calls, interval_seconds, aht, agents, answer_within, patience)
    return Staffing(
        agents=int(agents),
        scheduled=scheduled_positions(int(agents), shrinkage),
        service_level=float(m.service_level),
        p_wait=float(m.p_wait),
        asa=float(m.asa),
        occupancy=float(m.occupancy) if occupancy is None else occupancy,
        p_abandon=None if m.p_abandon is None else float(m.p_abandon),
    )


def required(
    calls: Number,
    interval_seconds: Number,
    aht: Number,
    answer_within: Number,
    target: float = 0.8,
    max_occupancy: Number | None = None,
    shrinkage: Number = 0,
    patience: Number | None = None,
    max_abandon: float | None = None,
) -> Staffing:
    """Fewest agents for one interval meeting the service level, occupancy and abandonment targets.

    The load and the occupancy bound are rationals here, so ``calls * aht / interval <= max_occupancy
    * agents`` is decided exactly.
    """
    q_calls = as_fraction(calls, "calls")
    q_interval = as_fraction(interval_seconds, "interval_seconds")
    q_aht = as_fraction(aht, "aht")
    q_within = as_fraction(answer_within, "answer_within")
    _check_inputs(*(np.array([float(q)]) for q in (q_calls, q_interval, q_aht, q_within)))
    q_occ = None if max_occupancy is None else as_fraction(max_occupancy, "max_occupancy")
    _check_targets(target, None if q_occ is None else float(q_occ), patience is not None, max_abandon)
    _shrinkage(shrinkage)
    pat = None
    if patience is not None:
        pat = np.array([float(as_fraction(patience, "patience"))])
        _check_patience(pat)
    load = q_calls * q_aht / q_interval
    if patience is not None:
        share = Fraction(target) if max_abandon is None else max(Fraction(target), 1 - Fraction(max_abandon))
        start = max(math.floor(share * load), 1)
    else:
        start = math.floor(load) + 1
        if q_occ is not None:
            start = max(start, math.ceil(load / q_occ))
    agents = _required_core(
        np.array([float(load)]),
        np.array([float(q_aht)]),
        np.array([float(q_within)]),
        pat,
        np.array([start], dtype=np.int64),
        target,
        None if q_occ is None else float(q_occ),
        max_abandon,
    )
    return evaluate(calls, interval_seconds, aht, int(agents[0]), answer_within, shrinkage, patience)
