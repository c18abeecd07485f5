"""Real `ops` API processes for the live tests: uvicorn on a free port over a given database (and Redis), so a
server-sent event stream is read as a browser reads it, while it is open, and two processes can share news."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from ops.cli.main import HTTP_PROTOCOL

ROOT = Path(__file__).resolve().parents[3]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextlib.contextmanager
def served(database_url: str, workdir: Path, *, redis_url: str | None = None, name: str = "api") -> Iterator[str]:
    """One API process; its base URL while the block runs."""
    port = _free_port()
    env = {
        **os.environ,
        "OPS_DATABASE_URL": database_url,
        "OPS_SCHEDULER": "off",
        "OPS_REPORTS_DIR": str(workdir / "reports"),
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
    }
    env.pop("OPS_REDIS_URL", None)
    if redis_url:
        env["OPS_REDIS_URL"] = redis_url
    log_path = workdir / f"{name}.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "ops.app:create_app",
                "--factory",
                "--http",
                HTTP_PROTOCOL,
                "--port",
                str(port),
            ],
            env=env,
            cwd=workdir,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    with urllib.request.urlopen(f"{url}/health/live", timeout=1) as answer:  # noqa: S310 - local
                        if answer.status == 200:
                            break
                except OSError:
                    pass
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{name} did not start: {log_path.read_text()[-2000:]}")
                time.sleep(0.2)
            yield url
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
