"""Intake: CRM deliveries into tickets: classification, priority, protocol numbers, outage grouping, complaints."""
