"""Time metadata extraction (language detection and extract_metadata) per document.

Usage: python bench/metadata_bench.py [--data DIR | --files DIR] [--limit N] [--cold] [--repeat N]

Reads the split's inputs (or every *.txt of --files, e.g. a make_corpus folder), prepares each page
as `clean()` does (decode, normalise, blocks and their paragraphs, boilerplate verdicts) outside
the timed region, then times detect_language and extract_metadata(blocks, verdicts, language,
paragraphs) as `clean()` calls them.
--cold clears the per-process line caches before every run (a worst case: in a worker, menu and
footer lines repeat across the pages of a site and stay cached). --repeat N times each document N
times and keeps its fastest run (the machine is shared: this takes out most of the noise; with
--cold every run starts from empty caches, without it the runs after the first are warm). The
languages of samples already read are forgotten before every run: a repeat is no duplicate file.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from archiver.pipeline import boilerplate, metadata
from archiver.pipeline import language as languages
from archiver.pipeline.decode import decode
from archiver.pipeline.normalize import normalize_text

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "boilerplate-dev"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--files", type=Path, help="a folder of *.txt pages instead of the split's inputs")
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--cold", action="store_true")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    paths = sorted(args.files.glob("*.txt") if args.files else (args.data / "inputs").glob("*.txt"))
    if args.limit:
        paths = paths[: args.limit]
    pages = []
    for path in paths:
        text = normalize_text(decode(path.read_bytes()).text)
        blocks, paragraphs = boilerplate.split_blocks(text)
        language = languages.detect_language(text)
        pages.append((text, blocks, boilerplate.classify(blocks, language), paragraphs))
    language_ms, metadata_ms = [], []
    for text, blocks, verdicts, paragraphs in pages:
        best_language = best_metadata = float("inf")
        for _ in range(max(1, args.repeat)):
            languages._language_of.cache_clear()
            if args.cold:
                metadata._dates.cache_clear()
                metadata._short_byline.cache_clear()
            start = time.process_time()
            language = languages.detect_language(text)
            middle = time.process_time()
            metadata.extract_metadata(blocks, verdicts, language, paragraphs)
            end = time.process_time()
            best_language = min(best_language, (middle - start) * 1000)
            best_metadata = min(best_metadata, (end - middle) * 1000)
        language_ms.append(best_language)
        metadata_ms.append(best_metadata)
    both = [a + b for a, b in zip(language_ms, metadata_ms, strict=True)]
    caches = "cold" if args.cold else "warm"
    print(f"{len(pages)} documents (CPU time, {caches} caches, best of {max(1, args.repeat)} per document)")
    for name, values in (("detect_language", language_ms), ("extract_metadata", metadata_ms), ("both", both)):
        values.sort()
        p90 = values[int(len(values) * 0.9)]
        print(
            f"{name:17s} median {statistics.median(values):.3f} ms  p90 {p90:.3f} ms  "
            f"mean {statistics.mean(values):.3f} ms"
        )


if __name__ == "__main__":
    main()
