"""Progress for long `lab run`s: which topic, elapsed, and the remaining time estimated from
the previous run's durations (kept in a small state file under the build folder)."""
from __future__ import annotations

import json
import os
import time
from typing import Dict, List, Optional

STATE_FILE = "lab-run-durations.json"


def format_duration(seconds: Optional[float]) -> str:
    if seconds is None:
        return "?"
    s = int(round(max(0.0, seconds)))
    if s < 60:
        return f"{s}s"
    m, s = divmod(s, 60)
    if m < 60:
        return f"{m}m{s:02d}s"
    h, m = divmod(m, 60)
    return f"{h}h{m:02d}m"


class DurationState:
    """Seconds each topic took last time, per mode (full / quick / check-only)."""

    def __init__(self, build_dir: Optional[str]):
        self.path = os.path.join(build_dir, STATE_FILE) if build_dir else None
        self.data: Dict[str, float] = {}
        if self.path:
            try:
                with open(self.path, "r", encoding="utf-8") as f:
                    loaded = json.load(f)
                if isinstance(loaded, dict):
                    self.data = {k: float(v) for k, v in loaded.items() if isinstance(v, (int, float))}
            except (OSError, ValueError):
                self.data = {}  # a lost estimate costs nothing but the estimate

    @staticmethod
    def key(topic: str, mode: str) -> str:
        return f"{topic}:{mode}"

    def get(self, topic: str, mode: str) -> Optional[float]:
        return self.data.get(self.key(topic, mode))

    def put(self, topic: str, mode: str, seconds: float) -> None:
        self.data[self.key(topic, mode)] = round(seconds, 1)
        if not self.path:
            return
        tmp = self.path + ".tmp"
        try:
            with open(tmp, "w", encoding="utf-8") as f:
                json.dump(self.data, f, indent=1, sort_keys=True)
            os.replace(tmp, self.path)
        except OSError:
            pass


def remaining_estimate(state: DurationState, pending: List[str], mode: str) -> Optional[float]:
    """Sum of the previous durations of the topics still to run; None if any is unknown."""
    total = 0.0
    for t in pending:
        d = state.get(t, mode)
        if d is None:
            return None
        total += d
    return total


class Progress:
    def __init__(self, topics: List[str], state: DurationState, mode: str, stream=None):
        self.topics = topics
        self.state = state
        self.mode = mode
        self.start = time.monotonic()
        self.stream = stream

    def elapsed(self) -> float:
        return time.monotonic() - self.start

    def line(self, index: int, what: str) -> str:
        """"[lab] 2/3 01-fused-gelu (lab) · elapsed 1m05s · remaining ~2m10s"."""
        pending = self.topics[index:]
        rem = remaining_estimate(self.state, pending, self.mode)
        rem_text = (f"remaining ~{format_duration(rem)} (from the previous run)" if rem is not None
                    else "remaining unknown (no previous run to go by)")
        return (f"[lab] {index + 1}/{len(self.topics)} {self.topics[index]} ({what}) · "
                f"elapsed {format_duration(self.elapsed())} · {rem_text}")
