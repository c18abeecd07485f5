"""The composition root: the one place that knows every domain. It fills the registries (the contract
sections' checks, the jobs, the pages' words, the tables), names the schedule, and builds the runtime
that the API (ops.app), the CLI (ops.cli.main) and the worker and scheduler processes run on."""

from __future__ import annotations

import importlib

from ops.config import Settings
from ops.jobs.schedule import FixedJob, ScheduleSource
from ops.runtime import Runtime, open_runtime

# Every module that defines tables: imported so the metadata is whole for Alembic, the app and the tests.
MODEL_MODULES = (
    "ops.auth_models",
    "ops.idempotency.models",
    "ops.jobs.models",
    "ops.contracts.models",
    "ops.queues.models",
    "ops.staffing.history.models",
    "ops.staffing.planning.models",
    "ops.reports.models",
    "ops.billing.indices.models",
    "ops.billing.measurement.models",
    "ops.billing.invoices.models",
    "ops.billing.disputes.models",
    "ops.reports.wallboard.models",
)

# The platform's fixed jobs; per-contract schedules (report deliveries) come from SCHEDULE_SOURCES.
SCHEDULE = (
    FixedJob("retry_report_sends", "interval", {"minutes": 1}),
    FixedJob("giveback_tickets", "interval", {"minutes": 1}),
    FixedJob("assign_waiting_tickets", "interval", {"minutes": 1}),
    FixedJob("sla_watch", "cron", {"minute": "*"}),
    FixedJob("forget_idempotency_keys", "cron", {"minute": 17}),
)

_wired = False


def import_models() -> None:
    for name in MODEL_MODULES:
        importlib.import_module(name)


def wire() -> None:
    """Fill every registry, once per process, explicitly: what is registered never depends on import order."""
    global _wired
    if _wired:
        return
    import_models()

    from ops.billing import terms as billing_terms
    from ops.contracts.document import register_section_validator
    from ops.queues.assignment import sections as assignment_sections
    from ops.queues.intake import sections as intake_sections
    from ops.queues.work import sections as work_sections
    from ops.reports import sections as report_sections
    from ops.reports.delivery import schedule as delivery_schedule
    from ops.reports.wallboard import sections as wallboard_sections

    register_section_validator("classification", intake_sections.check_classification)
    register_section_validator("priority", intake_sections.check_priority)
    register_section_validator("work", work_sections.check_work)
    register_section_validator("crm_webhook_secret_env", intake_sections.check_secret_env)
    register_section_validator("penalties", report_sections.check_penalties)
    register_section_validator("regulatory", report_sections.check_regulatory)
    register_section_validator("deliveries", delivery_schedule.check_deliveries)
    register_section_validator("billing", billing_terms.check_billing)
    register_section_validator("readjustment", billing_terms.check_readjustment)
    register_section_validator("break_reasons", assignment_sections.check_break_reasons)
    register_section_validator("wallboard", wallboard_sections.check_wallboard)

    from ops.queues.work import bulk, bulk_replies

    bulk.register_bulk_action(bulk_replies.ACTION, bulk_replies.send_canned_reply)

    from ops.idempotency.jobs import forget_idempotency_keys
    from ops.jobs.registry import register_jobs
    from ops.queues.assignment.jobs import assign_waiting_tickets, giveback_tickets
    from ops.queues.sla.jobs import sla_watch
    from ops.reports.delivery.jobs import deliver_report, retry_report_sends
    from ops.staffing.planning.jobs import compute_staffing_plan

    register_jobs(
        giveback_tickets,
        assign_waiting_tickets,
        sla_watch,
        deliver_report,
        retry_report_sends,
        compute_staffing_plan,
        forget_idempotency_keys,
    )

    import ops.queues.live.news  # noqa: F401 - its session hooks publish ticket news after each commit
    from ops.web import live_pages, portal_pages, staffing_pages, supervisor_pages, wallboard_pages, work_pages
    from ops.web.i18n import register_phrases

    for module in (work_pages, staffing_pages, portal_pages, live_pages, supervisor_pages, wallboard_pages):
        register_phrases(module.PHRASES)
    _wired = True


def schedule_sources() -> list[ScheduleSource]:
    from ops.reports.delivery.schedule import schedule_deliveries

    return [schedule_deliveries]


def assemble(settings: Settings) -> Runtime:
    """The registries filled and the runtime built: how every process starts."""
    wire()
    return open_runtime(settings)
