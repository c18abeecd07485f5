"""Jobs: one queue interface with an in-process and an arq adapter, and the schedule."""
