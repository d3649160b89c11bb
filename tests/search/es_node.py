"""A real Elasticsearch node this test session starts, stops and restarts itself (the outage test).

It runs from the unpacked distribution at ``ES_HOME`` (``.ci/elasticsearch.sh`` unpacks it and
exports the path), with data and logs of its own, on ports no other node uses. Elasticsearch
refuses to run as root, so as root it runs as ``ES_USER`` (the system user the script creates)
through ``runuser``, from a directory under /tmp that user can traverse
(../shared/reference/elasticsearch.md, "Getting and starting it"). Readiness is
``/_cluster/health``: ``GET /`` answers 405 in this build. It is stopped by its pid file, never by name.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import requests

START_TIMEOUT_S = 180


class Node:
    def __init__(self, home: Path, http_port: int = 9252, transport_port: int = 9352) -> None:
        self.home = home
        self.url = f"http://127.0.0.1:{http_port}"
        self.ports = (http_port, transport_port)
        self.user = os.environ.get("ES_USER", "ncert-es")
        self.root = Path(tempfile.mkdtemp(prefix="ncert-es-node-", dir="/tmp"))
        for name in ("data", "logs", "tmp"):
            (self.root / name).mkdir()
        self.root.chmod(0o755)
        if os.geteuid() == 0:
            shutil.chown(self.root, self.user, self.user)
            for name in ("data", "logs", "tmp"):
                shutil.chown(self.root / name, self.user, self.user)
        self.pidfile = self.root / "es.pid"

    def start(self) -> None:
        java = Path(os.path.realpath(shutil.which("java"))).parent.parent
        command = [
            str(self.home / "bin" / "elasticsearch"), "-d", "-p", str(self.pidfile),
            "-Ediscovery.type=single-node", "-Enetwork.host=127.0.0.1", f"-Ehttp.port={self.ports[0]}",
            f"-Etransport.port={self.ports[1]}", "-Expack.security.enabled=false",
            "-Ecluster.routing.allocation.disk.threshold_enabled=false",
            f"-Epath.data={self.root / 'data'}", f"-Epath.logs={self.root / 'logs'}",
        ]
        env = {**os.environ, "ES_JAVA_HOME": os.environ.get("ES_JAVA_HOME", str(java)),
               "ES_TMPDIR": str(self.root / "tmp"), "ES_JAVA_OPTS": "-Xms512m -Xmx512m"}
        if os.geteuid() == 0:
            command = ["runuser", "-u", self.user, "--", "env", *(f"{k}={env[k]}" for k in
                                                              ("ES_JAVA_HOME", "ES_TMPDIR", "ES_JAVA_OPTS")), *command]
        subprocess.run(command, env=env, check=True, timeout=START_TIMEOUT_S, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{self.url}/_cluster/health?wait_for_status=yellow&timeout=2s", timeout=5).ok:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(1)
        raise RuntimeError(f"Elasticsearch at {self.url} did not become ready; see {self.root / 'logs'}")

    def stop(self) -> None:
        pid = int(self.pidfile.read_text())
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 60
        while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        if Path(f"/proc/{pid}").exists():
            os.kill(pid, signal.SIGKILL)

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)
