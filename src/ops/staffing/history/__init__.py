"""History: telephony interval statistics and per-call logs counted into 30-minute intervals."""
