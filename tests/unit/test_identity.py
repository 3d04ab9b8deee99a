"""Identity: one content hash per article whatever the spacing; near-duplicates found, others not."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from archiver.pipeline.identity import block_hash, canonical_body, content_hash, jaccard, sketch

WORDS = [
    "council",
    "budget",
    "harbour",
    "river",
    "school",
    "election",
    "market",
    "report",
    "village",
    "bridge",
    "storm",
    "library",
    "museum",
    "court",
    "minister",
    "police",
    "festival",
    "railway",
    "energy",
    "network",
    "study",
    "reform",
    "debate",
    "farmer",
]


def article(rng: random.Random, n: int = 400) -> str:
    return " ".join(rng.choice(WORDS) + ("." if rng.random() < 0.1 else "") for _ in range(n))


@given(st.text())
def test_whitespace_never_changes_identity(text: str) -> None:
    spaced = "\n\n  ".join(text.split(" "))
    assert content_hash(spaced) == content_hash(text.replace(" ", "\t")) == content_hash(" ".join(text.split()))
    assert canonical_body(canonical_body(text)) == canonical_body(text)


def test_a_changed_word_changes_identity() -> None:
    assert content_hash("the council approves the budget") != content_hash("the council rejects the budget")


def test_block_hash_folds_case_punctuation_and_numbers() -> None:
    assert block_hash("© 2023 Daily Ledger. All rights reserved.") == block_hash(
        "© 2024 daily ledger, all RIGHTS reserved"
    )
    assert block_hash("Subscribe now") != block_hash("Unsubscribe now")


def test_near_duplicates_share_a_sketch_key_and_strangers_do_not() -> None:
    rng = random.Random(3)
    found = strangers = 0
    for _ in range(50):
        text = article(rng)
        words = text.split(" ")
        for _change in range(3):
            words[rng.randrange(len(words))] = rng.choice(WORDS)
        near = " ".join(words)
        found += bool(set(sketch(text)) & set(sketch(near)))
        strangers += bool(set(sketch(text)) & set(sketch(article(rng))))
        assert jaccard(text, near) > 0.9
    assert found >= 47  # LSH: 1 - (1 - J**4)**4 at J ~ 0.95: about 99 %
    assert strangers <= 2
