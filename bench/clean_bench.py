#!/usr/bin/env python3
"""Whole cleaning (normalise, blocks, language, boilerplate, metadata, identity) per document (issue 5).

    python bench/clean_bench.py [--corpus /tmp/clean_bench/corpus] [--n 2000] [--dev DIR] [--runs 3]
                                [--results bench/RESULTS.md]

Times `archiver.pipeline.clean` on already decoded text (decoding is issue 4's benchmark), in one
process, over the documents of `make_corpus.py OUT --n 2000 --seed 5` (made if missing) and over the
boilerplate dev inputs (real pages saved as text). Each document is cleaned `--runs` times and its
fastest run kept (the machine is shared); the figure is the median of those over all documents.
Target: <= 2 ms per document median. Also times `boilerplate.classify` alone (blocks and language
computed beforehand). Prints one line; with --results, appends a row to the
"## clean" section of bench/RESULTS.md (creating the file or the section if absent).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from archiver.pipeline import clean
from archiver.pipeline.boilerplate import classify, split_blocks
from archiver.pipeline.decode import decode
from archiver.pipeline.document import Decoded
from archiver.pipeline.language import detect_language
from archiver.pipeline.normalize import normalize_text

ROOT = Path(__file__).resolve().parents[1]
MAKE_CORPUS = Path("/work/shared/tools/make_corpus.py")
DEV = Path("/work/shared/data/boilerplate-dev/inputs")
SECTION = "## clean"
HEADER = "| date (UTC) | machine | command | figures |"


def corpus_files(corpus: Path, n: int) -> list[Path]:
    files = sorted(corpus.glob("*.txt"))
    if len(files) < n:
        corpus.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [sys.executable, str(MAKE_CORPUS), str(corpus), "--n", str(n), "--seed", "5"],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        files = sorted(corpus.glob("*.txt"))
    return files[:n]


def timings(texts: list[Decoded], runs: int) -> list[float]:
    """Fastest of `runs` cleanings of each document, in ms."""
    out = []
    for decoded in texts:
        best = float("inf")
        for _ in range(runs):
            start = time.perf_counter()
            clean(decoded)
            best = min(best, time.perf_counter() - start)
        out.append(best * 1000)
    return out


def classify_timings(texts: list[Decoded], runs: int) -> list[float]:
    """Fastest of `runs` boilerplate classifications of each document (its blocks and language ready), in ms."""
    out = []
    for decoded in texts:
        text = normalize_text(decoded.text)
        blocks, _ = split_blocks(text)
        language = detect_language(text)
        best = float("inf")
        for _ in range(runs):
            start = time.perf_counter()
            classify(blocks, language)
            best = min(best, time.perf_counter() - start)
        out.append(best * 1000)
    return out


def append_result(path: Path, row: str) -> None:
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmark results\n"
    if SECTION not in text:
        text = text.rstrip("\n") + f"\n\n{SECTION}\n\n{HEADER}\n|---|---|---|---|\n"
    lines = text.split("\n")
    start = lines.index(SECTION)
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    while end > start and not lines[end - 1].strip():
        end -= 1
    lines.insert(end, row)
    path.write_text("\n".join(lines).rstrip("\n") + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=Path("/tmp/clean_bench/corpus"))
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--dev", type=Path, default=DEV)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--results", type=Path, help="append a row to this RESULTS.md")
    args = parser.parse_args(argv)

    corpus = [decode(p.read_bytes()) for p in corpus_files(args.corpus, args.n)]
    dev = [decode(p.read_bytes()) for p in sorted(args.dev.glob("*.txt"))] if args.dev.is_dir() else []
    clean(corpus[0])  # load rules, stopwords and the language model once
    corpus_ms = timings(corpus, args.runs)
    dev_ms = timings(dev, args.runs) if dev else []
    both = corpus_ms + dev_ms
    classify_corpus = statistics.median(classify_timings(corpus, args.runs))
    classify_dev = statistics.median(classify_timings(dev, args.runs)) if dev else float("nan")
    corpus_median = statistics.median(corpus_ms)
    dev_median = statistics.median(dev_ms) if dev_ms else float("nan")
    all_median = statistics.median(both)
    print(
        f"clean: median {all_median:.2f} ms/doc over {len(both)} docs "
        f"(corpus {corpus_median:.2f} ms over {len(corpus_ms)}, dev pages {dev_median:.2f} ms over {len(dev_ms)}; "
        f"target <= 2 ms); classify alone: corpus {classify_corpus:.2f} ms, dev pages {classify_dev:.2f} ms"
    )
    if args.results:
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        machine = f"{os.cpu_count()} cores, shared with other sessions (load avg {load} at the end)"
        command = (
            f"`.venv/bin/python bench/clean_bench.py --runs {args.runs}` (make_corpus `--n {args.n} --seed 5`"
            f" + {len(dev_ms)} boilerplate-dev pages, in-process `clean(decoded)`, best of {args.runs} per doc)"
        )
        figures = (
            f"**median {all_median:.2f} ms/doc** over {len(both)} docs; corpus {corpus_median:.2f} ms, "
            f"dev pages {dev_median:.2f} ms; p95 {statistics.quantiles(both, n=20)[-1]:.2f} ms; "
            f"boilerplate classify alone: corpus {classify_corpus:.2f} ms, dev pages {classify_dev:.2f} ms"
        )
        append_result(args.results, f"| {datetime.now(UTC):%Y-%m-%d %H:%M} | {machine} | {command} | {figures} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
