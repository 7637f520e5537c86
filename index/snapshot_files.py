"""The files of a snapshot: made durable before publishing, checked before serving.

A snapshot directory is renamed into place only after every file in it and every
directory of it has been written to disk (``fsync``), so a power cut cannot leave a
published snapshot with empty or short files. Its manifest records the size and SHA-256
of every other file (``manifest["files"]``); :func:`verify_files` compares them before a
snapshot is loaded, so a truncated, emptied or altered file is found at start-up or
reload instead of answering with garbage (or with 503 for everything).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

from core.errors import SnapshotDamaged

MANIFEST = "manifest.json"
_BLOCK = 1 << 20


def fsync_path(path: Path) -> None:
    """fsync a file or a directory by path (a directory: its entries reach the disk)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def seal(path: Path) -> dict[str, dict[str, Any]]:
    """fsync every file below ``path`` (the manifest excepted, it is written after) and
    return ``{relative path: {"bytes", "sha256"}}`` for each of them, read back from disk.
    Directories are fsynced by :func:`sync_dirs` once the manifest is written."""
    files: dict[str, dict[str, Any]] = {}
    for file in sorted(p for p in Path(path).rglob("*") if p.is_file()):
        rel = file.relative_to(path).as_posix()
        if rel == MANIFEST:
            continue
        digest, size = hashlib.sha256(), 0
        with open(file, "rb") as fh:
            for block in iter(lambda: fh.read(_BLOCK), b""):
                digest.update(block)
                size += len(block)
            os.fsync(fh.fileno())
        files[rel] = {"bytes": size, "sha256": digest.hexdigest()}
    return files


def sync_dirs(path: Path) -> None:
    """fsync every directory below ``path`` and ``path`` itself, deepest first, so the
    names of the files in them are durable too."""
    dirs = sorted((p for p in Path(path).rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True)
    for d in [*dirs, Path(path)]:
        fsync_path(d)


def sync_file(path: Path) -> None:
    """fsync one written file."""
    fsync_path(path)


def verify_files(path: Path, manifest: dict[str, Any], hashes: bool = True) -> None:
    """Raise ``SnapshotDamaged`` naming the first file of ``manifest["files"]`` that is
    missing, has another size or (``hashes``) another SHA-256 than recorded. A manifest
    without ``files`` (a snapshot written before they were recorded) passes."""
    recorded = manifest.get("files")
    if not recorded:
        return
    if not isinstance(recorded, dict):
        raise SnapshotDamaged(f"snapshot {Path(path).name}: the manifest's file list is corrupt")
    name = Path(path).name
    for rel, meta in sorted(recorded.items()):
        file = Path(path) / rel
        try:
            size = file.stat().st_size
        except OSError:
            raise SnapshotDamaged(f"snapshot {name}: {rel} is missing", {"file": rel}) from None
        if size != meta.get("bytes"):
            raise SnapshotDamaged(f"snapshot {name}: {rel} has {size} bytes, the manifest says {meta.get('bytes')} "
                                  "(truncated or overwritten)", {"file": rel, "bytes": size, "expected": meta.get("bytes")})
    if not hashes:
        return
    for rel, meta in sorted(recorded.items()):
        digest = hashlib.sha256()
        with open(Path(path) / rel, "rb") as fh:
            for block in iter(lambda: fh.read(_BLOCK), b""):
                digest.update(block)
        if digest.hexdigest() != meta.get("sha256"):
            raise SnapshotDamaged(f"snapshot {name}: the content of {rel} differs from the manifest (SHA-256)",
                                  {"file": rel})
