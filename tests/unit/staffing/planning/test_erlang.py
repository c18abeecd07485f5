"""Erlang C / A measures, required agents and exact scheduled positions."""

from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.linalg import expm, solve
from scipy.stats import poisson

from ops.staffing.planning.erlang import (
    ErlangInputError,
    ErlangUnreachableError,
    as_fraction,
    erlang_a,
    erlang_b,
    erlang_c,
    evaluate,
    required,
    required_agents_array,
    scheduled_positions,
    scheduled_positions_array,
)


def birth_death(
    calls: float, interval: float, aht: float, n: int, within: float, patience: float
) -> tuple[float, float, float, float, float]:
    """Truncated M/M/n+M chain: service level, P(wait), P(abandon), occupancy, ASA of answered.

    The tagged caller who finds m waiting is followed through its own phase-type chain: the queue
    ahead moves at n mu + m theta and the caller hangs up at theta.
    """
    lam, mu, th = calls / interval, 1 / aht, 1 / patience
    depth = int(lam / th + 12 * np.sqrt(lam / th) + 60)
    size = n + depth + 1
    log_pi = np.zeros(size)
    for j in range(1, size):
        log_pi[j] = log_pi[j - 1] + np.log(lam / (min(j, n) * mu + max(j - n, 0) * th))
    pi = np.exp(log_pi - log_pi.max())
    pi /= pi.sum()
    queue = np.maximum(np.arange(size) - n, 0)
    p_wait = pi[n:].sum()
    p_abandon = th * (pi * queue).sum() / lam
    occupancy = (np.minimum(np.arange(size), n) * pi).sum() / n
    gen = np.zeros((depth + 2, depth + 2))
    answered, gone = depth, depth + 1
    for m in range(depth):
        ahead = n * mu + m * th
        gen[m, answered if m == 0 else m - 1] += ahead
        gen[m, gone] += th
        gen[m, m] = -(ahead + th)
    within_t = expm(gen * within)[:depth, answered]
    transient = -gen[:depth, :depth]
    exit_answered = np.zeros(depth)
    exit_answered[0] = n * mu
    wait_answered = solve(transient, solve(transient, exit_answered))
    finds = pi[n : n + depth]
    service_level = pi[:n].sum() + (finds * within_t).sum()
    asa = (finds * wait_answered).sum() / (1 - p_abandon)
    return service_level, p_wait, p_abandon, occupancy, asa


# --- the pinned examples ---------------------------------------------------------------------


def test_textbook_example_100_calls() -> None:
    s = required(100, 1800, 180, 20, target=0.8, max_occupancy=0.85, shrinkage=0.3)
    assert (s.agents, s.scheduled) == (14, 20)
    assert round(s.service_level, 4) == 0.8884
    assert round(s.p_wait, 4) == 0.1741
    assert s.occupancy == pytest.approx(10 / 14)
    assert s.asa == pytest.approx(0.17413 * 180 / 4, rel=1e-4)
    assert s.p_abandon is None


def test_164_calls_needs_21_agents_and_exactly_30_positions() -> None:
    s = required(164, 1800, 180, 20, target=0.8, max_occupancy=0.85, shrinkage=0.3)
    assert (s.agents, s.scheduled) == (21, 30)
    # float arithmetic says 21 / 0.7 = 30.000000000000004, hence 31 positions elsewhere
    assert 21 / (1 - 0.3) > 30


def test_48_calls_max_occupancy_exactly_met_needs_6_agents() -> None:
    s = required(48, 1800, 180, 20, target=0.5, max_occupancy=0.80)
    assert s.agents == 6
    assert s.occupancy == 0.8  # exactly at the bound, not 0.7999999999999999
    # the minute-based float load of 48 / 30 * 3 is 4.800000000000001, which would force 7
    assert 48 / 30 * 3 / 6 > 0.8


@pytest.mark.parametrize("kind", [float, Decimal, Fraction])
def test_exact_inputs_of_any_numeric_type_agree(kind: type) -> None:
    def conv(v: str) -> float | Decimal | Fraction:
        return Fraction(Decimal(v)) if kind is Fraction else kind(v)

    s = required(conv("164"), conv("1800"), conv("180"), conv("20"), 0.8, conv("0.85"), conv("0.3"))
    assert (s.agents, s.scheduled) == (21, 30)


def test_array_path_gives_the_pinned_agents() -> None:
    agents = required_agents_array([100, 164, 0], 1800, 180, 20, target=0.8, max_occupancy=0.85)
    assert agents.tolist() == [14, 21, 0]
    assert required_agents_array([48], 1800, 180, 20, target=0.5, max_occupancy=0.8).tolist() == [6]


# --- exact scheduled positions ---------------------------------------------------------------


def test_scheduled_positions_is_exact() -> None:
    assert scheduled_positions(21, 0.3) == 30
    assert scheduled_positions(21, Decimal("0.3")) == 30
    assert scheduled_positions(22, 0.3) == 32
    assert scheduled_positions(7, 0) == 7
    assert scheduled_positions(0, 0.5) == 0
    assert scheduled_positions_array(np.array([[21, 14], [0, 22]]), 0.3).tolist() == [[30, 20], [0, 32]]


def test_as_fraction_reads_floats_as_the_decimal_written() -> None:
    assert as_fraction(0.3) == Fraction(3, 10)
    assert as_fraction(np.float64(0.85)) == Fraction(17, 20)
    assert as_fraction(Decimal("1.10")) == Fraction(11, 10)


# --- Erlang B and C --------------------------------------------------------------------------


def test_erlang_b_recursion_matches_poisson_ratio_even_for_thousands_of_agents() -> None:
    n = np.array([1, 5, 12, 1000, 3000])
    load = np.array([0.5, 4.0, 10.0, 950.0, 2900.0])
    expected = poisson.pmf(n, load) / poisson.cdf(n, load)
    assert erlang_b(n, load) == pytest.approx(expected, rel=1e-9)


def test_erlang_c_is_vectorised_over_agents_and_monotone() -> None:
    m = erlang_c(100, 1800, 180, np.arange(11, 20), 20)
    assert np.all(np.diff(m.service_level) > 0)
    assert np.all(np.diff(m.p_wait) < 0)
    assert np.all(np.diff(m.asa) < 0)
    assert m.occupancy == pytest.approx(10 / np.arange(11, 20))


def test_erlang_c_unstable_when_agents_do_not_exceed_load() -> None:
    m = erlang_c(100, 1800, 180, [9, 10], 20)
    assert m.service_level.tolist() == [0.0, 0.0]
    assert m.p_wait.tolist() == [1.0, 1.0]
    assert np.isinf(m.asa).all()


def test_erlang_c_never_staffs_at_or_below_the_load() -> None:
    # 5 Erlangs exactly, and a float load a hair above 5: six agents either way, even at a 1 % target
    assert required(100, 1800, 90, 20, target=0.01).agents == 6
    assert required_agents_array([100, 30.000000000000004], 1800, [90, 300], 20, 0.01).tolist() == [6, 6]


def test_zero_volume_needs_nobody() -> None:
    s = required(0, 1800, 180, 20, max_occupancy=0.85, shrinkage=0.3)
    assert (s.agents, s.scheduled, s.service_level, s.occupancy) == (0, 0, 1.0, 0.0)
    a = required(0, 1800, 180, 20, patience=60)
    assert (a.agents, a.p_abandon) == (0, 0.0)


# --- Erlang A ---------------------------------------------------------------------------------

CASES = [
    (100, 1800, 180, 14, 20, 60),
    (164, 1800, 180, 10, 20, 60),  # overloaded: fewer agents than Erlangs
    (164, 1800, 180, 19, 20, 120),
    (300, 1800, 240, 30, 0, 30),  # T = 0
    (20, 1800, 300, 2, 60, 600),
    (500, 1800, 180, 40, 20, 200),
    (5, 1800, 600, 1, 20, 90),
]


@pytest.mark.parametrize("case", CASES)
def test_erlang_a_matches_birth_death_chain(case: tuple[int, int, int, int, int, int]) -> None:
    sl, pw, pab, occ, asa = birth_death(*case)
    m = erlang_a(*case)
    assert m.p_abandon is not None
    got = [m.service_level, m.p_wait, m.p_abandon, m.occupancy, m.asa]
    assert [float(g) for g in got] == pytest.approx([sl, pw, pab, occ, asa], rel=1e-9, abs=1e-12)


def test_erlang_a_vectorised_equals_one_by_one() -> None:
    calls, agents, patience = np.array([100, 164, 500]), np.array([14, 10, 40]), np.array([60, 60, 200])
    m = erlang_a(calls, 1800, 180, agents, 20, patience)
    for i in range(3):
        one = erlang_a(int(calls[i]), 1800, 180, int(agents[i]), 20, int(patience[i]))
        assert float(m.service_level[i]) == float(one.service_level)
        assert float(m.asa[i]) == float(one.asa)


def test_erlang_a_tends_to_erlang_c_as_patience_grows() -> None:
    c = erlang_c(164, 1800, 180, 21, 20)
    a = erlang_a(164, 1800, 180, 21, 20, 1e8)
    assert a.service_level == pytest.approx(c.service_level, abs=1e-6)
    assert a.p_wait == pytest.approx(c.p_wait, abs=1e-6)
    assert a.asa == pytest.approx(c.asa, rel=1e-4)


def test_erlang_a_stays_finite_far_from_balance() -> None:
    light = erlang_a(10_000, 1800, 180, 2000, 20, 3600)  # P(a, x) underflows: series path
    assert float(light.service_level) == 1.0
    assert 0 < float(light.p_wait) < 1e-100
    heavy = erlang_a(20_000, 1800, 180, 1000, 20, 3600)  # S overflows: log path
    assert light.p_abandon is not None
    assert heavy.p_abandon is not None
    assert float(heavy.p_abandon) == pytest.approx(0.5, abs=1e-9)
    assert np.isfinite(heavy.asa).all()


def test_erlang_a_can_staff_below_the_offered_load() -> None:
    s = required(100, 1800, 180, 20, target=0.5, patience=30)
    assert s.agents < 10
    assert s.service_level >= 0.5
    assert evaluate(100, 1800, 180, s.agents - 1, 20, patience=30).service_level < 0.5


def test_erlang_a_max_abandon_adds_agents_until_met() -> None:
    loose = required(164, 1800, 180, 20, target=0.5, patience=60)
    tight = required(164, 1800, 180, 20, target=0.5, patience=60, max_abandon=0.01)
    assert loose.p_abandon is not None
    assert tight.p_abandon is not None
    assert loose.p_abandon > 0.01 >= tight.p_abandon
    below = evaluate(164, 1800, 180, tight.agents - 1, 20, patience=60).p_abandon
    assert below is not None
    assert below > 0.01


# --- minimality, scalar against array --------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    calls=st.integers(0, 400),
    aht=st.integers(60, 900),
    target=st.sampled_from([0.5, 0.8, 0.9, 0.95]),
    max_occupancy=st.sampled_from([None, 0.75, 0.8, 0.85, 0.9]),
    patience=st.sampled_from([None, 30, 120]),
)
def test_required_is_the_fewest_agents_and_array_agrees(
    calls: int, aht: int, target: float, max_occupancy: float | None, patience: int | None
) -> None:
    s = required(calls, 1800, aht, 20, target, max_occupancy, patience=patience)
    array = required_agents_array([calls], 1800, aht, 20, target, max_occupancy, patience=patience)
    assert int(array[0]) == s.agents
    if calls == 0:
        return
    assert s.service_level >= target
    if max_occupancy is not None:
        assert s.occupancy <= max_occupancy
    if s.agents == 1:
        return
    fewer = evaluate(calls, 1800, aht, s.agents - 1, 20, patience=patience)
    too_busy = max_occupancy is not None and fewer.occupancy > max_occupancy + 1e-12
    assert fewer.service_level < target or too_busy


def test_required_agents_array_keeps_the_week_shape() -> None:
    rng = np.random.default_rng(5)
    calls = rng.integers(0, 300, size=(7, 48, 6)).astype(float)
    aht = np.array([240, 420, 300, 600, 500, 360])
    agents = required_agents_array(calls, 1800, aht, 20, 0.8, 0.85)
    assert agents.shape == (7, 48, 6)
    assert agents[3, 20, 1] == required(float(calls[3, 20, 1]), 1800, 420, 20, 0.8, 0.85).agents
    assert np.all(agents[calls == 0] == 0)


# --- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"calls": -1}, "calls"),
        ({"aht": 0}, "aht"),
        ({"interval_seconds": 0}, "interval_seconds"),
        ({"answer_within": -5}, "answer_within"),
        ({"shrinkage": 1}, "shrinkage"),
        ({"shrinkage": -0.1}, "shrinkage"),
        ({"target": 1.0}, "target"),
        ({"target": 0}, "target"),
        ({"max_occupancy": 0}, "max_occupancy"),
        ({"patience": 0}, "patience"),
        ({"max_abandon": 0.05}, "max_abandon"),  # no patience: Erlang C never abandons
        ({"patience": 60, "max_abandon": 0}, "max_abandon"),
        ({"calls": float("nan")}, "calls"),
    ],
)
def test_bad_arguments_name_themselves(kwargs: dict[str, float], argument: str) -> None:
    args: dict[str, float] = {"calls": 100, "interval_seconds": 1800, "aht": 180, "answer_within": 20}
    args |= kwargs
    with pytest.raises(ErlangInputError) as err:
        required(**args)
    assert err.value.argument == argument
    assert isinstance(err.value, ValueError)


def test_unreachable_target_is_reported() -> None:
    with pytest.raises(ErlangUnreachableError) as err:
        required(100, 1800, 180, 20, 0.8, patience=60, max_abandon=1e-300)
    assert err.value.argument == "max_abandon"
    with pytest.raises(ErlangUnreachableError, match="element 1 of 2"):
        required_agents_array([0, 100], 1800, 180, 20, patience=60, max_abandon=1e-300)


def test_evaluating_no_agents_with_calls_is_refused() -> None:
    with pytest.raises(ErlangInputError, match="agents"):
        erlang_c(10, 1800, 180, 0, 20)
