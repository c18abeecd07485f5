"""The demo: the reference contract, a seeded month of calls, agents and CRM tickets, one token per role."""
