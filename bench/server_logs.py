"""The distinct tracebacks of a gunicorn or sync-worker log, reduced to the project's own frames."""

import re
from pathlib import Path

from project import ROOT


def summarize_tracebacks(log_text: str, limit: int = 6) -> list[str]:
    """One entry per distinct failure in a gunicorn or worker log: the request (from gunicorn's
    "Error handling request" line, when there is one), the last exception line, and the project's
    own frames (file:line in function) of every chained traceback, in order."""
    record = re.compile(r'^(\[\d{4}-|\{"time")')
    exception = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Exit)\w*(:|$)")
    chunks, chunk = [], []
    for line in log_text.splitlines():
        if record.match(line) and chunk:
            chunks.append(chunk)
            chunk = []
        chunk.append(line)
    if chunk:
        chunks.append(chunk)
    entries, seen = [], set()
    for chunk in chunks:
        if not any(line.startswith("Traceback (most recent call last)") for line in chunk):
            continue
        head = chunk[0]
        request = head.split("Error handling request", 1)[1].strip() if "Error handling request" in head else ""
        frames = []
        for line in chunk:
            stripped = line.strip()
            if stripped.startswith('File "') and str(ROOT / "shopify_app") in stripped:
                path, _, rest = stripped[6:].partition('", line ')
                number, _, function = rest.partition(", in ")
                frame = f"{Path(path).relative_to(ROOT)}:{number} in {function}"
                if frame not in frames:
                    frames.append(frame)
        last = next((line for line in reversed(chunk) if exception.match(line)), "")
        key = (re.sub(r"\d+", "N", request.split("?")[0]), tuple(frames), last.split(":", 1)[0])
        if key in seen:
            continue
        seen.add(key)
        entries.append((request, last[:220], frames))
    lines = []
    for request, last, frames in entries[:limit]:
        lines.append(f"{request or '(outside a request)'}: {last}")
        lines.extend(f"    {frame}" for frame in frames)
    if len(entries) > limit:
        lines.append(f"... {len(entries) - limit} more distinct tracebacks")
    return lines
