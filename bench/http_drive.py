"""One URL driven from N client threads for T seconds, and the latencies it measured."""

import threading
import time
from dataclasses import dataclass, field

import requests

import project  # noqa: F401  (the project root on sys.path, for tests)
from tests.builders import session_token


@dataclass
class Run:
    seconds: float = 0.0
    latencies: list = field(default_factory=list)  # of successful requests, in seconds
    errors: int = 0

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        return percentile_ms(self.latencies, p)


def drive(url: str, domain: str | None, threads: int, seconds: float) -> Run:
    """Hammer `url` from `threads` threads for `seconds`; `domain` adds a session token."""
    run, lock = Run(), threading.Lock()
    start_gate = threading.Barrier(threads + 1)
    deadline = [0.0]

    def worker():
        latencies, errors = [], 0
        token_made, headers = 0.0, {}
        with requests.Session() as session:
            start_gate.wait()
            while time.perf_counter() < deadline[0]:
                # Tokens live 60 s; minting one per request would add client work to one side only.
                if domain and time.perf_counter() - token_made > 30:
                    headers = {"Authorization": f"Bearer {session_token(domain)}"}
                    token_made = time.perf_counter()
                began = time.perf_counter()
                try:
                    response = session.get(url, headers=headers, timeout=10)
                    ok = response.status_code == 200
                except requests.RequestException:
                    ok = False
                if ok:
                    latencies.append(time.perf_counter() - began)
                else:
                    errors += 1
        with lock:
            run.latencies.extend(latencies)
            run.errors += errors

    pool = [threading.Thread(target=worker, daemon=True) for _ in range(threads)]
    for thread in pool:
        thread.start()
    deadline[0] = time.perf_counter() + seconds
    began = time.perf_counter()
    start_gate.wait()
    for thread in pool:
        thread.join()
    # Requests in flight at the deadline still finish, so the elapsed time is measured, not assumed.
    run.seconds = time.perf_counter() - began
    return run


def percentile_ms(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000 if ordered else float("nan")
