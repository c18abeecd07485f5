"""The `ops` command line: `main` assembles it; `support` holds what every domain command shares."""
