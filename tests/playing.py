"""until: play a real show in real time until something happens (a camera frame, a receiver)."""

import time


def until(inst, condition, seconds: float) -> bool:
    """Play in real time until `condition()` or `seconds` pass; True if it came true."""
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        inst.run(frames=3)
        if condition():
            return True
    return False
