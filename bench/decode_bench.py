"""Decode + normalise time per document, in-process, on a generated corpus of ~5 KB articles.

    .venv/bin/python bench/decode_bench.py [--n 2000] [--seed 3] [--repeat 3]

The corpus comes from ../shared/tools/make_corpus.py (mixed encodings as files arrive: UTF-8 with
and without BOM, cp1252, latin-1, UTF-16, mojibake) in a temporary directory. Each document is
decoded and normalised `--repeat` times and its best time kept (the machine is shared); one line
is printed: documents, median and p95 per document, and the same for each encoding as written.
"""

from __future__ import annotations

import argparse
import importlib
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAKE_CORPUS = ROOT.parent / "shared" / "tools" / "make_corpus.py"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    decode = importlib.import_module("archiver.pipeline.decode").decode
    from archiver.pipeline.normalize import normalize_text

    with tempfile.TemporaryDirectory() as tmp:
        out, manifest = Path(tmp) / "corpus", Path(tmp) / "manifest.jsonl"
        command = [sys.executable, str(MAKE_CORPUS), str(out), "--n", str(args.n), "--seed", str(args.seed)]
        subprocess.run(
            [*command, "--manifest", str(manifest)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        kinds = {}
        for line in manifest.open(encoding="utf-8"):
            record = json.loads(line)
            kinds[record["name"]] = record["encoding"] + ("+mojibake" if record.get("mojibake") else "")
        documents = [(path.name, path.read_bytes()) for path in sorted(out.iterdir())]

    decode(b"warm up: caf\xe9 cr\xe8me")  # imports chardet and builds tables once, as a worker does
    times: list[float] = []
    by_kind: dict[str, list[float]] = defaultdict(list)
    sizes: list[int] = []
    for name, data in documents:
        best = float("inf")
        for _ in range(args.repeat):
            start = time.perf_counter()
            normalize_text(decode(data).text)
            best = min(best, time.perf_counter() - start)
        times.append(best)
        by_kind[kinds.get(name, "?")].append(best)
        sizes.append(len(data))

    def ms(values: list[float], q: float) -> str:
        ordered = sorted(values)
        return f"{ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1e3:.3f}"

    per_kind = " ".join(f"{kind}:{ms(v, 0.5)}" for kind, v in sorted(by_kind.items()))
    print(
        f"decode+normalize docs={len(times)} median_bytes={int(statistics.median(sizes))} "
        f"median_ms={ms(times, 0.5)} p95_ms={ms(times, 0.95)} per_encoding_median_ms[{per_kind}]"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
