import math
from decimal import Decimal

import pytest
import yaml

from ops.reports.penalties import (
    BonusRule,
    CapRule,
    PointsRule,
    ServiceCreditRule,
    Statement,
    evaluate,
    parse_rules,
)

FEE = Decimal("100000.00")


def run(section: object, results: dict[str, dict[str, float | None]]) -> Statement:
    return evaluate(parse_rules(section), results, monthly_fee=FEE)


CREDITS = {
    "rules": [
        {
            "kind": "service_credit",
            "name": "Voice credits",
            "at_risk": 0.10,
            "kpis": [
                {"kpi": "service_level", "target": 0.80, "allocation": 0.6},
                {"kpi": "abandon_rate", "target": 0.05, "allocation": 0.6},
                {"kpi": "asa", "target": 60, "allocation": 0.8},
            ],
        }
    ]
}


def test_service_credits_stop_at_the_amount_at_risk() -> None:
    # 10 % of 100,000 at risk; two misses of 60 % each would be 12,000, the cap keeps 10,000.
    statement = run(CREDITS, {"*": {"service_level": 0.75, "abandon_rate": 0.07, "asa": 45.0}})

    assert [(x.kpi, x.met, x.amount) for x in statement.lines] == [
        ("service_level", False, Decimal("6000.00")),
        ("abandon_rate", False, Decimal("6000.00")),
        ("asa", True, Decimal("0")),
    ]
    (rule,) = statement.rules
    assert (rule.amount_before_cap, rule.amount) == (Decimal("12000.00"), Decimal("10000.00"))
    assert statement.penalties == Decimal("10000.00")
    assert statement.adjustment == Decimal("-10000.00")


def test_one_miss_costs_its_allocation_and_met_targets_cost_nothing() -> None:
    statement = run(CREDITS, {"*": {"service_level": 0.80, "abandon_rate": 0.05, "asa": 61.0}})

    assert [x.met for x in statement.lines] == [True, True, False]  # exactly on target is met
    assert statement.penalties == Decimal("8000.00")


def test_a_float_artefact_never_costs_a_service_credit() -> None:
    # 80 % computed as 0.7 + 0.1 is 0.7999999999999999: at 0.01 pp it is 80.00 %, on target. ASA 60.4 s is
    # 60 s in whole seconds: met too.
    artefact = 0.7 + 0.1
    assert artefact < 0.8
    statement = run(CREDITS, {"*": {"service_level": artefact, "abandon_rate": 0.05, "asa": 60.4}})
    assert [x.met for x in statement.lines] == [True, True, True]
    assert statement.penalties == Decimal("0")
    # 79.994 % is 79.99 %: a miss; 5.004 % is 5.00 %: met; 60.5 s is 61 s: a miss.
    missed = run(CREDITS, {"*": {"service_level": 0.79994, "abandon_rate": 0.05004, "asa": 60.5}})
    assert [x.met for x in missed.lines] == [False, True, False]


def test_a_term_may_state_its_own_precision() -> None:
    tenth_of_a_point = {
        "rules": [
            {
                "kind": "service_credit",
                "at_risk": 0.10,
                "kpis": [{"kpi": "service_level", "target": 0.80, "allocation": 1, "precision": 0.001}],
            }
        ]
    }
    # "To 0.1 pp": 79.96 % is 80.0 %, met; at the default 0.01 pp it is 79.96 %, a miss.
    assert run(tenth_of_a_point, {"*": {"service_level": 0.7996}}).penalties == Decimal("0")
    assert run(CREDITS, {"*": {"service_level": 0.7996, "abandon_rate": 0, "asa": 1}}).penalties == Decimal("6000.00")


POINTS = {
    "rules": [
        {
            "kind": "points",
            "name": "Tender points",
            "kpis": [
                {"kpi": "abandon_rate", "target": 0.05, "step": 0.01, "points": 50},
                {"kpi": "service_level", "target": 0.95, "step": 0.001, "points": 25},
            ],
            "bands": [
                {"points": 0, "share": 0},
                {"points": 100, "share": 0.01},
                {"points": 200, "share": 0.02},
                {"points": 300, "share": 0.03},
            ],
        }
    ]
}


def test_points_table_maps_points_to_a_share_of_the_fee() -> None:
    # Abandonment 6.3 % is 1.3 pp above 5 %: 2 steps (each pp or fraction) x 50 = 100 points.
    # 94.75 % within 20 s is 0.25 pp below 95 %: 3 steps of 0.1 pp x 25 = 75 points.
    # 175 points reach the 100-point band: 1 % of 100,000, spread over the lines by points.
    statement = run(POINTS, {"*": {"abandon_rate": 0.063, "service_level": 0.9475}})

    assert [x.points for x in statement.lines] == [Decimal(100), Decimal(75)]
    (rule,) = statement.rules
    assert (rule.points, rule.band_share, rule.amount) == (Decimal(175), Decimal("0.01"), Decimal("1000.00"))
    assert [x.amount for x in statement.lines] == [Decimal("571.43"), Decimal("428.57")]
    assert statement.penalties == Decimal("1000.00")


@pytest.mark.parametrize(("rounding", "points"), [("up", 100), ("down", 50), ("exact", 65)])
def test_partial_steps_round_as_the_contract_says(rounding: str, points: int) -> None:
    section = {
        "rules": [
            {
                "kind": "points",
                "kpis": [{"kpi": "abandon_rate", "target": 0.05, "step": 0.01, "points": 50, "rounding": rounding}],
                "bands": [{"points": 0, "share": 0}],
            }
        ]
    }

    statement = run(section, {"*": {"abandon_rate": 0.063}})

    assert statement.lines[0].points == points


def test_bonus_is_paid_when_the_target_is_reached() -> None:
    section = {"rules": [{"kind": "bonus", "kpi": "service_level", "target": 0.90, "share": 0.02}]}

    assert run(section, {"*": {"service_level": 0.92}}).bonuses == Decimal("2000.00")
    assert run(section, {"*": {"service_level": 0.92}}).adjustment == Decimal("2000.00")
    assert run(section, {"*": {"service_level": 0.89}}).bonuses == Decimal("0")


@pytest.mark.parametrize(
    ("actual", "factor", "amount"),
    [(0.78, "1", "5000.00"), (0.72, "1.5", "7500.00"), (0.70, "1.5", "7500.00"), (0.65, "2", "10000.00")],
)
def test_a_larger_miss_multiplies_the_credit(actual: float, factor: str, amount: str) -> None:
    # Missed by more than 5 pp: x1.5; by more than 10 pp: x2 (exactly 10 pp is not more).
    section = {
        "rules": [
            {
                "kind": "service_credit",
                "at_risk": 0.10,
                "kpis": [
                    {
                        "kpi": "service_level",
                        "target": 0.80,
                        "allocation": 0.5,
                        "multipliers": [{"beyond": 0.05, "factor": 1.5}, {"beyond": 0.10, "factor": 2}],
                    }
                ],
            }
        ]
    }

    line = run(section, {"*": {"service_level": actual}}).lines[0]

    assert (line.multiplier, line.amount) == (Decimal(factor), Decimal(amount))


def test_queue_weights_split_a_kpi_across_queues() -> None:
    section = {
        "rules": [
            {
                "kind": "service_credit",
                "at_risk": 0.10,
                "kpis": [
                    {
                        "kpi": "service_level",
                        "target": 0.80,
                        "allocation": 0.6,
                        "queues": {"care": 0.6, "helpdesk": 0.4},
                    }
                ],
            },
            {"kind": "bonus", "kpi": "asa", "target": 20, "share": 0.01, "queues": ["care", "helpdesk"]},
        ]
    }

    statement = run(
        section, {"care": {"service_level": 0.70, "asa": 15.0}, "helpdesk": {"service_level": 0.85, "asa": 25.0}}
    )

    assert [(x.queue, x.met, x.amount) for x in statement.lines] == [
        ("care", False, Decimal("3600.00")),  # 10,000 x 0.6 allocation x 0.6 weight
        ("helpdesk", True, Decimal("0")),
        ("care", True, Decimal("1000.00")),  # ASA 15 s is at most 20 s: the bonus is earned
        ("helpdesk", False, Decimal("0")),
    ]


def test_overall_cap_limits_credits_and_points_together_but_not_bonuses() -> None:
    section = {
        "rules": [
            *CREDITS["rules"],
            *POINTS["rules"],
            {"kind": "bonus", "kpi": "asa", "target": 30, "share": 0.005},
            {"kind": "cap", "share": 0.08},
        ]
    }

    statement = run(section, {"*": {"service_level": 0.75, "abandon_rate": 0.07, "asa": 25.0}})

    # Credits 10,000 (their own cap); points 2 x 50 + 200 steps x 25 = 5,100, the 3 % band.
    assert [r.amount for r in statement.rules] == [Decimal("10000.00"), Decimal("3000.00"), Decimal("500.00")]
    assert statement.penalties_before_cap == Decimal("13000.00")
    assert statement.penalty_cap == Decimal("8000.00")
    assert statement.penalties == Decimal("8000.00")
    assert statement.adjustment == Decimal("-7500.00")


@pytest.mark.parametrize("missing", [None, math.nan])
def test_a_kpi_without_data_is_reported_and_costs_nothing(missing: float | None) -> None:
    statement = run(CREDITS, {"*": {"service_level": missing, "abandon_rate": 0.05}})

    assert [x.met for x in statement.lines] == [None, True, None]
    assert statement.penalties == Decimal("0")


def test_the_documented_contract_section_parses() -> None:
    text = """
    rules:
      - kind: service_credit
        name: Voice service credits
        at_risk: 0.10
        kpis:
          - {kpi: service_level, target: 0.80, allocation: 0.6}
          - kpi: abandon_rate
            target: 0.05
            allocation: 0.6
            queues: {care: 0.6, helpdesk: 0.4}
            multipliers: [{beyond: 0.05, factor: 2}]
      - kind: points
        name: Tender points
        kpis:
          - {kpi: abandon_rate, target: 0.05, step: 0.01, points: 50}
          - {kpi: service_level, target: 0.95, step: 0.001, points: 25}
        bands: [{points: 0, share: 0}, {points: 100, share: 0.01}, {points: 300, share: 0.03}]
      - {kind: bonus, kpi: service_level, target: 0.90, share: 0.02}
      - {kind: cap, share: 0.12}
    """

    rules = parse_rules(yaml.safe_load(text))

    assert [type(r) for r in rules] == [ServiceCreditRule, PointsRule, BonusRule, CapRule]
    assert parse_rules({}) == []


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"rules": [{"kind": "fine"}]}, r"rules\[0\]\.kind: must be service_credit, points, bonus or cap"),
        (
            {"rules": [{"kind": "service_credit", "at_risk": 1.5, "kpis": []}]},
            r"rules\[0\]\.at_risk: must be a number > 0 and <= 1",
        ),
        (
            {"rules": [{"kind": "points", "kpis": [POINTS["rules"][0]["kpis"][0], {"kpi": "asa", "target": 60, "step": 0, "points": 5}], "bands": [{"points": 0, "share": 0}]}]},  # noqa: E501
            r"rules\[0\]\.kpis\[1\]\.step: must be a number > 0",
        ),
        (
            {"rules": [{"kind": "bonus", "kpi": "service_levl", "target": 0.9, "share": 0.01}]},
            r"rules\[0\]\.kpi: must be one of service_level, asa",
        ),
        (
            {"rules": [{"kind": "bonus", "kpi": "occupancy", "target": 0.9, "share": 0.01}]},
            r"rules\[0\]\.direction: occupancy needs a direction",
        ),
        (
            {"rules": [{"kind": "bonus", "kpi": "asa", "target": True, "share": 0.01}]},
            r"rules\[0\]\.target: must be a number",
        ),
        (
            {"rules": [{**POINTS["rules"][0], "bands": [{"points": 100, "share": 0.01}, {"points": 50, "share": 0.02}]}]},  # noqa: E501
            r"rules\[0\]\.bands\[1\]\.points: bands must be in increasing order",
        ),
        (
            {"rules": [{"kind": "service_credit", "at_risk": 0.1, "kpis": [{"kpi": "asa", "target": 60, "allocation": 1, "weight": 2}]}]},  # noqa: E501
            r"rules\[0\]\.kpis\[0\]\.weight: unknown field",
        ),
        ({"rules": [{"kind": "cap", "share": 0.1}, {"kind": "cap", "share": 0.2}]}, r"rules\[1\]\.kind: only one cap"),
        ({"rules": [{"kind": "bonus", "kpi": "asa", "target": 20, "share": 0.01, "queues": {"care": "x"}}]},
         r"rules\[0\]\.queues\.care: must be a number"),
        ({"rules": {"kind": "cap"}}, r"rules: must be a list"),
        ({"rule": []}, r"rule: unknown field"),
    ],
)  # fmt: skip
def test_bad_rules_name_the_field(section: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_rules(section)
