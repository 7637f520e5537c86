"""Run one index build in a child process under time and memory limits.

The server's writes (an upload, a delete) rebuild the index with text nobody has vetted:
analysis, compound splitting, the municipality catalogue and the embeddings all run on
it. :func:`build_in_child` does that work in a separate Python process, so

- a build that takes longer than ``upload_build_seconds`` (wall clock) is killed with its
  whole process group, and nothing is published (the writer lock dies with it; the next
  writer removes its temporary snapshot directory);
- its address space is limited to ``upload_build_memory_mb`` (``RLIMIT_AS``) and its CPU
  time to the wall limit times the number of cores (``RLIMIT_CPU``);
- it runs at a lower priority (``nice`` +10), so searches keep the CPU they need;
- whatever it loads (the splitter's n-gram tables, the GeoNames index, the dictionary,
  the window encoder: about 800 MB) is freed when it exits, instead of staying in the
  serving process for good;
- the serving process holds no interpreter lock meanwhile: it only waits for the child.

The child runs :func:`index.build.build_index` with the parent's settings and an embedder
with the same fingerprint (the real model from the settings, or the tests'
``HashEmbedder``), and answers with the build outcome or the error (code, message,
detail), which the parent raises again as the same domain error.

A fresh child pays its start before it writes anything: the imports (3–4 s), the
analyzer's compound tables on first use (4 s) and the model (4–13 s, in a thread). With a
warm :class:`ingest.forkserver.ForkServer` (:func:`build_server`, started by the serving
process for uploads) the child is forked from a process that has all three loaded, and
runs the same entry under the same limits; without one, or while it is unavailable, a
fresh process is started as before.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from dataclasses import asdict
from pathlib import Path
from typing import Any

from core.errors import (Busy, ConfigError, IngestError, ModelError, PraxisError, SnapshotError, StorageFull,
                         is_disk_full)
from core.schema import Document, Passage
from core.settings import Settings
from index.model.embedder import HashEmbedder
from index.runtime import load_embedder
from ingest.forkserver import ForkServer, Unavailable, die_with_parent, renice_to

log = logging.getLogger("praxisfinder.build")

NICE = 10
_ERRORS: dict[str, type[PraxisError]] = {
    "insufficient_storage": StorageFull, "conflict": Busy, "snapshot_error": SnapshotError,
    "ingest_error": IngestError, "model_error": ModelError, "config_error": ConfigError,
}


class BuildLimitExceeded(IngestError):
    """The build of an upload passed its time or memory limit and was stopped; nothing was
    published (code ``ingest_error``: 422, CLI exit 65)."""

def embedder_spec(embedder) -> dict[str, Any]:
    """How the child gets an embedder equal to ``embedder``: ``{"kind": "hash", "dim"}``
    for the tests' ``HashEmbedder``, else ``{"kind": "model"}`` (``index.runtime.load_embedder``
    with the same settings); ``fingerprint`` is checked in the child."""

    if isinstance(embedder, HashEmbedder):
        return {"kind": "hash", "dim": embedder.dim, "fingerprint": embedder.fingerprint}
    return {"kind": "model", "fingerprint": embedder.fingerprint}


def settings_payload(settings: Settings) -> dict[str, Any]:
    """Every setting as JSON data (paths as strings); secrets left out (the upload token),
    except those the build needs (``to_child``: the database URLs of the PostgreSQL store;
    the request file is readable by this user only)."""
    out = {}
    for e in Settings.entries():
        if e.field.metadata.get("secret") and not e.field.metadata.get("to_child"):
            continue
        value = settings.get(e.name)
        out[e.name] = str(value) if isinstance(value, Path) else value
    return out


def settings_from_payload(payload: dict[str, Any]) -> Settings:
    """The inverse of :func:`settings_payload` (no environment is read)."""
    values = {}
    for e in Settings.entries():
        if e.name in payload:
            values[e.name] = Path(payload[e.name]) if str(e.field.type) == "Path" else payload[e.name]
    return Settings.from_env({}, **values)


def build_server(settings: Settings, embedder) -> ForkServer:
    """A fork server for :func:`build_in_child` (not started): its zygote imports
    ``index.build``, loads the analyzer's tables and, for the real model, the model with
    ``settings`` (``_preload``); a job whose settings name another model loads its own."""
    return ForkServer("build", "index.build_process:_preload",
                      {"settings": settings_payload(settings), "embedder": embedder_spec(embedder)})


def build_in_child(settings: Settings, embedder, *, remove: tuple[str, ...] = (),
                   prepared: list[tuple[Document, list[Passage]]] = (), server: ForkServer | None = None):
    """``build_index(settings, embedder, add=True, remove=remove, prepared=prepared)`` in a
    child process under ``upload_build_seconds`` and ``upload_build_memory_mb``. With
    ``prepared`` documents (an upload) the write is staged on the PostgreSQL store
    (``build_index(staged=True)``: BM25-searchable before the embedding).

    Returns the ``index.build.BuildOutcome``. Raises the child's domain error again
    (``Busy``, ``StorageFull``, ``SnapshotError``, ``IngestError``, ...), or
    ``BuildLimitExceeded`` when the child was stopped at a limit (killed at the time
    limit, or out of memory). Nothing is published in either case."""
    # lazy: index.build loads the ingest pipeline with NLTK's Punkt (~3 s); the serving process that starts the child never builds itself
    from index.build import BuildOutcome

    request = {"settings": settings_payload(settings), "embedder": embedder_spec(embedder), "remove": list(remove),
               "prepared": [{"document": asdict(d), "passages": [asdict(p) for p in ps]} for d, ps in prepared],
               "limits": {"seconds": settings.upload.build_seconds, "memory_mb": settings.upload.build_memory_mb,
                          "cpu_s": settings.upload.build_seconds * max(1, os.cpu_count() or 1) + 10},
               "parent": os.getpid(), "sent_at": time.time()}
    seconds = settings.upload.build_seconds
    too_long = BuildLimitExceeded(
        f"building the index with this document took longer than {seconds} s "
        "(PRAXISFINDER_UPLOAD_BUILD_SECONDS) and was stopped; the index is unchanged", {"limit_seconds": seconds})
    with tempfile.TemporaryDirectory(prefix="praxisfinder-build-") as tmp:
        req, out, errors = Path(tmp) / "request.json", Path(tmp) / "answer.json", Path(tmp) / "stderr.log"
        returncode = None
        if server is not None:
            # forked from the zygote, which dies with this process (and the child with it)
            req.write_text(json.dumps({**request, "parent": None}, ensure_ascii=False), encoding="utf-8")
            try:
                returncode = server.run("index.build_process:_main", [str(req), str(out)], stderr=errors,
                                        timeout=seconds)
                if returncode is None:
                    raise too_long
            except Unavailable as exc:
                log.info("building in a fresh process: %s", exc)
        if returncode is None:
            req.write_text(json.dumps(request, ensure_ascii=False), encoding="utf-8")
            cmd = [sys.executable, "-c", "from index.build_process import _main; _main()", str(req), str(out)]
            with open(errors, "wb") as stderr:  # a file, not a pipe: the child never dies of a closed pipe
                proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=stderr, start_new_session=True)
            try:
                proc.wait(timeout=seconds)
            except subprocess.TimeoutExpired:
                _kill_group(proc)
                raise too_long from None
            returncode = proc.returncode
        try:
            answer = json.loads(out.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            answer = {}
        err = errors.read_bytes()[-4000:]
    if answer.get("ok"):
        o = answer["outcome"]
        return BuildOutcome(o["rebuilt"], Path(o["snapshot_path"]) if o["snapshot_path"] else None, o["reason"],
                            o["report"], o["timings"], o["counts"])
    if answer.get("error"):
        e = answer["error"]
        if e.get("traceback"):
            log.warning("build child failed: %s", e["traceback"][-1500:])
        if e.get("limit"):
            raise BuildLimitExceeded(e["message"], e.get("detail"))
        raise _ERRORS.get(e.get("code"), PraxisError)(e["message"], e.get("detail"))
    if returncode in (-signal.SIGKILL, -signal.SIGXCPU, -signal.SIGSEGV, 137, 152):
        raise BuildLimitExceeded(
            f"building the index with this document exceeded its time or memory limit (signal "
            f"{-returncode if returncode < 0 else returncode - 128}); the index is unchanged")
    tail = (err or b"").decode("utf-8", "replace")[-800:]
    if "MemoryError" in tail or "bad_alloc" in tail or "std::bad_alloc" in tail:
        raise BuildLimitExceeded(f"building the index with this document needed more memory than its limit of "
                                 f"{settings.upload.build_memory_mb} MiB (PRAXISFINDER_UPLOAD_BUILD_MEMORY_MB) "
                                 "and was stopped; the index is unchanged")
    log.warning("build child failed with exit code %s: %s", returncode, tail)
    raise SnapshotError("the index could not be rebuilt (the build process failed); the previous snapshot "
                        "keeps serving")


def _kill_group(proc: subprocess.Popen) -> None:
    """SIGKILL the child's process group (it leads its own session) and reap it."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(timeout=30)


def _main() -> None:
    """Child entry: argv = request JSON path, answer JSON path (see :func:`build_in_child`)."""
    # lazy: POSIX-only module, used by the sandboxed child alone
    import resource

    req_path, out_path = sys.argv[1], sys.argv[2]
    die_with_parent()  # the server, or the fork server's zygote that forked this process
    request = json.loads(Path(req_path).read_text(encoding="utf-8"))
    if request.get("parent") is not None and os.getppid() != request["parent"]:  # the server died before the line above
        sys.exit(1)
    Path(req_path).with_name("started").touch()  # from here on this process dies with the server
    limits = request["limits"]
    renice_to(NICE)  # a forked child has it from its zygote already
    mem = int(limits["memory_mb"]) * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
    cpu = int(limits["cpu_s"])
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
    memory = {"ok": False, "error": {"code": "ingest_error", "limit": True, "message":
              f"building the index with this document needed more memory than its limit of {limits['memory_mb']} "
              "MiB (PRAXISFINDER_UPLOAD_BUILD_MEMORY_MB) and was stopped; the index is unchanged"}}
    try:
        if _address_space() >= 0.9 * mem:  # forked from a zygote that already holds more (its model, tables)
            raise MemoryError
        answer = {"ok": True, "outcome": _build(request)}
    except (ConfigError, SnapshotError) as exc:  # a lazy import or allocation that failed at the memory limit
        answer = memory if _out_of_memory(exc, mem) else \
            {"ok": False, "error": {"code": exc.code, "message": exc.message, "detail": _plain(exc.detail)}}
    except PraxisError as exc:
        answer = {"ok": False, "error": {"code": exc.code, "message": exc.message, "detail": _plain(exc.detail)}}
    except MemoryError:
        answer = memory
    except Exception as exc:  # noqa: BLE001 - reported to the parent, which keeps serving


        if _out_of_memory(exc, mem):
            answer = memory
        elif is_disk_full(exc, Path(request["settings"]["data_dir"])):
            answer = {"ok": False, "error": {"code": "insufficient_storage", "message":
                      "the disk is full: the new snapshot could not be written; the previous snapshot keeps "
                      "serving. Free disk space and try again."}}
        else:
            answer = {"ok": False, "error": {"code": "snapshot_error", "traceback": traceback.format_exc(), "message":
                      f"the index could not be rebuilt ({type(exc).__name__}); the previous snapshot keeps serving"}}
    Path(out_path).write_text(json.dumps(answer, ensure_ascii=False, default=str), encoding="utf-8")


def _address_space() -> int:
    """This process' address space now (``VmSize``), bytes; 0 where /proc is missing. A
    child forked from the warm build server starts with the zygote's model and tables
    mapped: under a limit below that, allocations fail at random places (a thread whose
    start fails to allocate leaves ``Thread.start`` waiting for good), so the build is
    refused at once instead, with the same answer as a fresh child that ran out of memory."""
    try:
        status = Path("/proc/self/status").read_text()
        return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmSize:"))) * 1024
    except (OSError, StopIteration, ValueError, IndexError):
        return 0


def _out_of_memory(exc: BaseException, limit: int) -> bool:
    """Did ``exc`` come from the address-space limit? A MemoryError or ENOMEM anywhere in
    its chain, or (allocation failures inside C extensions surface as other errors, such
    as SystemError during an import) a peak address space within 10 % of ``limit`` bytes."""

    seen = exc
    while seen is not None:
        if isinstance(seen, MemoryError) or (isinstance(seen, OSError) and seen.errno == errno.ENOMEM):
            return True
        seen = seen.__cause__ or seen.__context__
    try:
        status = Path("/proc/self/status").read_text()
        peak_kb = int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmPeak:")))
    except (OSError, StopIteration, ValueError, IndexError):
        return False
    return peak_kb * 1024 >= 0.9 * limit


class _LoadingEmbedder:
    """The server's model, loaded by a thread that starts at once, so that reading the upload
    and a staged write's first commit (BM25, ``build_index(staged=True)``) do not wait for
    it (about 10 s on two loaded cores); the first use of the model waits for the thread.
    ``fingerprint`` is the server's; the loaded model must have the same (``ModelError``
    at first use otherwise: with a staged write that is after the first commit, which
    leaves a "partial" document that keyword search finds and a new upload completes)."""

    def __init__(self, settings: Settings, fingerprint: str):
        self.fingerprint = fingerprint
        self._settings = settings
        self._model = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._load, name="load-model", daemon=True)
        self._thread.start()

    def _load(self) -> None:
        try:
            self._model = load_embedder(self._settings, provision=False)
        except BaseException as exc:  # raised again at first use, in the build's thread
            self._error = exc

    def model(self):
        """The loaded model (waits for the loading thread)."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        if self._model.fingerprint != self.fingerprint:
            raise ModelError(f"the build process loaded model {self._model.fingerprint[:12]}, not the server's "
                             f"{str(self.fingerprint)[:12]}")
        return self._model

    def __getattr__(self, name: str):
        return getattr(self.model(), name)


def _build(request: dict[str, Any]) -> dict[str, Any]:
    # lazy: index.build loads the ingest pipeline with NLTK's Punkt (~3 s); the serving process that starts the child never builds itself
    from index.build import build_index

    settings = settings_from_payload(request["settings"])
    spec = request["embedder"]
    if spec["kind"] == "hash":
        embedder = HashEmbedder(int(spec["dim"]))
        if embedder.fingerprint != spec["fingerprint"]:
            raise ModelError(f"the build process loaded model {embedder.fingerprint[:12]}, not the server's "
                             f"{str(spec['fingerprint'])[:12]}")
    elif _WARM and _WARM["fingerprint"] == spec["fingerprint"] and _WARM["key"] == _model_key(settings):
        embedder = _WARM["model"]  # loaded by the fork server's zygote before it forked this process
    else:
        embedder = _LoadingEmbedder(settings, spec["fingerprint"])
    prepared = [(Document.from_dict(item["document"]), [Passage.from_dict(p) for p in item["passages"]])
                for item in request["prepared"]]
    # from the server's request to here: the process start, imports and set-up (warm: the fork)
    start_s = round(time.time() - request["sent_at"], 2) if request.get("sent_at") else None
    # an upload on the PostgreSQL store: BM25-searchable before its embedding (staged write)
    outcome = build_index(settings, embedder, None, add=True, remove=tuple(request["remove"]), prepared=prepared,
                          staged=bool(prepared))
    timings = {"child_start_s": start_s, **outcome.timings} if start_s is not None else outcome.timings
    return {"rebuilt": outcome.rebuilt, "snapshot_path": str(outcome.snapshot_path) if outcome.snapshot_path else None,
            "reason": outcome.reason, "report": outcome.report, "timings": timings, "counts": outcome.counts}


_WARM: dict[str, Any] = {}  # in a fork server's zygote: the preloaded model, its fingerprint and _model_key


def _preload(args: dict[str, Any]) -> None:
    """Fork-server preload (:func:`build_server`): the imports of a build, the analyzer's
    compound tables (one analysis), the PostgreSQL driver, and for ``{"kind": "model"}``
    the model itself (``_WARM``, used by a forked build whose settings name the same model
    and fingerprint). Failures only leave the loading to the job (logged to stderr)."""
    # lazy: loaded into the fork server's zygote only
    from index.analyzer import analyze
    # lazy: loaded into the fork server's zygote only
    from index.build import build_index  # noqa: F401

    analyze("Integrationsbeauftragte koordinieren Sprachkursangebote und Ehrenamtsprojekte im Landkreis")
    try:
        # lazy: loaded into the fork server's zygote only (the vector indexes of a build)
        from index.ann.faiss import _faiss

        _faiss()
    except ConfigError:  # faiss-cpu is not installed: the numpy backend only
        pass
    try:
        # lazy: loaded into the fork server's zygote only (the PostgreSQL store's writer)
        import index.store.pg_write  # noqa: F401
        # lazy: loaded into the fork server's zygote only
        import index.store.postgres  # noqa: F401
    except ImportError:  # the postgres extra is not installed: the embedded store only
        pass
    settings = settings_from_payload(args["settings"])
    if args["embedder"].get("kind") == "model":
        try:
            model = load_embedder(settings, provision=False)
        except Exception as exc:  # noqa: BLE001 - each job then loads the model itself and reports the error
            print(f"build fork server: the model was not preloaded: {exc}", file=sys.stderr)
            return
        _WARM.update(model=model, fingerprint=model.fingerprint, key=_model_key(settings))


def _model_key(settings: Settings) -> list[str]:
    """What decides which model ``load_embedder`` loads: directory, runtime, device."""
    return [str(settings.model.dir), settings.model.encoder_backend, settings.model.device]


def _plain(detail: Any) -> Any:
    """``detail`` as JSON data (paths as strings), for the answer file."""
    return json.loads(json.dumps(detail, default=str))
