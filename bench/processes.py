"""gunicorn and `flask sync-worker` subprocesses on 127.0.0.1: their environment, starting,
waiting for them, stopping them (only the processes started here, by their handle), and which of
them owns a loopback connection."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from cli import BenchError
from project import ROOT
from tests.builders import API_KEY, API_SECRET, TOKEN_KEY


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def app_env(database_url: str, admin_origin: str, **extra) -> dict:
    """The environment of a gunicorn or sync-worker subprocess of the benches."""
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "SHOPIFY_API_KEY": API_KEY,
        "SHOPIFY_API_SECRET": API_SECRET,
        "SHOPIFY_API_SECRET_PREVIOUS": "",
        "SECRET_KEY": "bench-secret-key",
        "TOKEN_ENCRYPTION_KEY": TOKEN_KEY,
        "SHOPIFY_ADMIN_ORIGIN": admin_origin,
        # Many clients share one shop here: the per-shop request budget is not what is measured.
        "RATE_LIMIT_PER_SHOP": "",
        # Per-request INFO logging would be part of what we time.
        "LOG_LEVEL": "WARNING",
        **{key: str(value) for key, value in extra.items()},
    }


def start_gunicorn(env: dict, port: int, workers: int, log_path: Path) -> subprocess.Popen:
    """`gunicorn app:app` on 127.0.0.1:`port` (gunicorn.conf.py in the project root applies)."""
    command = [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
               "--chdir", str(ROOT), "--log-level", "warning", "--graceful-timeout", "5", "app:app"]
    with open(log_path, "ab") as log:
        # A session of its own, so that a stuck server can be killed with its workers and only them.
        return subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT,
                                start_new_session=True)


def stop_server(proc: subprocess.Popen) -> None:
    """Stop a process started with start_new_session (gunicorn and its workers)."""
    if proc.poll() is not None:
        return
    proc.terminate()  # gunicorn's master stops its workers gracefully on SIGTERM
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)


def wait_until_up(proc: subprocess.Popen, base: str, log_path: Path, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise BenchError(f"gunicorn exited with {proc.returncode}:\n{log_path.read_text()[-2000:]}")
        with contextlib.suppress(requests.RequestException):
            if requests.get(base + "/healthz", timeout=1).status_code == 200:
                return
        time.sleep(0.1)
    raise BenchError(f"gunicorn did not answer /healthz within {timeout:.0f} s:\n{log_path.read_text()[-2000:]}")


def start_sync_worker(env: dict, log_path: Path) -> subprocess.Popen:
    """One `flask --app app sync-worker` process, its output appended to `log_path` (a pipe could
    fill up during an outage and block the worker)."""
    command = [sys.executable, "-m", "flask", "--app", "app", "sync-worker"]
    with open(log_path, "ab") as log:
        return subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)


def stop_processes(procs: list[subprocess.Popen]) -> None:
    for proc in procs:  # only the processes started here, by their own handle
        if proc.poll() is None:
            proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def pid_behind_port(client_port: int, server_port: int, candidates: list[subprocess.Popen]):
    """The process among `candidates` owning the loopback TCP socket 127.0.0.1:client_port ->
    :server_port (Linux /proc), or None."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError), open(table) as handle:
            for line in handle.readlines()[1:]:
                parts = line.split()
                local, remote, inode = parts[1], parts[2], parts[9]
                if int(local.rsplit(":", 1)[1], 16) == client_port and int(remote.rsplit(":", 1)[1], 16) == server_port:
                    inodes.add(f"socket:[{inode}]")
    for proc in candidates:
        if proc.poll() is not None:
            continue
        with contextlib.suppress(OSError):
            for fd in os.listdir(f"/proc/{proc.pid}/fd"):
                with contextlib.suppress(OSError):
                    if os.readlink(f"/proc/{proc.pid}/fd/{fd}") in inodes:
                        return proc
    return None
