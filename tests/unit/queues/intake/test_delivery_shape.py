"""The documented delivery (TicketIn, for the OpenAPI document) says what `rules.parse_ticket` reads: its channels,
its customer fields and their lengths, and a delivery at every documented limit is accepted."""

from __future__ import annotations

from typing import Any, get_args

import msgspec

from ops.queues.intake import rules
from ops.queues.intake.schemas import Channel, CustomerIn, TicketIn


def test_the_documented_channels_are_the_ones_read() -> None:
    assert set(get_args(Channel)) == rules.CHANNELS


def test_the_documented_customer_is_the_one_read() -> None:
    schema: dict[str, Any] = msgspec.json.schema(CustomerIn)["$defs"]["CustomerIn"]["properties"]
    lengths = {name: prop["anyOf"][0].get("maxLength") for name, prop in schema.items()}
    assert lengths == {**rules._CUSTOMER_TEXT, "followers": None}


def test_a_delivery_at_every_documented_limit_is_read() -> None:
    longest = {
        name: "x" * prop["anyOf"][0]["maxLength"]
        for name, prop in msgspec.json.schema(TicketIn)["$defs"]["TicketIn"]["properties"].items()
        if "anyOf" in prop and "maxLength" in prop["anyOf"][0]
    }
    customer = {name: "x" * most for name, most in rules._CUSTOMER_TEXT.items()}
    parsed = rules.parse_ticket({**longest, "channel": "email", "customer": customer}, max_body_chars=20_000)
    assert len(parsed.external_id) == 200 and len(parsed.body) == 20_000
