"""Start `detente serve` in a subprocess on a free loopback port, and stop it afterwards."""

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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def serve(store: Path, *args: str, wait: float = 120.0) -> Iterator[str]:
    port = free_port()
    cmd = [sys.executable, "-m", "detente", "serve", "--port", str(port), "--store", str(store), *args]
    log = store.parent / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=os.environ.copy())
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.time() + wait
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"detente serve exited with {proc.returncode}: {log.read_text()}")
                try:
                    with urllib.request.urlopen(f"{url}/api/health", timeout=2) as r:
                        if r.status == 200:
                            break
                except OSError:
                    pass
                if time.time() > deadline:
                    raise RuntimeError(f"detente serve did not answer in {wait} s: {log.read_text()}")
                time.sleep(0.2)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
