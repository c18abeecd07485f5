"""SLA clocks: a ticket's deadlines from its history, the watch job, and `ops sla`."""
