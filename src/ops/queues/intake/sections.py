"""Checks of the contract file's intake sections (classification, priority, the CRM webhook secret's
variable), registered with the contract loader by the composition root."""

from __future__ import annotations

import re

from ops.contracts.schemas import ContractFile
from ops.queues.intake.classification import parse_rules
from ops.queues.intake.priority import parse_policy

# Only variables meant for it: a contract naming HOME or OPS_SMTP_PASSWORD would make a guessable value,
# or one of our own secrets, the key a CRM signs with.
_ENV_NAME = re.compile(r"OPS_CRM_[A-Z0-9_]{1,120}")


def check_secret_env(value: object, _contract: ContractFile | None = None) -> None:
    if value is not None and (not isinstance(value, str) or not _ENV_NAME.fullmatch(value)):
        # The value is not echoed: it may be the secret itself, pasted by mistake.
        raise ValueError(
            "must name an environment variable starting with OPS_CRM_ (A-Z, 0-9, _); the secret goes in that variable"
        )


def check_classification(rules: object, contract: ContractFile) -> None:
    parse_rules(rules, known_queues={q.code for q in contract.queues})


def check_priority(policy: object, _contract: ContractFile) -> None:
    parse_policy(policy)
