"""The report store: delivered files written once, read-only, and served only while they match their checksum."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from ops.config import Settings
from ops.errors import ConflictError, NotFoundError
from ops.reports.models import StoredReport


def write_immutable(root: Path, relative: str, content: bytes) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        return  # same name = same checksum: already there
    # A temporary name of this writer's own: two deliveries racing on one file (same name, same checksum, same
    # bytes) each write theirs and the last rename wins harmlessly.
    handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    tmp = Path(name)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(content)
        os.chmod(tmp, 0o444)
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def read_stored(settings: Settings, report: StoredReport) -> bytes:
    """The stored file, refused if it no longer matches the checksum recorded when it was delivered."""
    try:
        content = (Path(settings.reports_dir) / report.path).read_bytes()
    except FileNotFoundError as exc:
        raise NotFoundError(f"the file of report {report.id} is missing from the report store") from exc
    if hashlib.sha256(content).hexdigest() != report.checksum:
        raise ConflictError(f"report {report.id} no longer matches its checksum: refusing to serve it")
    return content
