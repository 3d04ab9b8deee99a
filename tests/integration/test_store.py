"""The store on both databases: identity, idempotency, near-duplicates, identity across learning."""

from __future__ import annotations

import hashlib

from archiver.pipeline import process
from archiver.pipeline.identity import block_hash
from archiver.store.repository import Arrival, Store, compress

STOCK = "Tide tables for the week are printed on the back page with the ferry timetable and the weather."


def arrival(raw: bytes, name: str, *, learned: frozenset[str] = frozenset(), mtime_ns: int = 1) -> Arrival:
    document = process(raw, source="gazette", learned=learned)
    return Arrival(name, "gazette", len(raw), mtime_ns, hashlib.sha256(raw).hexdigest(), compress(raw), document)


def text(n: int) -> bytes:
    return (
        f"Harbour report {n}\n\nThe council approved plan number {n} for the harbour on Tuesday after long talks "
        f"with the unions, the port authority and the fishermen of the northern coast.\n\n{STOCK}\n\n"
        f"A decision on the second part of plan {n} is expected before the summer, officials said.\n"
    ).encode()


def test_a_copy_arriving_after_learning_is_still_the_same_document(database_url: str) -> None:
    store = Store(database_url, upgrade=True)
    raw = text(1)
    (first,) = store.save_batch([arrival(raw, "a.txt")])
    learned = frozenset({block_hash(STOCK)})
    later = arrival(raw, "b.txt", learned=learned)
    assert later.document.content_hash != process(raw, source="gazette").content_hash  # the body did change
    (second,) = store.save_batch([later])
    assert second.status == "duplicate" and second.document_id == first.document_id
    (third,) = store.save_batch([arrival(text(2), "c.txt", learned=learned)])  # a new article stays new
    assert third.status == "new"
    store.close()


def test_near_duplicate_is_linked_not_merged(database_url: str) -> None:
    store = Store(database_url, upgrade=True)
    body = " ".join(f"word{i % 97} term{i % 89} item{i % 83}" for i in range(150))
    original = f"A long report\n\n{body}.\n".encode()
    edited = original.replace(b"word5 term5", b"changed words", 1)
    (a,) = store.save_batch([arrival(original, "a.txt")])
    (b,) = store.save_batch([arrival(edited, "b.txt")])
    assert a.status == b.status == "new"
    assert b.near_duplicate_of == a.document_id
    assert store.counts()["documents"] == 2
    store.close()
