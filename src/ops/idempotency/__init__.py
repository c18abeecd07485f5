"""Retries that never duplicate: a POST under /api/ carrying an `Idempotency-Key` header is answered once, and its
retries get the stored answer (the table in `models`, its reads and writes in `services`, the HTTP seam in
`middleware`)."""
