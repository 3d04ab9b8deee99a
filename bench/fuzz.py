"""Long fuzz run of the pipeline: N inputs (default 100,000), each must give a Document or a NotText/FileRejected.

Inputs: random bytes, random text in many encodings built from tricky pieces, and byte-level mutations
(flips, cuts, splices, inserted NULs and BOMs) of the seed articles in shared/seeds. Deterministic for a seed.
Every input runs under a 10 s alarm: a hang counts as a failure. Anything else than a Document or a refusal
is saved under bench/out/fuzz-crash-*.bin and counted. Prints counts by outcome and the slowest inputs.

    .venv/bin/python bench/fuzz.py [--n 100000] [--seed 1]
"""

from __future__ import annotations

import argparse
import hashlib
import random
import signal
import sys
import time
import traceback
from collections import Counter
from pathlib import Path
from types import FrameType

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from archiver.errors import FileRejected  # noqa: E402
from archiver.pipeline import process  # noqa: E402

SEEDS = ROOT.parent / "shared" / "seeds"
OUT = ROOT / "bench" / "out"
ENCODINGS = [
    "utf-8",
    "utf-16",
    "utf-16-le",
    "utf-16-be",
    "utf-8-sig",
    "cp1252",
    "latin-1",
    "koi8-r",
    "shift_jis",
    "gb18030",
]
PIECES = [
    "\n", "\r\n", "\r", "\n\n", "\u00a0", "\u200b", "\ufeff", "\x00", "\x1b[0m", "é", "Ã©", "â€™", "\u0301",
    "Subscribe to our newsletter", "By Jane Doe", "8 décembre 2023", "Dec 8, 2023", "2023-12-08",
    "© 2024 All rights reserved.", "# Title", "> quoted", "http://example.com/a?b=c", "<html><body>", "</p>",
    "\U0001f600", "    ", "\t", "-" * 80, "Share this article", "Lire aussi", "Der Artikel", "Статья", "記事",
    "The council approved the budget on Tuesday after months of talks. ",
]  # fmt: skip
BOMS = [b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff", b"\xff\xfe\x00\x00"]


class Hang(Exception):
    pass


def _alarm(_signum: int, _frame: FrameType | None) -> None:
    raise Hang


def load_seeds(limit: int = 200) -> list[bytes]:
    return [p.read_bytes() for p in sorted(SEEDS.glob("*"))[:limit] if p.is_file()] if SEEDS.is_dir() else []


def random_text(rng: random.Random) -> bytes:
    parts = []
    for _ in range(rng.randint(0, 80)):
        if rng.random() < 0.7:
            parts.append(rng.choice(PIECES))
        else:
            parts.append("".join(chr(rng.choice([rng.randint(32, 126), rng.randint(0, 0x2FFF)])) for _ in range(8)))
    return "".join(parts).encode(rng.choice(ENCODINGS), "replace")


def mutate(rng: random.Random, data: bytes) -> bytes:
    buf = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        kind = rng.randrange(6)
        pos = rng.randint(0, len(buf)) if buf else 0
        if kind == 0 and buf:
            buf[min(pos, len(buf) - 1)] ^= 1 << rng.randrange(8)
        elif kind == 1:
            del buf[pos : pos + rng.randint(1, 200)]
        elif kind == 2:
            buf[pos:pos] = b"\x00" * rng.randint(1, 20)
        elif kind == 3:
            buf[0:0] = rng.choice(BOMS)
        elif kind == 4:
            buf[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 50)))
        else:
            buf[pos:pos] = buf[: rng.randint(0, 500)]
    return bytes(buf)


def make_input(rng: random.Random, seeds: list[bytes]) -> tuple[str, bytes]:
    roll = rng.random()
    if roll < 0.15:
        return "random_bytes", rng.randbytes(rng.randint(0, 4096))
    if roll < 0.55 or not seeds:
        return "random_text", random_text(rng)
    seed = rng.choice(seeds)
    if roll < 0.65:
        text = seed.decode("utf-8", "replace")
        return "reencoded_seed", text.encode(rng.choice(ENCODINGS), "replace")
    return "mutated_seed", mutate(rng, seed)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--budget", type=float, default=10.0, help="seconds an input may take before it is a hang")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    seeds = load_seeds()
    signal.signal(signal.SIGALRM, _alarm)
    outcomes: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    slowest: list[tuple[float, str, int, str]] = []
    crashes = 0
    started = time.perf_counter()
    for i in range(args.n):
        kind, data = make_input(rng, seeds)
        kinds[kind] += 1
        t0 = time.perf_counter()
        signal.setitimer(signal.ITIMER_REAL, args.budget)
        try:
            process(data)
            outcome = "document"
        except FileRejected as exc:
            outcome = f"refused:{exc.code}"
        except Hang:
            outcome = "HANG"
        except Exception:  # noqa: BLE001 - counted and saved: this is what the fuzzer looks for
            outcome = "CRASH"
            crashes += 1
            OUT.mkdir(parents=True, exist_ok=True)
            name = OUT / f"fuzz-crash-{hashlib.sha256(data).hexdigest()[:12]}.bin"
            name.write_bytes(data)
            print(f"crash on input {i} ({kind}, saved {name}):\n{traceback.format_exc()}", file=sys.stderr)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        took = time.perf_counter() - t0
        outcomes[outcome] += 1
        slowest.append((took, kind, len(data), outcome))
        if len(slowest) > 50:
            slowest.sort(reverse=True)
            del slowest[10:]
        if (i + 1) % 10_000 == 0:
            print(f"{i + 1} inputs, {time.perf_counter() - started:.0f} s, {dict(outcomes)}", flush=True)
    elapsed = time.perf_counter() - started
    slowest.sort(reverse=True)
    print(f"inputs: {args.n} in {elapsed:.1f} s ({args.n / elapsed:.0f}/s), seed {args.seed}")
    print("kinds: " + ", ".join(f"{k}={v}" for k, v in sorted(kinds.items())))
    print("outcomes: " + ", ".join(f"{k}={v}" for k, v in sorted(outcomes.items())))
    print("slowest: " + "; ".join(f"{t * 1000:.0f} ms ({k}, {n} B, {o})" for t, k, n, o in slowest[:5]))
    bad = outcomes["HANG"] + crashes
    print("RESULT: " + ("ok, no exception other than NotText/FileRejected, no hang" if not bad else f"{bad} BAD"))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
