"""The contract file's `wallboard:` section: the amber and red levels, how old a reading may be, and the
telephony platform's queue names mapped to the contract's inbound voice queues. Checked when the contract loads.

    wallboard:
      stale_after_seconds: 60
      service_level: {amber_below: 0.80, red_below: 0.70}    # default: the queue's target, and 10 points under
      calls_waiting: {amber_at: 5, red_at: 10}
      longest_wait_seconds: {amber_at: 20, red_at: 60}      # default: the queue's T, and 3 T
      queues: {support: care, tech: helpdesk}              # platform name -> queue code (a code maps to itself)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from ops import bounds
from ops.contracts.schemas import ContractFile, QueueIn
from ops.reports.wallboard.board import AtLeast, Below, Thresholds, default_thresholds

SECTION = "wallboard"
_KEYS = {"stale_after_seconds", "service_level", "calls_waiting", "longest_wait_seconds", "queues"}
DEFAULT_STALE_SECONDS = 60


@dataclass(frozen=True)
class WallboardTerms:
    stale_after: timedelta = timedelta(seconds=DEFAULT_STALE_SECONDS)
    service_level: Below | None = None
    calls_waiting: AtLeast | None = None
    longest_wait_seconds: AtLeast | None = None
    names: dict[str, str] = field(default_factory=dict)  # platform queue name -> queue code

    def thresholds(self, target: float, answer_within_seconds: int) -> Thresholds:
        base = default_thresholds(target, answer_within_seconds)
        return Thresholds(
            self.service_level or base.service_level,
            self.calls_waiting or base.calls_waiting,
            self.longest_wait_seconds or base.longest_wait_seconds,
        )

    def queue_code(self, name: str) -> str:
        return self.names.get(name, name)


def board_queues(contract: ContractFile) -> list[QueueIn]:
    """The queues a wallboard shows: inbound voice, which have a service level."""
    return [q for q in contract.queues if q.channel == "inbound_voice"]


def parse_wallboard(data: object, contract: ContractFile) -> WallboardTerms:
    """The section's terms; a ValueError names the field (`wallboard.calls_waiting.red_at: ...`)."""
    if data is None or data == {}:
        return WallboardTerms()
    if not isinstance(data, Mapping):
        raise ValueError(f"{SECTION}: must be a mapping")
    extra = sorted(set(data) - _KEYS)
    if extra:
        raise ValueError(f"{SECTION}.{extra[0]}: unknown field (known: {', '.join(sorted(_KEYS))})")
    stale = data.get("stale_after_seconds", DEFAULT_STALE_SECONDS)
    if isinstance(stale, bool) or not isinstance(stale, int) or not 5 <= stale <= 3600:
        raise ValueError(f"{SECTION}.stale_after_seconds: must be a whole number of seconds from 5 to 3600")
    return WallboardTerms(
        stale_after=timedelta(seconds=stale),
        service_level=_below(data.get("service_level"), f"{SECTION}.service_level"),
        calls_waiting=_at_least(data.get("calls_waiting"), f"{SECTION}.calls_waiting", whole=True),
        longest_wait_seconds=_at_least(data.get("longest_wait_seconds"), f"{SECTION}.longest_wait_seconds"),
        names=_names(data.get("queues", {}), contract),
    )


def _pair(value: object, at: str, keys: tuple[str, str]) -> tuple[float, float] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping) or set(value) != set(keys):
        raise ValueError(f"{at}: must be a mapping of {keys[0]} and {keys[1]}")
    numbers = []
    for key in keys:
        number = value[key]
        if isinstance(number, bool) or not isinstance(number, int | float):
            raise ValueError(f"{at}.{key}: must be a number")
        numbers.append(float(number))
    return numbers[0], numbers[1]


def _below(value: object, at: str) -> Below | None:
    pair = _pair(value, at, ("amber_below", "red_below"))
    if pair is None:
        return None
    amber, red = pair
    for key, share in (("amber_below", amber), ("red_below", red)):
        if not 0 <= share <= 1:
            raise ValueError(f"{at}.{key}: must be a share from 0 to 1 (0.8 for 80 %)")
    if red > amber:
        raise ValueError(f"{at}.red_below: must not be above amber_below ({amber})")
    return Below(amber, red)


def _at_least(value: object, at: str, *, whole: bool = False) -> AtLeast | None:
    pair = _pair(value, at, ("amber_at", "red_at"))
    if pair is None:
        return None
    amber, red = pair
    for key, number in (("amber_at", amber), ("red_at", red)):
        if not 0 < number <= bounds.MAX_SECONDS or (whole and number != int(number)):
            raise ValueError(f"{at}.{key}: must be a positive {'whole ' if whole else ''}number")
    if red < amber:
        raise ValueError(f"{at}.red_at: must not be below amber_at ({amber:g})")
    return AtLeast(amber, red)


def _names(value: object, contract: ContractFile) -> dict[str, str]:
    at = f"{SECTION}.queues"
    if not isinstance(value, Mapping):
        raise ValueError(f"{at}: must be a mapping of the platform's queue names to queue codes")
    voice = {q.code for q in board_queues(contract)}
    names: dict[str, str] = {}
    for name, code in value.items():
        if not isinstance(name, str) or bounds.text_problem(name, max_length=128) is not None or not name:
            raise ValueError(f"{at}: {name!r} is not a queue name")
        if code not in voice:
            known = ", ".join(sorted(voice)) or "none"
            raise ValueError(f"{at}.{name}: {code!r} is not an inbound voice queue of the contract ({known})")
        names[name] = code
    return names


def check_wallboard(data: object, contract: ContractFile) -> None:
    parse_wallboard(data, contract)
