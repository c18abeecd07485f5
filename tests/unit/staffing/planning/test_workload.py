"""Back-office positions by workload within the SLA window."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ops.staffing.planning.workload import WorkloadInputError, window_periods, workload_positions


def test_steady_arrivals_need_work_over_productive_time() -> None:
    # 10 tickets of 3 minutes every half hour, 2-hour SLA, 25.5 productive minutes a period
    positions = workload_positions([10] * 8, 180, 120, 25.5)
    assert positions[0] == pytest.approx(30 / 4 / 25.5)  # only the first period's share so far
    assert positions[3:] == pytest.approx(np.full(5, 30 / 25.5))


def test_a_burst_is_spread_over_its_sla_window_and_no_further() -> None:
    positions = workload_positions([40, 0, 0, 0, 0, 0], 360, 120, 30)
    assert positions == pytest.approx([2.0, 2.0, 2.0, 2.0, 0.0, 0.0])


def test_sla_shorter_than_a_period_is_worked_within_the_period() -> None:
    positions = workload_positions([40, 0, 10], 360, 10, 30)
    assert positions == pytest.approx([8.0, 0.0, 2.0])


def test_days_and_queues_as_extra_axes() -> None:
    tickets = np.array([[100, 20], [0, 20], [50, 20]])  # three business days, two queues
    handle = np.array([600, 300])
    positions = workload_positions(tickets, handle, 2 * 480, 400, period_minutes=480)
    assert positions.shape == (3, 2)
    assert positions[:, 0] == pytest.approx([1000 / 2 / 400, 1000 / 2 / 400, 500 / 2 / 400])
    assert positions[:, 1] == pytest.approx([50 / 400, 100 / 400, 100 / 400])


def test_window_rounds_down_but_keeps_exact_multiples() -> None:
    assert window_periods(90, 30) == 3
    assert window_periods(0.3 / 0.1 * 30, 30) == 3  # 89.99999999999999 minutes in floats
    assert window_periods(100, 30) == 3
    assert window_periods(5, 30) == 1


@settings(max_examples=40, deadline=None)
@given(
    tickets=st.lists(st.integers(0, 60), min_size=1, max_size=40),
    sla=st.integers(1, 600),
)
def test_first_in_first_out_at_this_capacity_meets_every_due_date(tickets: list[int], sla: int) -> None:
    w = window_periods(sla, 30)
    padded = tickets + [0] * w  # let the horizon run past the last due date
    positions = workload_positions(padded, 240, sla, 30)
    supplied = np.cumsum(positions * 30)
    work = np.array(padded, dtype=float) * 4
    due = np.cumsum(work)  # work arriving in period i is due by the end of period i + w - 1
    for j in range(len(padded)):
        owed = due[j - w + 1] if j - w + 1 >= 0 else 0.0
        assert supplied[j] >= owed - 1e-9
    assert supplied[-1] == pytest.approx(work.sum())


@pytest.mark.parametrize(
    ("args", "argument"),
    [
        (([-1, 2], 180, 60, 25), "tickets"),
        ((5, 180, 60, 25), "tickets"),
        (([1, 2], 0, 60, 25), "handle_seconds"),
        (([1, 2], 180, 0, 25), "sla_business_minutes"),
        (([1, 2], 180, 60, 0), "productive_minutes_per_position"),
    ],
)
def test_bad_arguments_name_themselves(args: tuple[object, ...], argument: str) -> None:
    with pytest.raises(WorkloadInputError) as err:
        workload_positions(*args)  # type: ignore[arg-type]
    assert err.value.argument == argument
