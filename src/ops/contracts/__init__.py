"""Contracts: client, contract, queues, calendars, SLA policies, prices and penalty rules."""
