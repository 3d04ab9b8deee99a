"""Identity: one content hash per article whatever the spacing; near-duplicates found, others not."""

from __future__ import annotations

import random
import re
import sys
from itertools import accumulate

from hypothesis import given
from hypothesis import strategies as st

from archiver.pipeline.boilerplate import join_blocks
from archiver.pipeline.identity import (
    SKETCH_CHARS,
    block_hash,
    canonical_body,
    content_hash,
    content_hash_of_lines,
    head_words,
    jaccard,
    shingles,
    sketch,
    sketch_of_words,
    words_hash,
)

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


@given(st.lists(st.sampled_from(["a", "é", "e\u0301", " ", "\n", "\t", "\xa0", "\u2028", "\x1f"])).map("".join))
def test_canonical_body_is_nfc_with_whitespace_runs_as_one_space(text: str) -> None:
    """The clean-body shortcut (line ends made spaces) gives what splitting on whitespace gives, for any text."""
    import unicodedata

    assert canonical_body(text) == " ".join(unicodedata.normalize("NFC", text).split())


@given(
    st.lists(
        st.tuples(
            st.lists(st.sampled_from(["a", "é", "e\u0301", " ", "\t", "\xa0", "\u2028", "\xad", "\n"])).map("".join),
            st.booleans(),
        )
    )
)
def test_the_hash_of_clean_lines_is_the_hash_of_their_body(lines: list[tuple[str, bool]]) -> None:
    """content_hash_of_lines joins a clean body's lines with spaces; any other body gives the same hash too."""
    blocks = [text for text, _ in lines]
    paragraphs = list(accumulate(int(new_paragraph) for _, new_paragraph in lines))
    body = join_blocks(blocks, paragraphs)
    assert content_hash_of_lines(blocks, body) == content_hash(body)


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


def test_sketch_keys_are_the_stored_ones() -> None:
    """Sketches are stored (document_sketches): a change here needs a migration that computes them again."""
    assert sketch("The council approved the harbour budget on Tuesday after long talks with the unions.") == (
        553603712231811045,
        5765419738269712717,
        8697840240542698304,
        5151672192706196142,
    )
    assert sketch("Le conseil a approuvé le budget du port mardi, après de longues négociations.") == (
        3151823916443638499,
        268821706723040481,
        1879362037978013124,
        5832802643056342601,
    )


def _exact_jaccard(a: str, b: str) -> float:
    def grams(text: str) -> set[tuple[str, ...]]:
        words = _WORD_RE.findall(text.casefold())
        return {tuple(words[i : i + 3]) for i in range(max(1, len(words) - 2))}

    first, second = grams(a), grams(b)
    return len(first & second) / len(first | second)


@given(st.text(st.sampled_from("ab cd Éé.1"), max_size=200), st.text(st.sampled_from("ab cd Éé.1"), max_size=200))
def test_jaccard_of_shingle_hashes_is_the_jaccard_of_the_shingles(a: str, b: str) -> None:
    assert jaccard(a, b) == _exact_jaccard(a, b)
    assert list(shingles(a)) == sorted(set(shingles(a)))  # distinct and sorted, as jaccard_of expects


# ---------------------------------------------------------------- words split once (issue 8)

_WORD_RE = re.compile(r"\w+")


def test_fold_changes_words_lists_every_such_character() -> None:
    """clean() counts words from casefolded lines unless one of these characters is in the body."""
    from archiver.pipeline.run import _FOLD_CHANGES_WORDS

    def is_word(char: str) -> bool:
        return _WORD_RE.fullmatch(char) is not None

    changing = [
        chr(code)
        for code in range(sys.maxunicode + 1)
        if chr(code).casefold() != chr(code) and any(is_word(c) != is_word(chr(code)) for c in chr(code).casefold())
    ]
    assert changing == [chr(code) for code in range(sys.maxunicode + 1) if _FOLD_CHANGES_WORDS.match(chr(code))]


@given(st.text(max_size=120))
def test_words_hash_is_block_hash(block: str) -> None:
    assert words_hash(_WORD_RE.findall(block.casefold())) == block_hash(block)


@given(st.lists(st.tuples(st.text(st.sampled_from("ab 1.İ\u0345é-"), min_size=1, max_size=900), st.booleans())))
def test_head_words_are_the_words_of_the_sketched_head(lines: list[tuple[str, bool]]) -> None:
    blocks = [line.strip() or "x" for line, _ in lines]
    paragraphs = list(accumulate((int(new) for _, new in lines), initial=0))[1:]
    words = [_WORD_RE.findall(block.casefold()) for block in blocks]
    body = join_blocks(blocks, paragraphs)
    head = head_words(blocks, paragraphs, words)
    assert head == _WORD_RE.findall(body[:SKETCH_CHARS].casefold())
    assert sketch_of_words(head) == sketch(body)


@given(st.lists(st.integers(min_value=0, max_value=2**64 - 1), max_size=50))
def test_shingles_are_sorted_and_distinct_as_np_unique_makes_them(values: list[int]) -> None:
    import numpy as np

    from archiver.pipeline.identity import _sorted_unique

    array = np.array(values, dtype=np.uint64)
    assert np.array_equal(_sorted_unique(array), np.unique(array))
