"""The bytes of a bundle's networks as export wrote them, recorded in its manifest.

onnxruntime loads most ONNX files with flipped bytes in their weights without a word, and
the show would then dance garbage; a file cut short after its last complete tensor may load
too. Export records each network's size and SHA-256 under `files`, and loading checks them
first, so a damaged bundle is refused with a line naming the file. Bundles exported before
the record existed load unchecked.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from livedance.errors import LivedanceError, one_line

log = logging.getLogger(__name__)

FILES = "files"  # the manifest's key: {"encoder.onnx": {"bytes": N, "sha256": HEX}, ...}


def read_bytes(path: Path) -> bytes:
    """A network file's bytes; a file this user cannot read becomes a line naming it."""
    try:
        return path.read_bytes()
    except OSError as exc:
        raise LivedanceError(f"{path}: cannot read ({exc.strerror}); expected a file this user can read") from None


def describe(paths: list[Path]) -> dict:
    """The `files` record for these files (what export writes into the manifest)."""
    record = {}
    for path in paths:
        data = read_bytes(path)
        record[path.name] = {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    return record


def check(manifest: dict, manifest_path: Path, contents: dict[Path, bytes]) -> None:
    """Each file's bytes (read once: the same bytes then go to onnxruntime, so a file rewritten
    in between can't slip past) against the manifest's size and SHA-256; nothing when there is none."""
    record = manifest.get(FILES)
    if record is None:
        log.debug("%s: no '%s' record; its networks are not checked", manifest_path, FILES)
        return
    shape = "'files' must give each network's bytes (a number) and sha256 (64 hex digits)"
    if not isinstance(record, dict):
        raise LivedanceError(f"{manifest_path}: {shape}")
    for path, data in contents.items():
        entry = record.get(path.name)
        size = entry.get("bytes") if isinstance(entry, dict) else None
        digest = entry.get("sha256") if isinstance(entry, dict) else None
        if not isinstance(size, int) or not isinstance(digest, str) or len(digest) != 64:
            raise LivedanceError(f"{manifest_path}: {shape}; {path.name} has {one_line(repr(entry), 80)}")
        if len(data) != size:
            how = "cut short" if len(data) < size else "grown"
            raise LivedanceError(
                f"{path}: {len(data)} bytes; the manifest says {size} ({how} since export: copy the bundle again)"
            )
        if hashlib.sha256(data).hexdigest() != digest.lower():
            raise LivedanceError(
                f"{path}: its bytes differ from the manifest's sha256 {digest[:12]}... "
                "(corrupt or changed since export: copy the bundle again)"
            )
