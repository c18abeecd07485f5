"""Reports: SLA metrics, penalties, charts, rendering and scheduled delivery."""
