"""Run a real ``ncert serve`` process against a test runtime's database.

Used by the tests that go over real HTTP (REST API, console in a browser):

    with running_server(runtime) as base_url:
        requests.get(f"{base_url}/api/v1/me", headers=...)

``serving(runtime)`` yields the same server with its process, for tests that
watch it (is it still up, how much memory did it take at its peak).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from ncert.runtime import Runtime

STARTUP_TIMEOUT_S = 60
NCERT = Path(sys.executable).with_name("ncert")  # the venv's console script


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class Server:
    url: str
    process: subprocess.Popen

    def peak_rss_bytes(self) -> int:
        """The process's peak resident set size (VmHWM in /proc/<pid>/status, proc(5))."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
        raise RuntimeError(f"no VmHWM for process {self.process.pid}")


@contextmanager
def running_server(runtime: Runtime) -> Iterator[str]:
    """Start ``ncert serve`` on a free port over ``runtime``'s database; yield its base URL.

    The process gets its own data dir and is always stopped on exit. Startup
    failures raise with the server's output, so a broken app is easy to read.
    """
    with serving(runtime) as server:
        yield server.url


def ncert_serve(port: int) -> list[str]:
    return [str(NCERT), "serve", "--host", "127.0.0.1", "--port", str(port), "--threads", "4"]


def waitress_serve(port: int) -> list[str]:
    """The WSGI application as any WSGI server starts it: ``create_app()`` with no runtime."""
    return [str(NCERT.with_name("waitress-serve")), "--host", "127.0.0.1", "--port", str(port),
            "--call", "ncert.web:create_app"]


@contextmanager
def serving(runtime: Runtime, command: Callable[[int], list[str]] = ncert_serve) -> Iterator[Server]:
    """``running_server``, yielding the base URL with the server's process; ``command`` gives the
    server's command line for a port (``ncert serve`` by default, or ``waitress_serve``)."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="ncert-serve-") as data_dir:
        env = {
            **os.environ,
            "NCERT_DATABASE_URL": runtime.settings.database_url,
            "NCERT_DATA_DIR": data_dir,
            "NCERT_SECRET_KEY": runtime.settings.secret_key,
            "NCERT_MAX_CONTENT_LENGTH": str(runtime.settings.max_content_length),
            "NCERT_PAGE_SIZE_MAX": str(runtime.settings.page_size_max),
            "NCERT_NATIONAL_ORG": runtime.settings.national_org,
        }
        log_path = Path(data_dir) / "server.log"
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(
                command(port),
                env=env, stdout=log, stderr=subprocess.STDOUT,
            )
            try:
                _wait_until_answering(proc, base_url, log_path)
                yield Server(base_url, proc)
            finally:
                proc.terminate()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()


def _wait_until_answering(proc: subprocess.Popen, base_url: str, log_path: Path) -> None:
    """Poll until any HTTP response comes back (an error status still means it is up)."""
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"ncert serve exited with {proc.returncode}:\n{log_path.read_text()}")
        try:
            urllib.request.urlopen(f"{base_url}/", timeout=2).close()
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"ncert serve did not answer within {STARTUP_TIMEOUT_S}s:\n"
                                   f"{log_path.read_text()}") from None
            time.sleep(0.1)
