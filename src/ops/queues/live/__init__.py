"""The live side of the queues: ticket news told to every process after its commit, and who looks at a ticket."""
