"""Immutable index snapshots on disk.

A snapshot is one directory under ``<data_dir>/snapshots/``::

    manifest.json      what was really used: model, prompts, dimension, chunker,
                       analyzer, backend, corpus hashes, counts, versions, timings
    documents.jsonl    cleaned documents (with text, for context and offsets)
    passages.jsonl     passages, in index order
    vectors.npy        L2-normalised passage vectors (float32), row i = passage i
    dense/             the vector index (see ``index.ann``)
    bm25/              the BM25 index (bm25s)
    catalogue.json     municipality catalogue (with ``project_titles``, the rows of
                       ``project_vectors.npy``: e5 passage vectors of its project titles)
    translations.json  English word -> German BM25 terms (see ``index.search.translate``)
    surface_forms.json German term -> its usual word form in the corpus (English pseudo-queries)
    windows/           optional: sentence-window vectors (``windows.npy``, owners, text keys)
                       and their vector index (see ``index.multivector``)
    tokens.npy         optional: float16 token vectors, ``token_offsets.npy`` per passage

It is written to a hidden temporary directory, every file and directory of it is
fsynced, and only then is it renamed into place; the file ``CURRENT`` (replaced
atomically) names the snapshot that serves. The manifest records the size and SHA-256
of every other file (``files``, see ``index.snapshot_files``). Loading checks them and
the schema version and refuses a snapshot built with another embedding model; a damaged
one raises ``SnapshotDamaged``, and ``index.snapshot_fallback`` then serves the newest
intact one.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from index import ann as vector_backends
from index.bm25 import BM25Index
from index.ann.subset import OwnerMap
from index.multivector import TokenStore
from core.errors import Busy, SnapshotDamaged, SnapshotError, StorageFull, is_disk_full
from core.schema import Document, Passage
from index.snapshot_files import MANIFEST, fsync_path, seal, sync_dirs, sync_file, verify_files

SCHEMA_VERSION = 1
CURRENT = "CURRENT"


@dataclass
class Snapshot:
    """One loaded (or about to be written) index snapshot; the layout is in the module docstring.

    Row ``i`` of ``vectors`` (float32 (n_passages, dim), L2-normalised), of the ``dense``
    vector index and of ``bm25`` is ``passages[i]``; ``tokens`` and ``windows`` are the
    optional multi-vector parts (``index.multivector``); ``project_vectors`` float32
    (n_titles, dim) belongs to ``catalogue["project_titles"]``.
    """

    path: Path
    manifest: dict[str, Any]
    documents: list[Document]
    passages: list[Passage]
    vectors: np.ndarray
    dense: Any
    bm25: BM25Index
    catalogue: dict[str, Any] = field(default_factory=dict)
    translations: dict[str, list[str]] = field(default_factory=dict)
    windows: WindowSet | None = None
    tokens: TokenStore | None = None
    surface_forms: dict[str, str] = field(default_factory=dict)
    project_vectors: np.ndarray | None = None  # row i = catalogue["project_titles"][i]
    fallback: dict[str, Any] | None = None  # why this one serves instead of CURRENT's (index.snapshot_fallback)

    @property
    def id(self) -> str:
        """The snapshot id from the manifest (also its directory name)."""
        return self.manifest["snapshot_id"]

    def passage_vectors(self, ids: np.ndarray) -> np.ndarray:
        """float32 (len(ids), dim): the L2-normalised vectors of the passages ``ids`` (int64
        rows), in that order. The dense retriever reads passage vectors only through this
        (a store keeping them elsewhere, ``index.store.postgres``, overrides it)."""
        return np.asarray(self.vectors[np.asarray(ids, dtype=np.int64)], dtype=np.float32)

    def close(self) -> None:
        """Release the vector indexes (``VectorIndex.close``); the memory maps go with the object."""
        self.dense.close()
        if self.windows is not None:
            self.windows.index.close()

    def write(self, path: Path) -> None:
        """Write every part of the snapshot into ``path`` (which must not exist), fsync
        every file, record their sizes and SHA-256 in the manifest (``files``), write the
        manifest last and fsync it and every directory."""
        path.mkdir(parents=True)
        _write_jsonl(path / "documents.jsonl", (d.to_dict() for d in self.documents))
        _write_jsonl(path / "passages.jsonl", (p.to_dict() for p in self.passages))
        np.save(path / "vectors.npy", np.ascontiguousarray(self.vectors, dtype=np.float32))
        self.dense.save(path / "dense")
        self.bm25.save(path / "bm25")
        (path / "catalogue.json").write_text(json.dumps(self.catalogue, ensure_ascii=False), encoding="utf-8")
        (path / "translations.json").write_text(json.dumps(self.translations, ensure_ascii=False), encoding="utf-8")
        (path / "surface_forms.json").write_text(json.dumps(self.surface_forms, ensure_ascii=False), encoding="utf-8")
        if self.project_vectors is not None:
            np.save(path / "project_vectors.npy", np.ascontiguousarray(self.project_vectors, dtype=np.float32))
        if self.windows is not None:
            self.windows.write(path / "windows")
        if self.tokens is not None:
            np.save(path / "tokens.npy", self.tokens.matrix)
            np.save(path / "token_offsets.npy", self.tokens.offsets)
        self.manifest["files"] = seal(path)
        (path / MANIFEST).write_text(json.dumps(self.manifest, indent=2, ensure_ascii=False), encoding="utf-8")
        sync_file(path / MANIFEST)
        sync_dirs(path)


def load_snapshot(path: Path, expected_model: str | None = None, dense_params: dict | None = None) -> Snapshot:
    """Load a snapshot; refuse another schema or (when given) another model fingerprint.

    ``vectors`` and ``tokens`` are memory-mapped. ``dense_params`` (search-time settings
    such as HNSW ef) are applied to the vector indexes. Raises ``SnapshotError`` for
    another ``SCHEMA_VERSION`` or another model, and ``SnapshotDamaged`` (a
    ``SnapshotError``) for a missing or corrupt manifest, a file missing, truncated or
    altered against the manifest's sizes and SHA-256 (``index.snapshot_files``), an
    unreadable part, or counts that disagree (passages, vectors, index, tokens, titles).
    """
    path = Path(path)
    manifest = read_manifest(path)
    if not isinstance(manifest, dict) or "snapshot_id" not in manifest:
        raise SnapshotDamaged(f"snapshot {path.name}: the manifest is incomplete")
    if manifest.get("schema_version") != SCHEMA_VERSION:
        raise SnapshotError(
            f"snapshot {path.name} has schema {manifest.get('schema_version')}, expected {SCHEMA_VERSION}; rebuild it"
        )
    built_with = manifest.get("model", {}).get("fingerprint")
    if expected_model is not None and built_with != expected_model:
        raise SnapshotError(
            f"snapshot {path.name} was built with model {manifest.get('model', {}).get('name')!r} "
            f"({str(built_with)[:12]}), not the configured one ({expected_model[:12]}); rebuild with `praxisfinder ingest`",
            detail={"snapshot_model": built_with, "configured_model": expected_model},
        )
    verify_files(path, manifest)
    try:
        documents = [Document.from_dict(d) for d in _read_jsonl(path / "documents.jsonl")]
        passages = [Passage.from_dict(p) for p in _read_jsonl(path / "passages.jsonl")]
        vectors = np.load(path / "vectors.npy", mmap_mode="r")
        dense = vector_backends.load(path / "dense", dense_params)  # each FAISS file is read once
        bm25 = BM25Index.load(path / "bm25")
        catalogue = json.loads((path / "catalogue.json").read_text(encoding="utf-8"))
        translations = json.loads((path / "translations.json").read_text(encoding="utf-8"))
        surface_path = path / "surface_forms.json"  # absent in snapshots from before pipeline version 4
        surface_forms = json.loads(surface_path.read_text(encoding="utf-8")) if surface_path.exists() else {}
        windows = WindowSet.read(path / "windows", dense_params) if (path / "windows").is_dir() else None
        project_vectors = None
        if (path / "project_vectors.npy").exists():
            project_vectors = np.load(path / "project_vectors.npy")
        tokens = None
        if (path / "tokens.npy").exists():
            tokens = TokenStore(np.load(path / "tokens.npy", mmap_mode="r"), np.load(path / "token_offsets.npy"))
    except SnapshotError:
        raise
    except Exception as exc:
        raise SnapshotDamaged(f"snapshot {path.name} is incomplete or corrupt: {exc}") from exc
    counts = manifest.get("counts", {})
    if len(passages) != counts.get("passages") or vectors.shape[0] != len(passages) or dense.ntotal != len(passages):
        raise SnapshotDamaged(f"snapshot {path.name} is inconsistent: passage, vector and index counts differ")
    if tokens is not None and (len(tokens.offsets) != len(passages) + 1 or tokens.offsets[-1] != len(tokens.matrix)):
        raise SnapshotDamaged(f"snapshot {path.name} is inconsistent: token vectors do not match the passages")
    if len(documents) != counts.get("documents", len(documents)):
        raise SnapshotDamaged(f"snapshot {path.name} is inconsistent: document count differs from the manifest")
    if project_vectors is not None and len(project_vectors) != len(catalogue.get("project_titles", [])):
        raise SnapshotDamaged(f"snapshot {path.name} is inconsistent: project title vectors do not match the catalogue")
    return Snapshot(path, manifest, documents, passages, vectors, dense, bm25, catalogue, translations, windows, tokens,
                    surface_forms, project_vectors)


@dataclass
class WindowSet:
    """Sentence-window vectors, the passage owning each window, and their text keys (for reuse)."""

    vectors: np.ndarray
    owner: np.ndarray
    keys: list[str]
    index: Any
    _by_owner: OwnerMap | None = field(default=None, repr=False, compare=False)

    def rows_of(self, passages: np.ndarray) -> np.ndarray:
        """Sorted int64 ids of the windows of the given passages (int64 ids), for a filtered
        window search; the owner map is built on first use."""
        if self._by_owner is None:  # passages past the last owner have no windows
            self._by_owner = OwnerMap(self.owner, int(self.owner.max()) + 1 if len(self.owner) else 0)
        passages = np.asarray(passages, dtype=np.int64)
        return self._by_owner.rows_of(passages[passages < len(self._by_owner.offsets) - 1])

    def write(self, path: Path) -> None:
        """Write vectors, owners, keys and the window vector index into the new directory ``path``."""
        path.mkdir()
        np.save(path / "windows.npy", np.ascontiguousarray(self.vectors, dtype=np.float32))
        np.save(path / "owner.npy", self.owner)
        (path / "keys.json").write_text(json.dumps(self.keys))
        self.index.save(path / "index")

    @classmethod
    def read(cls, path: Path, dense_params: dict | None = None) -> "WindowSet":
        """Read what :meth:`write` wrote (vectors memory-mapped); ``dense_params`` as in :func:`load_snapshot`."""
        index = vector_backends.load(path / "index", dense_params)
        return cls(np.load(path / "windows.npy", mmap_mode="r"), np.load(path / "owner.npy"),
                   json.loads((path / "keys.json").read_text()), index)


def read_manifest(path: Path) -> dict[str, Any]:
    """``manifest.json`` of the snapshot directory ``path``; ``SnapshotDamaged`` (a
    ``SnapshotError``) if missing, unreadable or not a JSON object."""
    try:
        manifest = json.loads((Path(path) / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise SnapshotDamaged(f"no snapshot at {path} (manifest.json missing)") from exc
    except (ValueError, OSError) as exc:
        raise SnapshotDamaged(f"snapshot manifest at {path} is corrupt or unreadable") from exc
    if not isinstance(manifest, dict):
        raise SnapshotDamaged(f"snapshot manifest at {path} is corrupt")
    return manifest


def manifest_hash(manifest: dict[str, Any]) -> str:
    """16 hex digits of SHA-256 over the manifest as canonical JSON (sorted keys)."""
    return hashlib.sha256(json.dumps(manifest, sort_keys=True).encode()).hexdigest()[:16]


class SnapshotStore:
    """The snapshots directory: publish atomically, find the current one, prune old ones."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def current_path(self) -> Path | None:
        """The directory ``CURRENT`` names, or None if ``CURRENT`` is missing, empty or dangling."""
        try:
            name = (self.root / CURRENT).read_text().strip()
        except FileNotFoundError:
            return None
        path = self.root / name
        return path if name and path.is_dir() else None

    def current_name(self) -> str | None:
        """The name ``CURRENT`` holds (None if the file is missing, unreadable or empty),
        whether or not that directory exists."""
        try:
            return (self.root / CURRENT).read_text().strip() or None
        except (OSError, UnicodeDecodeError):
            return None

    def snapshot_dirs(self) -> list[Path]:
        """Every published snapshot directory (hidden ones, temporaries and those set
        aside, are not), newest first (names sort by build time)."""
        if not self.root.is_dir():
            return []
        return sorted((p for p in self.root.iterdir() if p.is_dir() and not p.name.startswith(".")),
                      key=lambda p: p.name, reverse=True)

    def set_aside(self, path: Path) -> Path:
        """Rename a damaged snapshot directory to ``.damaged-<name>`` (kept for inspection,
        never served or pruned); returns the new path. OSError propagates (read-only data)."""
        target = self.root / f".damaged-{path.name}"
        n = 1
        while target.exists():
            n += 1
            target = self.root / f".damaged-{path.name}-{n}"
        os.rename(path, target)
        fsync_path(self.root)
        return target

    def point_current(self, name: str) -> None:
        """Make ``CURRENT`` name ``name`` (atomically, fsynced); call under :meth:`writer_lock`."""
        _atomic_write(self.root / CURRENT, name + "\n")
        fsync_path(self.root)

    def current_manifest(self) -> dict[str, Any] | None:
        """The current snapshot's manifest, or None if there is none or it cannot be read."""
        path = self.current_path()
        if path is None:
            return None
        try:
            return read_manifest(path)
        except SnapshotError:
            return None

    def publish(self, snapshot: Snapshot, keep: int = 3) -> Path:
        """Write the snapshot to a temp dir, rename it into place, then switch CURRENT.

        Call it under :meth:`writer_lock`. On any failure everything written so far is
        removed again and CURRENT is untouched, so the last good snapshot keeps serving; a
        full disk raises :class:`StorageFull` (ENOSPC/EDQUOT, and the short writes NumPy and
        FAISS report without an errno, see ``core.errors.is_disk_full``), another OSError a
        SnapshotError.
        """
        self.root.mkdir(parents=True, exist_ok=True)
        name = snapshot.manifest["snapshot_id"]
        tmp = self.root / f".tmp-{name}-{os.getpid()}"
        final = self.root / name
        try:
            if tmp.exists():
                shutil.rmtree(tmp)
            snapshot.write(tmp)
            if final.exists():
                shutil.rmtree(final)
            os.rename(tmp, final)
            _atomic_write(self.root / CURRENT, name + "\n")
            fsync_path(self.root)
        except BaseException as exc:
            full = is_disk_full(exc, self.root)  # before the clean-up frees the space again
            shutil.rmtree(tmp, ignore_errors=True)
            if final.exists() and self.current_path() != final:
                shutil.rmtree(final, ignore_errors=True)
            if full:
                raise StorageFull("the disk is full: the new snapshot could not be written and was removed; "
                                  "the previous snapshot keeps serving. Free disk space and try again.") from exc
            if isinstance(exc, OSError):
                raise SnapshotError(f"could not write the snapshot ({exc.strerror or type(exc).__name__}); "
                                    "the previous snapshot keeps serving") from exc
            raise
        snapshot.path = final
        self.prune(keep)
        return final

    def prune(self, keep: int) -> None:
        """Remove all but the newest ``keep`` snapshots (never the current one) and stale temporaries."""
        current = self.current_path()
        snaps = sorted((p for p in self.root.iterdir() if p.is_dir() and not p.name.startswith(".")), key=lambda p: p.name)
        for old in snaps[:-keep] if keep > 0 else []:
            if current is None or old.resolve() != current.resolve():
                shutil.rmtree(old, ignore_errors=True)
        for stale_tmp in self.root.glob(".tmp-*"):
            pid = stale_tmp.name.rsplit("-", 1)[-1]
            if not pid.isdigit() or not _pid_alive(int(pid)):
                shutil.rmtree(stale_tmp, ignore_errors=True)

    def cleanup(self, keep: int = 3) -> list[str]:
        """Remove what failed or killed writers left behind: ``.tmp-*`` snapshot directories,
        ``.CURRENT.<pid>.tmp`` files, and snapshots beyond the newest ``keep``.

        Call it only while holding :meth:`writer_lock` (then no temporary belongs to a live
        writer, whatever its pid); ``build_index`` does before each write, the server at
        start-up. Returns the names removed.
        """
        if not self.root.is_dir():
            return []
        removed = []
        for stale in list(self.root.glob(".tmp-*")) + list(self.root.glob(f".{CURRENT}.*.tmp")):
            if stale.is_dir():
                shutil.rmtree(stale, ignore_errors=True)
            else:
                stale.unlink(missing_ok=True)
            removed.append(stale.name)
        before = {p.name for p in self.root.iterdir() if p.is_dir()}
        self.prune(keep)
        removed += sorted(before - {p.name for p in self.root.iterdir() if p.is_dir()})
        return removed

    @contextlib.contextmanager
    def writer_lock(self) -> Iterator[None]:
        """One writer at a time (ingest from the CLI and the API share it).

        A context manager over an exclusive, non-blocking ``flock`` on ``<root>/.lock``;
        raises ``Busy`` at once when another process holds it.
        """
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".lock", "w") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as exc:
                raise Busy("another ingest, upload or delete is running; try again when it has finished") from exc
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)


def new_snapshot_id(build_key: str) -> str:
    """``<UTC time YYYYmmddTHHMMSS>-<microseconds of that second, 6 digits>-<first 8 of build_key>``:
    sortable by time (the store takes the newest by name), unique per build.

    Both parts come from one clock reading; the second part was the nanoseconds modulo
    10**6 before, which is not monotonic within a second (two builds in one second could
    sort in the wrong order and the older one be taken for the newest)."""
    ns = time.time_ns()
    return time.strftime("%Y%m%dT%H%M%S", time.gmtime(ns // 1_000_000_000)) + \
        f"-{ns // 1_000 % 1_000_000:06d}-{build_key[:8]}"


def _write_jsonl(path: Path, rows) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        fh.flush()
        os.fsync(fh.fileno())


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "w") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
