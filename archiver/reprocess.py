"""`archiver reprocess`: the current pipeline, rules and learned boilerplate over the stored originals."""

from __future__ import annotations

from archiver.config import Settings
from archiver.errors import NotText
from archiver.pipeline import process
from archiver.sidecar import sidecar_fields
from archiver.store.maintenance import (
    ReprocessReport,
    apply_reprocessed,
    content_hash_of,
    iter_originals,
    select_documents,
)
from archiver.store.repository import Store


def reprocess(
    settings: Settings,
    *,
    ids: list[int] | None = None,
    source: str | None = None,
    language: str | None = None,
    dry_run: bool = False,
) -> ReprocessReport:
    from rich.progress import track

    store = Store(settings.database_url, upgrade=True)
    store.refresh_learned(settings.learn_min_documents)
    learned = store.learned_blocks()
    selected = select_documents(store, ids=ids, source=source, language=language)
    report = ReprocessReport()
    originals = iter_originals(store, selected)
    for original in track(originals, total=len(selected), description="reprocessing", transient=True):
        try:
            document = process(
                original.raw,
                source=original.source,
                learned=learned.get(original.source or "", frozenset()),
                overrides=sidecar_fields(original.overrides),
            )
        except NotText as exc:
            report.changes.append(f"document {original.document_id}: kept as is ({exc.reason})")
            continue
        if dry_run:
            _compare_only(store, original.document_id, document.content_hash, report)
        else:
            apply_reprocessed(store, original.document_id, document, report)
    store.close()
    return report


def _compare_only(store: Store, document_id: int, new_hash: str, report: ReprocessReport) -> None:
    if content_hash_of(store, document_id) == new_hash:
        report.unchanged += 1
    else:
        report.updated += 1
        report.changes.append(f"document {document_id}: clean body would change")
