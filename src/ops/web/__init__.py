"""Web: server-rendered pages for back office, managers and the client portal."""
