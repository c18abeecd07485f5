"""Rendering: the SLA report's charts and its JSON, CSV, XLSX, HTML and PDF forms."""
