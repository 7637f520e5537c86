"""A writer process the crash test kills: it adds one document to the PostgreSQL store and,
inside the transaction, just before commit, prints ``in-transaction`` and waits to be killed."""

from __future__ import annotations

import sys
import time

import numpy as np

from core.schema import Document, Passage
from index.store.postgres import PostgresStore


def main(url: str) -> None:
    doc = Document("verloren", "Verlorenes Dokument", "verloren.txt", "0" * 64, "txt", "Zwergpinscherverein Ortsteil.")
    passages = [Passage(f"verloren-{i}", doc.id, doc.title, f"Zwergpinscherverein im Ortsteil {i}.", None, [], 0, 10, i)
                for i in range(3)]
    store = PostgresStore(url)
    dim = int(store.conn.execute("SELECT dim FROM pf_generations ORDER BY gen DESC LIMIT 1").fetchone()[0])
    store.conn.commit()
    vectors = np.eye(3, dim, dtype=np.float32)

    def hang() -> None:
        print("in-transaction", flush=True)
        time.sleep(120)

    with store.writer_lock():
        store.write_document(doc, passages, vectors, None, None, before_commit=hang)


if __name__ == "__main__":
    main(sys.argv[1])
