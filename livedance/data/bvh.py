"""A small, strict BVH (Biovision hierarchy) reader and writer.

A BVH file is a joint hierarchy (names, offsets, per-joint channel lists, end sites)
followed by one line of channel values per frame. Every joint keeps its own channel
order (CMU/DAZ files mix ZYX on the root with ZXY elsewhere; iClone rigs use ZYX), and
forward kinematics must honour it, so the order is kept exactly as written.

Malformed files raise `LivedanceError("PATH: line N: what was expected")`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from livedance.errors import LivedanceError, one_line

CHANNEL_NAMES = ("Xposition", "Yposition", "Zposition", "Xrotation", "Yrotation", "Zrotation")
_CHANNEL_LOOKUP = {c.lower(): c for c in CHANNEL_NAMES}


@dataclass
class Skeleton:
    """The joint hierarchy. Joints are listed parents first (file order)."""

    names: list[str]
    parents: np.ndarray  # (J,) int, -1 for a root
    offsets: np.ndarray  # (J, 3) float, in the parent's frame, file units
    channels: list[tuple[str, ...]]  # per joint, in file order
    end_sites: list[tuple[int, np.ndarray]] = field(default_factory=list)  # (joint, offset (3,))

    def __post_init__(self):
        self.parents = np.asarray(self.parents, dtype=np.int64)
        self.offsets = np.asarray(self.offsets, dtype=np.float64).reshape(-1, 3)
        self.channels = [tuple(c) for c in self.channels]
        self.end_sites = [(int(j), np.asarray(o, dtype=np.float64).reshape(3)) for j, o in self.end_sites]
        n = len(self.names)
        if not (len(self.parents) == len(self.offsets) == len(self.channels) == n):
            raise LivedanceError("skeleton has different numbers of names, parents, offsets and channel lists")
        for j, p in enumerate(self.parents):
            if p >= j:
                raise LivedanceError(
                    f"skeleton joint {self.names[j]!r} comes before its parent; expected parents first"
                )

    @property
    def num_joints(self) -> int:
        return len(self.names)

    @property
    def num_channels(self) -> int:
        return sum(len(c) for c in self.channels)

    @property
    def channel_starts(self) -> np.ndarray:
        """Column of each joint's first channel in `Motion.values`."""
        sizes = [len(c) for c in self.channels]
        return np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64) if sizes else np.zeros(0, np.int64)

    def index(self, name: str) -> int:
        try:
            return self.names.index(name)
        except ValueError:
            raise LivedanceError(f"skeleton has no joint named {name!r}") from None

    def children(self, joint: int) -> list[int]:
        return [int(j) for j in np.flatnonzero(self.parents == joint)]

    def column(self, joint: int | str, channel: str) -> int:
        """Column in `Motion.values` of one joint's channel, e.g. ("Hips", "Yposition")."""
        j = self.index(joint) if isinstance(joint, str) else int(joint)
        if channel not in self.channels[j]:
            raise LivedanceError(f"joint {self.names[j]!r} has no {channel} channel")
        return int(self.channel_starts[j]) + self.channels[j].index(channel)


@dataclass
class Motion:
    """Channel values per frame (degrees for rotations, file units for positions)."""

    skeleton: Skeleton
    values: np.ndarray  # (T, C)
    frame_time: float

    def __post_init__(self):
        self.values = np.asarray(self.values, dtype=np.float64)
        if self.values.ndim != 2 or self.values.shape[1] != self.skeleton.num_channels:
            raise LivedanceError(
                f"motion values have shape {self.values.shape}; expected (frames, {self.skeleton.num_channels})"
            )
        if not np.isfinite(self.frame_time) or self.frame_time <= 0:
            raise LivedanceError(f"motion frame time {self.frame_time} is not a positive number of seconds")

    @property
    def num_frames(self) -> int:
        return len(self.values)

    @property
    def fps(self) -> float:
        return 1.0 / self.frame_time

    @property
    def duration(self) -> float:
        return self.num_frames * self.frame_time


class _Tokens:
    """Whitespace tokens of the hierarchy with their line numbers, for precise errors."""

    def __init__(self, path: str, lines: list[str]):
        self.path = path
        self.items: list[tuple[str, int]] = []
        self.motion_line = None
        for i, line in enumerate(lines, 1):
            words = line.split()
            if words and words[0].upper() == "MOTION":
                self.motion_line = i
                break
            self.items.extend((w, i) for w in words)
        self.pos = 0
        self.last_line = self.motion_line or max(1, len(lines))

    def error(self, message: str, line: int | None = None) -> LivedanceError:
        if line is None:
            line = self.items[self.pos][1] if self.pos < len(self.items) else self.last_line
        # Cut: the token found may be a whole file of bytes without a space.
        return LivedanceError(f"{self.path}: line {line}: {one_line(message, 160)}")

    def next(self, expected: str) -> tuple[str, int]:
        if self.pos >= len(self.items):
            raise self.error(f"expected {expected}, found the end of the hierarchy")
        item = self.items[self.pos]
        self.pos += 1
        return item

    def peek(self) -> str | None:
        return self.items[self.pos][0] if self.pos < len(self.items) else None

    def keyword(self, word: str) -> int:
        token, line = self.next(repr(word))
        if token != word:
            raise self.error(f"expected {word!r}, found {token!r}", line)
        return line

    def number(self, what: str) -> float:
        token, line = self.next(what)
        try:
            value = float(token)
        except ValueError:
            raise self.error(f"expected {what} (a number), found {token!r}", line) from None
        if not np.isfinite(value):
            raise self.error(f"expected {what} (a finite number), found {token!r}", line)
        return value


def _parse_joint(tok: _Tokens, parent: int, names, parents, offsets, channels, end_sites) -> None:
    name_token, line = tok.next("a joint name")
    if name_token in ("{", "}"):
        raise tok.error(f"expected a joint name, found {name_token!r}", line)
    if name_token in names:
        raise tok.error(f"joint name {name_token!r} is used twice; expected unique names", line)
    index = len(names)
    names.append(name_token)
    parents.append(parent)
    tok.keyword("{")
    tok.keyword("OFFSET")
    offsets.append([tok.number("an OFFSET value") for _ in range(3)])
    tok.keyword("CHANNELS")
    count_token, line = tok.next("a channel count")
    if not count_token.isdigit():
        raise tok.error(f"expected a channel count (0-6), found {count_token!r}", line)
    count = int(count_token)
    if count > 6:
        raise tok.error(f"expected a channel count of at most 6, found {count}", line)
    joint_channels = []
    for _ in range(count):
        token, line = tok.next("a channel name")
        canonical = _CHANNEL_LOOKUP.get(token.lower())
        if canonical is None:
            raise tok.error(f"expected a channel name ({', '.join(CHANNEL_NAMES)}), found {token!r}", line)
        if canonical in joint_channels:
            raise tok.error(f"channel {canonical} is listed twice for joint {name_token!r}", line)
        joint_channels.append(canonical)
    channels.append(tuple(joint_channels))
    while True:
        token, line = tok.next("JOINT, End Site or '}'")
        if token == "}":
            return
        if token == "JOINT":
            _parse_joint(tok, index, names, parents, offsets, channels, end_sites)
        elif token == "End":
            tok.keyword("Site")
            tok.keyword("{")
            tok.keyword("OFFSET")
            end_sites.append((index, np.array([tok.number("an OFFSET value") for _ in range(3)])))
            tok.keyword("}")
        else:
            raise tok.error(f"expected JOINT, End Site or '}}', found {token!r}", line)


def _parse_header_number(path: str, line_no: int, line: str | None, label: str, kind) -> float:
    if line is None:
        raise LivedanceError(f"{path}: line {line_no}: expected '{label} ...', found the end of the file")
    stripped = line.strip()
    if not stripped.lower().startswith(label.lower()):
        raise LivedanceError(f"{path}: line {line_no}: expected '{label} ...', found {stripped[:40]!r}")
    text = stripped[len(label) :].strip()
    try:
        value = kind(text)
    except ValueError:
        raise LivedanceError(
            f"{path}: line {line_no}: expected '{label}' followed by a number, found {text[:40]!r}"
        ) from None
    return value


def read_bvh(path: str | os.PathLike) -> Motion:
    """Read a BVH file; every joint keeps the channel order written in the file."""
    path = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        raise LivedanceError(f"{path}: no such file; expected a BVH file") from None
    except IsADirectoryError:
        raise LivedanceError(f"{path}: is a folder; expected a BVH file") from None
    except OSError as exc:
        raise LivedanceError(f"{path}: cannot be read ({exc.strerror}); expected a BVH file") from None
    lines = text.splitlines()
    tok = _Tokens(path, lines)
    tok.keyword("HIERARCHY")
    names: list[str] = []
    parents: list[int] = []
    offsets: list[list[float]] = []
    channels: list[tuple[str, ...]] = []
    end_sites: list[tuple[int, np.ndarray]] = []
    while tok.peek() is not None:
        word, line = tok.next("ROOT")
        if word != "ROOT":
            raise tok.error(f"expected ROOT or MOTION, found {word!r}", line)
        _parse_joint(tok, -1, names, parents, offsets, channels, end_sites)
    if not names:
        raise tok.error("expected ROOT, found no joints")
    if tok.motion_line is None:
        raise LivedanceError(
            f"{path}: line {len(lines)}: expected MOTION after the hierarchy, found the end of the file"
        )
    skeleton = Skeleton(names, np.array(parents), np.array(offsets), channels, end_sites)

    i = tok.motion_line  # 0-based index of the line after MOTION

    def line_at(k):
        return lines[k] if k < len(lines) else None

    frames = int(_parse_header_number(path, i + 1, line_at(i), "Frames:", int))
    if frames < 0:
        raise LivedanceError(f"{path}: line {i + 1}: expected a frame count of 0 or more, found {frames}")
    frame_time = _parse_header_number(path, i + 2, line_at(i + 1), "Frame Time:", float)
    if not np.isfinite(frame_time) or frame_time <= 0:
        raise LivedanceError(f"{path}: line {i + 2}: expected a positive Frame Time in seconds, found {frame_time}")

    first = i + 2  # 0-based index of the first data line
    data_lines = [(k + 1, ln) for k, ln in enumerate(lines[first:], first) if ln.strip()]
    width = skeleton.num_channels
    if len(data_lines) < frames:
        raise LivedanceError(
            f"{path}: line {max(len(lines), 1)}: expected {frames} frames as the header says, found {len(data_lines)}"
        )
    if len(data_lines) > frames:
        extra_line = data_lines[frames][0]
        raise LivedanceError(f"{path}: line {extra_line}: expected {frames} frames as the header says, found more")
    values = None
    if frames:
        try:
            flat = np.array(" ".join(ln for _, ln in data_lines).split(), dtype=np.float64)
        except ValueError:
            flat = None
        if flat is not None and flat.size == frames * width and np.isfinite(flat).all():
            values = flat.reshape(frames, width)
        else:
            for line_no, ln in data_lines:  # slow path: find the first bad line
                words = ln.split()
                if len(words) != width:
                    raise LivedanceError(f"{path}: line {line_no}: expected {width} channel values, found {len(words)}")
                for w in words:
                    try:
                        ok = np.isfinite(float(w))
                    except ValueError:
                        ok = False
                    if not ok:
                        raise LivedanceError(f"{path}: line {line_no}: expected a number, found {w[:40]!r}")
            raise LivedanceError(f"{path}: line {first + 1}: expected {frames} x {width} channel values")
    else:
        values = np.zeros((0, width))
    return Motion(skeleton, values, float(frame_time))


def _write_joint(out: list[str], skel: Skeleton, j: int, depth: int, fmt: str) -> None:
    pad = "\t" * depth
    kind = "ROOT" if skel.parents[j] < 0 else "JOINT"
    off = " ".join(fmt % v for v in skel.offsets[j])
    out.append(f"{pad}{kind} {skel.names[j]}")
    out.append(f"{pad}{{")
    out.append(f"{pad}\tOFFSET {off}")
    out.append(f"{pad}\tCHANNELS {len(skel.channels[j])}" + "".join(" " + c for c in skel.channels[j]))
    for child in skel.children(j):
        _write_joint(out, skel, child, depth + 1, fmt)
    for joint, offset in skel.end_sites:
        if joint == j:
            out.append(f"{pad}\tEnd Site")
            out.append(f"{pad}\t{{")
            out.append(f"{pad}\t\tOFFSET " + " ".join(fmt % v for v in offset))
            out.append(f"{pad}\t}}")
    out.append(f"{pad}}}")


def write_bvh(motion: Motion, path: str | os.PathLike, decimals: int = 6) -> Path:
    """Write a BVH file (tab-indented, one frame per line)."""
    skel = motion.skeleton
    for name in skel.names:
        if not name or any(ch.isspace() for ch in name) or name in ("{", "}"):
            raise LivedanceError(f"joint name {name!r} cannot be written to BVH; expected a name without spaces")
    fmt = f"%.{int(decimals)}f"
    out = ["HIERARCHY"]
    for root in np.flatnonzero(skel.parents < 0):
        _write_joint(out, skel, int(root), 0, fmt)
    out.append("MOTION")
    out.append(f"Frames: {motion.num_frames}")
    out.append(f"Frame Time: {motion.frame_time:.9g}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(out) + "\n")
        if motion.num_frames:
            np.savetxt(f, motion.values + 0.0, fmt=fmt, delimiter=" ")
    return path
