"""Queues: CRM intake, classification, routing to positions, work on tickets and SLA clocks."""
