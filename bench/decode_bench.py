"""Decode (+ normalise) time per document, in-process, on a generated or an existing corpus.

    .venv/bin/python bench/decode_bench.py [--n 2000] [--seed 3] [--repeat 3]
    .venv/bin/python bench/decode_bench.py --files bench/out/corpus-20000-1/files --n 3000 --decode-only \\
        --rounds 5 [--baseline /tmp/base-decode]

By default the corpus comes from ../shared/tools/make_corpus.py (mixed encodings as files arrive:
UTF-8 with and without BOM, cp1252, latin-1, UTF-16, mojibake) in a temporary directory; --files
takes the first --n files of an existing one instead (a manifest.jsonl beside it names their
encodings). Each document is decoded and normalised `--repeat` times and its best time kept (the
machine is shared); one line is printed: documents, median and p95 per document, and the same for
each encoding as written.

--rounds R times whole passes instead, with time.process_time (CPU time, which other sessions'
load disturbs less than wall time), and prints the mean per document of each pass and their
median: the figure an average-per-file target is about. --baseline DIR also loads
DIR/archiver/pipeline/decode.py (a `git worktree` of an older commit, say) and alternates its passes
with the current code's, so both are measured in the same sitting, under the same load.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
MAKE_CORPUS = ROOT.parent / "shared" / "tools" / "make_corpus.py"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--files", type=Path, help="time the first --n files of this folder instead")
    parser.add_argument("--decode-only", action="store_true", help="time decode alone, without normalize_text")
    parser.add_argument("--rounds", type=int, default=0, help="time R whole passes (CPU time), not each document")
    parser.add_argument("--baseline", type=Path, help="a checkout whose decode.py alternates with this one's")
    args = parser.parse_args()

    documents, kinds = _existing(args.files, args.n) if args.files else _generated(args.n, args.seed)
    decode = importlib.import_module("archiver.pipeline.decode").decode
    step = decode if args.decode_only else _with_normalize(decode)
    if args.rounds:
        steps = {"current": step}
        if args.baseline:
            base = _load_decode(args.baseline / "archiver" / "pipeline" / "decode.py").decode
            steps["baseline"] = base if args.decode_only else _with_normalize(base)
        _passes(steps, [data for _, data in documents], args.rounds)
        return 0
    _per_document(step, documents, kinds, args.repeat, "decode" if args.decode_only else "decode+normalize")
    return 0


def _generated(n: int, seed: int) -> tuple[list[tuple[str, bytes]], dict[str, str]]:
    with tempfile.TemporaryDirectory() as tmp:
        out, manifest = Path(tmp) / "corpus", Path(tmp) / "manifest.jsonl"
        command = [sys.executable, str(MAKE_CORPUS), str(out), "--n", str(n), "--seed", str(seed)]
        subprocess.run([*command, "--manifest", str(manifest)], check=True, stdout=subprocess.DEVNULL)
        kinds = _kinds(manifest)
        return [(path.name, path.read_bytes()) for path in sorted(out.iterdir())], kinds


def _existing(folder: Path, n: int) -> tuple[list[tuple[str, bytes]], dict[str, str]]:
    manifest = folder.parent / "manifest.jsonl"
    kinds = _kinds(manifest) if manifest.is_file() else {}
    return [(path.name, path.read_bytes()) for path in sorted(folder.iterdir())[:n]], kinds


def _kinds(manifest: Path) -> dict[str, str]:
    kinds = {}
    for line in manifest.open(encoding="utf-8"):
        record = json.loads(line)
        kinds[record["name"]] = record["encoding"] + ("+mojibake" if record.get("mojibake") else "")
    return kinds


def _with_normalize(decode: Callable[[bytes], Any]) -> Callable[[bytes], Any]:
    from archiver.pipeline.normalize import normalize_text

    return lambda data: normalize_text(decode(data).text)


def _load_decode(path: Path) -> Any:
    """Another checkout's decode module, beside this one's (its imports resolve to this checkout)."""
    spec = importlib.util.spec_from_file_location("baseline_decode", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run(step: Callable[[bytes], Any], data: bytes) -> None:
    try:
        step(data)
    except Exception:  # noqa: BLE001 (binary and empty files are refused: that is decoding too)
        pass


def _passes(steps: dict[str, Callable[[bytes], Any]], datas: list[bytes], rounds: int) -> None:
    """Whole passes, alternating the steps' order from round to round; mean CPU ms per document."""
    for step in steps.values():  # warm up: imports, tables, caches, as a long-running worker has them
        for data in datas:
            _run(step, data)
    means: dict[str, list[float]] = defaultdict(list)
    names = list(steps)
    for round_ in range(rounds):
        for name in names if round_ % 2 == 0 else names[::-1]:
            start = time.process_time()
            for data in datas:
                _run(steps[name], data)
            means[name].append((time.process_time() - start) / len(datas) * 1e3)
    for name in names:
        passes = " ".join(f"{value:.3f}" for value in means[name])
        print(f"{name}: docs={len(datas)} mean_ms_per_doc[{passes}] median={statistics.median(means[name]):.3f}")
    if len(names) == 2:
        ratio = statistics.median(means[names[0]]) / statistics.median(means[names[1]])
        print(f"{names[0]}/{names[1]} = {ratio:.3f}")


def _per_document(
    step: Callable[[bytes], Any], documents: list[tuple[str, bytes]], kinds: dict[str, str], repeat: int, label: str
) -> None:
    _run(step, b"warm up: caf\xe9 cr\xe8me")  # imports chardet and builds tables once, as a worker does
    times: list[float] = []
    by_kind: dict[str, list[float]] = defaultdict(list)
    sizes: list[int] = []
    for name, data in documents:
        best = float("inf")
        for _ in range(repeat):
            start = time.perf_counter()
            _run(step, data)
            best = min(best, time.perf_counter() - start)
        times.append(best)
        by_kind[kinds.get(name, "?")].append(best)
        sizes.append(len(data))

    def ms(values: list[float], q: float) -> str:
        ordered = sorted(values)
        return f"{ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1e3:.3f}"

    per_kind = " ".join(f"{kind}:{ms(v, 0.5)}" for kind, v in sorted(by_kind.items()))
    print(
        f"{label} docs={len(times)} median_bytes={int(statistics.median(sizes))} "
        f"median_ms={ms(times, 0.5)} p95_ms={ms(times, 0.95)} per_encoding_median_ms[{per_kind}]"
    )


if __name__ == "__main__":
    sys.exit(main())
