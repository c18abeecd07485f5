"""The voice wallboard: the telephony platform's latest queue statistics, today's service level so far per voice
queue in the contract's time zone, and the amber and red levels the contract sets."""
