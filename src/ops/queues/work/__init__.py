"""Work: the agents' actions on a ticket, its procedure and fields, and the work views."""
