"""Back-office positions by workload: each period's tickets times handle time, spread over their SLA window.

The model. Time is counted in business periods of the queue's calendar only (closed hours and
holidays removed, since the SLA clock stops there). ``tickets[i]`` arrive in period i and their
work, ``tickets[i] * handle_seconds``, is due within the SLA window: ``w = floor(sla / period)``
periods, the arrival period included (at least one; a window that is not a whole number of
periods is rounded down, so work is planned to finish early, never late). Each period's work is
spread evenly over its window, so the capacity needed in period j is the mean work of the
window ending there:

    capacity[j] = sum(work[j - w + 1 .. j]) / w

Worked first in, first out, this capacity finishes every ticket on time: by the end of period j it
has supplied all the work that arrived up to period j - w + 1, which is exactly the work due by
then. It smooths peaks as far as the due dates allow and no further. Positions are that capacity
over the productive minutes one position gives in a period (after shrinkage and any planned
utilisation). Work that arrived before the horizon is taken as done; tickets arriving in the last
w - 1 periods count only for their share inside the horizon.

The same function sizes days instead of intervals: give tickets per business day, the business
minutes of a day as ``period_minutes`` and the productive minutes of a position per day.
"""

import math

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


class WorkloadInputError(ValueError):
    """A bad argument; ``argument`` is the parameter's name."""

    def __init__(self, argument: str, message: str) -> None:
        super().__init__(f"{argument}: {message}")
        self.argument = argument


def window_periods(sla_business_minutes: float, period_minutes: float) -> int:
    """Whole periods in the SLA window, rounded down, at least one."""
    if not sla_business_minutes > 0:
        raise WorkloadInputError("sla_business_minutes", "must be > 0")
    if not period_minutes > 0:
        raise WorkloadInputError("period_minutes", "must be > 0")
    # the tolerance keeps 90 / 30 at 3 whatever the float noise of its inputs
    return max(1, math.floor(sla_business_minutes / period_minutes * (1 + 1e-12)))


def workload_positions(
    tickets: npt.ArrayLike,
    handle_seconds: npt.ArrayLike,
    sla_business_minutes: float,
    productive_minutes_per_position: float,
    period_minutes: float = 30.0,
) -> FloatArray:
    """Positions needed per business period (fractional) so that every ticket meets its SLA.

    ``tickets`` runs over business periods along axis 0 (more axes, such as queues, are kept);
    ``handle_seconds`` broadcasts against it.
    """
    counts = np.asarray(tickets, dtype=np.float64)
    handle = np.asarray(handle_seconds, dtype=np.float64)
    if counts.ndim == 0:
        raise WorkloadInputError("tickets", "must run over periods (one value per period)")
    if not np.all(np.isfinite(counts) & (counts >= 0)):
        raise WorkloadInputError("tickets", "must be finite and >= 0")
    if not np.all(np.isfinite(handle) & (handle > 0)):
        raise WorkloadInputError("handle_seconds", "must be > 0")
    if not productive_minutes_per_position > 0:
        raise WorkloadInputError("productive_minutes_per_position", "must be > 0")
    w = window_periods(sla_business_minutes, period_minutes)
    work = counts * handle / 60.0
    running = np.cumsum(work, axis=0)
    lagged = np.zeros_like(running)
    lagged[w:] = running[:-w]
    # a running-sum difference can dip a hair below zero after a burst has left the window
    capacity = np.maximum(running - lagged, 0.0) / w
    return np.asarray(capacity / productive_minutes_per_position, dtype=np.float64)
