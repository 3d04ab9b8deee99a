"""archiver.pipeline.boilerplate: keep the article, drop what surrounds it, say why."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from archiver.pipeline import clean
from archiver.pipeline.boilerplate import (
    Verdict,
    _cues,
    _features,
    _fold,
    _is_word_char,
    _page_language,
    classify,
    join_blocks,
    split_blocks,
)
from archiver.pipeline.decode import decode
from archiver.pipeline.identity import block_hash
from archiver.pipeline.normalize import normalize_text
from archiver.pipeline.rules import load_rules

SEEDS = Path(__file__).resolve().parents[3] / "shared" / "seeds"
LANGUAGES = ("en", "fr", "de", "es", "it", "pt", "nl", "pl", "ru")

SEED_BOILERPLATE = [
    "Rejoindre l'avenir",
    "SOUSCRIRE AUJOURD'HUI",
    "Clair, concis, complet. Maîtrisez les développements de l'IA avec DailyAI",
    "Sam Jeans",
    "Sam est un rédacteur scientifique et technologique",
    "×",
    "PDF GRATUIT EXCLUSIF",
    "Gardez une longueur d'avance avec DailyAI",
    "Inscrivez-vous à notre newsletter hebdomadaire",
    "En vous abonnant à notre lettre d'information",
]

ARTICLE = {
    "en": [
        "The city council approved the new budget on Tuesday after months of talks with the unions, and "
        "the mayor said that the money would go to the schools and the hospital first.",
        "Critics of the plan argue that it does not do enough for the villages in the north of the region, "
        "where the roads have been in a poor state for years and the bus service was cut last winter.",
        "The budget will be reviewed again in the spring, when the first figures for the year are known "
        "and the council has had time to talk with the people who live in the affected areas.",
    ],
    "fr": [
        "Le conseil municipal a approuvé mardi le nouveau budget après des mois de négociations avec les "
        "syndicats, et le maire a déclaré que l'argent irait d'abord aux écoles et à l'hôpital.",
        "Les critiques du projet estiment qu'il ne fait pas assez pour les villages du nord de la région, "
        "où les routes sont en mauvais état depuis des années et où le service de bus a été supprimé.",
        "Le budget sera réexaminé au printemps, lorsque les premiers chiffres de l'année seront connus et "
        "que le conseil aura eu le temps de parler avec les habitants des zones concernées.",
    ],
    "de": [
        "Der Stadtrat hat am Dienstag nach monatelangen Gesprächen mit den Gewerkschaften den neuen Haushalt "
        "genehmigt, und der Bürgermeister sagte, dass das Geld zuerst an die Schulen und das Krankenhaus gehe.",
        "Kritiker des Plans meinen, dass er nicht genug für die Dörfer im Norden der Region tue, wo die "
        "Straßen seit Jahren in einem schlechten Zustand sind und der Busverkehr im Winter eingestellt wurde.",
        "Der Haushalt wird im Frühjahr erneut geprüft, wenn die ersten Zahlen des Jahres bekannt sind und der "
        "Rat Zeit hatte, mit den Menschen in den betroffenen Gebieten zu sprechen.",
    ],
    "es": [
        "El consejo municipal aprobó el martes el nuevo presupuesto tras meses de negociaciones con los "
        "sindicatos, y el alcalde dijo que el dinero iría primero a las escuelas y al hospital.",
        "Los críticos del plan sostienen que no hace lo suficiente por los pueblos del norte de la región, "
        "donde las carreteras están en mal estado desde hace años y el servicio de autobús se suprimió.",
        "El presupuesto se revisará de nuevo en primavera, cuando se conozcan las primeras cifras del año y "
        "el consejo haya tenido tiempo de hablar con los vecinos de las zonas afectadas.",
    ],
}

MENU = {
    "en": ["* Home", "* News", "* Sport", "* Business", "* Culture", "Search", "Sign in"],
    "fr": ["* Accueil", "* Actualités", "* Sport", "* Économie", "* Culture", "Rechercher", "Se connecter"],
    "de": ["* Startseite", "* Nachrichten", "* Sport", "* Wirtschaft", "* Kultur", "Suche", "Anmelden"],
    "es": ["* Inicio", "* Noticias", "* Deportes", "* Economía", "* Cultura", "Buscar", "Iniciar sesión"],
}

FOOTER = {
    "en": [
        "Share on Facebook",
        "Sign up for our newsletter and get the best stories in your inbox.",
        "We use cookies to improve your experience. By continuing to browse you accept our use of cookies.",
        "© 2024 The Daily Example. All rights reserved.",
    ],
    "fr": [
        "Partager sur Facebook",
        "Inscrivez-vous à notre newsletter pour recevoir nos articles.",
        "Nous utilisons des cookies pour améliorer votre expérience. En poursuivant, vous acceptez les cookies.",
        "© 2024 L'Exemple. Tous droits réservés.",
    ],
    "de": [
        "Auf Facebook teilen",
        "Melden Sie sich für unseren Newsletter an.",
        "Wir verwenden Cookies, um Ihnen das beste Erlebnis zu bieten. Mit der Nutzung stimmen Sie zu.",
        "© 2024 Das Beispiel. Alle Rechte vorbehalten.",
    ],
    "es": [
        "Compartir en Facebook",
        "Suscríbete a nuestro boletín y recibe las noticias en tu correo.",
        "Utilizamos cookies para mejorar tu experiencia. Si continúas navegando, aceptas su uso.",
        "© 2024 El Ejemplo. Todos los derechos reservados.",
    ],
}


def _clean_text(text: str) -> str:
    return clean(decode(text.encode("utf-8"))).body


def _page(lang: str) -> str:
    return "\n".join(MENU[lang]) + "\n\n" + "\n\n".join(ARTICLE[lang]) + "\n\n" + "\n\n".join(FOOTER[lang]) + "\n"


# ---------------------------------------------------------------- seeds


@pytest.mark.skipif(not SEEDS.is_dir(), reason="shared/seeds not beside the repository")
def test_seed_000_boilerplate_gone_and_every_body_paragraph_kept() -> None:
    raw = (SEEDS / "000_ffb08b1a9a9183c0.txt").read_bytes()
    document = clean(decode(raw))
    text = normalize_text(decode(raw).text)
    head = text.split("Rejoindre l'avenir")[0]
    body_paragraphs = [p for p in head.split("\n\n")[3:] if p.strip()]  # after title, date and tags
    assert len(body_paragraphs) == 13
    for paragraph in body_paragraphs:
        assert paragraph.strip() in document.body
    for boilerplate in SEED_BOILERPLATE:
        assert boilerplate not in document.body
    reasons = {removed.text: removed.reason for removed in document.removed}
    assert reasons["SOUSCRIRE AUJOURD'HUI"] == "subscribe"
    assert reasons["Sam Jeans"] == "author_bio"
    assert any(r == "author_bio" for t, r in reasons.items() if t.startswith("Sam est un rédacteur"))
    assert any(r == "newsletter" for t, r in reasons.items() if t.startswith("Inscrivez-vous"))
    # the header lines still reach the metadata, whichever side of the cut they are on
    assert document.metadata.author == "Sam Jeans"


@pytest.mark.skipif(not SEEDS.is_dir(), reason="shared/seeds not beside the repository")
def test_seed_002_keeps_its_article() -> None:
    raw = next(SEEDS.glob("002_*.txt")).read_bytes()
    text = normalize_text(decode(raw).text)
    document = clean(decode(raw))
    assert document.removed == ()
    assert document.body.split() == text.split()


# ---------------------------------------------------------------- pages in several languages


@pytest.mark.parametrize("lang", sorted(ARTICLE))
def test_page_keeps_article_and_drops_menu_and_footer(lang: str) -> None:
    body = _clean_text(_page(lang))
    for paragraph in ARTICLE[lang]:
        assert paragraph in body
    for line in MENU[lang] + FOOTER[lang]:
        assert line.lstrip("* ") not in body.split("\n")
        assert line not in body


@pytest.mark.parametrize("lang", sorted(ARTICLE))
def test_reasons_name_the_kind(lang: str) -> None:
    blocks, _ = split_blocks(normalize_text(_page(lang)))
    reasons = {block: verdict.reason for block, verdict in zip(blocks, classify(blocks, lang), strict=True)}
    footer = FOOTER[lang]
    assert reasons[footer[0]] == "share"
    assert reasons[footer[1]] == "newsletter"
    assert reasons[footer[2]] == "cookie"
    assert reasons[footer[3]] == "legal"


def test_comments_after_the_article_go() -> None:
    comments = [
        "Comments",
        "Jane on May 3, 2019 at 4:47 pm said:",
        "I think the council should have spent much more of the money on the roads in the north, because "
        "the people who live there have waited for a long time and nothing has been done for them.",
        "Reply",
    ]
    body = _clean_text("\n\n".join(ARTICLE["en"] + comments))
    assert all(paragraph in body for paragraph in ARTICLE["en"])
    assert "I think the council" not in body
    assert "Reply" not in body


def test_related_list_inside_the_article_goes_but_the_article_goes_on() -> None:
    related = ["Related articles", "* Budget talks stall again", "* Mayor faces questions over hospital"]
    page = [ARTICLE["en"][0], *related, *ARTICLE["en"][1:]]
    body = _clean_text("\n\n".join(page))
    assert all(paragraph in body for paragraph in ARTICLE["en"])
    assert "Budget talks stall again" not in body


def test_a_copyright_notice_ends_the_article_whatever_prose_follows() -> None:
    teasers = [
        "Why farmers may want to paint their cows with zebra stripes",
        "Some people thought the stripy cattle in a pasture were a joke, but the science behind the idea "
        "is sound and the farmers who tried it say that the flies left their animals alone all summer.",
    ]
    page = [*ARTICLE["en"], "© 2019 The Daily Example. All rights reserved.", *teasers]
    body = _clean_text("\n\n".join(page))
    assert all(paragraph in body for paragraph in ARTICLE["en"])
    assert teasers[1] not in body


def test_an_inline_related_link_goes_but_does_not_end_the_article() -> None:
    link = "Related: The ten strangest budgets in the history of the region"
    page = [*ARTICLE["en"][:2], link, ARTICLE["en"][2]]
    verdicts = dict(zip(page, classify(page, "en"), strict=True))
    assert verdicts[link] == Verdict(False, "related")
    assert all(verdicts[paragraph].keep for paragraph in ARTICLE["en"])


def test_teasers_with_datelines_between_them_are_one_list() -> None:
    teasers = [
        "32M ago",
        "Two troops killed in helicopter crash in the mountains",
        "Officials dismiss a claim by the rebels that the craft was downed, but they say that the cause is "
        "being looked into.",
        "1H ago",
        "Woman risks her life to save a koala from the fire",
        "At least six people have died and hundreds of homes have been destroyed by the bushfires in the state.",
        "2H ago",
        "Cities urge boycott of meat companies",
        "Lawmakers in the two biggest cities want to cut ties with the businesses that are linked to the fires.",
        "14H ago",
    ]
    body = _clean_text("\n\n".join([*ARTICLE["en"], *ARTICLE["en"], *teasers]))
    assert all(paragraph in body for paragraph in ARTICLE["en"])
    assert "koala" not in body
    assert "ago" not in body


def test_a_headline_after_a_quote_mark_is_capitalised() -> None:
    teasers = [
        "» Column of the week",
        "Click on the photo and read the columns he writes for us.",
        "» Power ranking",
        "Click on the picture above and see how the drivers are ranked this season.",
        "» Preview of the race",
        "Click and see the times of the race on TV and the statistics.",
    ]
    body = _clean_text("\n\n".join([*ARTICLE["en"], *ARTICLE["en"], *teasers]))
    assert all(paragraph in body for paragraph in ARTICLE["en"])
    assert "Power ranking" not in body


def test_author_bio_after_the_article_goes() -> None:
    bio = "Jane Smith is a reporter who covers local politics and has written for the paper since 2015."
    body = _clean_text("\n\n".join([*ARTICLE["en"], "Jane Smith", bio]))
    assert all(paragraph in body for paragraph in ARTICLE["en"])
    assert bio not in body


def test_subheadings_and_short_sentences_inside_the_article_stay() -> None:
    page = [ARTICLE["de"][0], "Ein schwieriger Winter", ARTICLE["de"][1], "Das bleibt so.", ARTICLE["de"][2]]
    body = _clean_text("\n\n".join(page))
    assert all(block in body for block in page)


def test_a_long_table_of_plain_lines_is_the_article_not_the_menu() -> None:
    menu = [f"* Section {n}" for n in range(30)]
    rows = [f"Stage {n}: 1{n} March, Riverside Park" for n in range(24)]
    intro = "The season calendar was published on Monday; the dates may still change."
    footer = "© 2024 Example. All rights reserved."
    blocks = [*menu, intro, *rows, footer]
    verdicts = classify(blocks, "en")
    kept = [b for b, v in zip(blocks, verdicts, strict=True) if v.keep]
    assert all(row in kept for row in rows)
    assert not any(line in kept for line in menu)
    assert footer not in kept


# ---------------------------------------------------------------- lists, boxes and cards around the article

LONG_ARTICLE = [
    *ARTICLE["en"],
    "The mayor also promised that the council would publish every contract it signs this year, so that the "
    "people who pay for the schools and the roads can see where the money goes and who gets the work.",
    "Several members of the opposition said that they would vote for the budget in the spring as well, as long "
    "as the money for the villages in the north is kept in the plan and the bus service comes back.",
    "The unions, for their part, said that the talks had been hard but fair, and that they hoped the next "
    "round would be shorter, since the staff of the schools and the hospital had waited a long time.",
]


def test_list_items_cut_off_with_an_ellipsis_are_teasers() -> None:
    ticker = [
        "* Farmers in the valley say that the new water rules will make it much harder for them to grow…",
        "* The festival in the old town will go ahead this year after the organisers found a new sponsor for…",
        "* Police ask the people who saw the accident on the bridge on Sunday night to come forward and...",
    ]
    page = [*ticker, *ARTICLE["en"]]
    verdicts = dict(zip(page, classify(page, "en"), strict=True))
    assert all(verdicts[item] == Verdict(False, "related") for item in ticker)
    assert all(verdicts[paragraph].keep for paragraph in ARTICLE["en"])


def test_a_ranked_chart_under_a_most_read_heading_is_not_the_article() -> None:
    lead = (
        "Snow on the roof does not only cut what a solar plant makes: its weight can also bend the frames, "
        "and experts warn owners to clear it with care."
    )
    chart = [
        "1. The minister in an interview: “I still have a lot of work to do here”",
        "2. Farmers and the minister agree on the new rules for the fields",
        "3. Under pressure: can the small organic farms still be saved?",
        "4. A wave of protests by farmers reaches the capital after the talk show",
        "5. Activists show the barns of twenty dairy farms on the internet",
    ]
    page = ["* Home", "* News", "Photovoltaics", lead, "John Smith", "Most read", *chart, "* Imprint"]
    verdicts = dict(zip(page, classify(page, "en"), strict=True))
    assert verdicts[lead].keep
    assert not any(verdicts[line].keep for line in chart)


def test_a_related_box_with_links_inside_the_article_does_not_end_it() -> None:
    box = ["Related Links", "* The space agency's website"]
    last = "Challenges include a ship that runs on its own while the crew sleeps for most of the trip to Mars."
    page = [*ARTICLE["en"], *box, last, "Report Error", "Top Video"]
    verdicts = dict(zip(page, classify(page, "en"), strict=True))
    assert all(verdicts[paragraph].keep for paragraph in ARTICLE["en"])
    assert verdicts[last].keep
    assert not any(verdicts[line].keep for line in box)


def test_header_lines_in_a_long_run_of_plain_lines_are_not_table_rows() -> None:
    header = ["STREAM NOW", "The early reviews of the new console are here", "Jane Doe", "Nov 18, 2019 @17:19 PM"]
    body: list[str] = []
    for n, paragraph in enumerate(ARTICLE["en"] * 2):
        body += [paragraph, f"[Source {n}]", f"What the critics say, part {n}", f"[Review {n}]"]
    blocks = [*header, *body, "© 2019 Example. All rights reserved."]
    verdicts = dict(zip(blocks, classify(blocks, "en"), strict=True))
    assert not any(verdicts[line].keep for line in header)
    assert all(verdicts[paragraph].keep for paragraph in ARTICLE["en"])


def test_an_announced_list_with_group_labels_is_the_article_s_own() -> None:
    groups = [
        "For me, the list of things to try looked like this:",
        "NOT SCARY",
        "* Writing a blog post",
        "* Writing an email to my readers",
        "KIND OF SCARY",
        "* Speaking on the phone",
        "* Speaking on a video call",
        "TERRIFYING",
        "* Giving a talk at a conference",
        "* Hosting a live video",
    ]
    page = [*LONG_ARTICLE, *groups, ARTICLE["en"][0]]
    verdicts = dict(zip(page, classify(page, "en"), strict=True))
    assert all(verdicts[line].keep for line in groups)


def test_a_related_label_then_a_headline_is_a_link_that_opens_no_section() -> None:
    link = "Related post: Ten facts about the budget of the region"
    heading = "WHAT THE COUNCIL DECIDED"
    page = [ARTICLE["en"][0], link, heading, *ARTICLE["en"][1:]]
    verdicts = dict(zip(page, classify(page, "en"), strict=True))
    assert verdicts[link] == Verdict(False, "related")
    assert verdicts[heading].keep


def test_cards_that_each_come_with_the_same_line_are_a_related_list() -> None:
    share = "WhatsApp Facebook Pinterest Download"
    cards = [
        "Life asks us for hope and for the courage to wait for the best and to make the best happen, and the "
        "people who keep their smile on the hardest days are the ones who find the way out in the end.",
        "What holds a family together is love, care and the wish to see each other well, and a family that "
        "stands together is a source of strength, of help and of understanding in every season of life.",
        "Strength to win and faith to believe that everything is possible, that every obstacle can be "
        "overcome and that the victory is already there for the people who do not give up on their dreams.",
    ]
    page = [share, *ARTICLE["en"], "You may also like...", share, cards[0], share, cards[1], share, cards[2]]
    verdicts = classify(page, "en")
    kept = [block for block, verdict in zip(page, verdicts, strict=True) if verdict.keep]
    assert all(paragraph in kept for paragraph in ARTICLE["en"])
    assert not any(card in kept for card in cards)


def test_list_items_under_a_more_label_are_links_not_the_article_s_list() -> None:
    links = [
        "* Mayor faces questions over the hospital plan",
        "* Young people must be heard, says the council",
        "* Villages in the north invite the minister for talks",
    ]
    page = [*LONG_ARTICLE[:2], "More:", *links, *LONG_ARTICLE[2:]]
    verdicts = dict(zip(page, classify(page, "en"), strict=True))
    assert all(verdicts[paragraph].keep for paragraph in LONG_ARTICLE)
    assert not any(verdicts[link].keep for link in links)


# ---------------------------------------------------------------- interface


def test_one_verdict_per_block_and_empty_input() -> None:
    assert classify([], "en") == []
    blocks = ["Home", *ARTICLE["en"], "All rights reserved"]
    verdicts = classify(blocks, "en")
    assert len(verdicts) == len(blocks)
    assert all(isinstance(v, Verdict) for v in verdicts)
    assert all(v.keep == (v.reason is None) for v in verdicts)


def test_a_text_without_prose_keeps_what_has_no_cue() -> None:
    verdicts = classify(["Shopping list", "* eggs", "* milk", "Home"], "en")
    assert [v.keep for v in verdicts] == [True, True, True, False]


def test_learned_blocks_are_dropped_as_learned() -> None:
    blocks = list(ARTICLE["en"])
    verdicts = classify(blocks, "en", frozenset({block_hash(blocks[1])}))
    assert verdicts[1] == Verdict(False, "learned")
    assert verdicts[0].keep and verdicts[2].keep


def test_unknown_or_missing_language_still_works() -> None:
    body = _clean_text(_page("en"))
    blocks, _ = split_blocks(normalize_text(_page("en")))
    for language in (None, "xx"):
        kept = [b for b, v in zip(blocks, classify(blocks, language), strict=True) if v.keep]
        assert all(paragraph in kept for paragraph in ARTICLE["en"])
    assert ARTICLE["en"][0] in body


def test_blocks_are_lines_and_join_back_into_paragraphs() -> None:
    text = "Title\n\n* one\n* two\n\nA paragraph.\nIts second line."
    blocks, paragraphs = split_blocks(text)
    assert blocks == ["Title", "* one", "* two", "A paragraph.", "Its second line."]
    assert join_blocks(blocks, paragraphs) == text


def test_rules_cover_the_languages() -> None:
    stopwords = load_rules("stopwords")
    rules = load_rules("boilerplate")
    for lang in LANGUAGES:
        assert len(stopwords[lang].split()) >= 100, lang
        for kind in ("newsletter", "subscribe", "share", "legal", "related", "comments", "navigation"):
            assert rules["phrases"][kind].get(lang), (kind, lang)
        assert rules["lines"]["navigation"].get(lang), lang
        assert rules["ends"]["comments"].get(lang), lang


def test_key_points_above_the_article_stay() -> None:
    points = [
        "* The council approved the budget after months of talks.",
        "* The schools and the hospital get the money first.",
    ]
    page = ["* Home", "* News", "Budget approved", *points, "Advertisement", *ARTICLE["en"]]
    verdicts = dict(zip(page, classify(page, "en"), strict=True))
    assert all(verdicts[point].keep for point in points)
    assert verdicts["Advertisement"].keep is False
    assert verdicts["* Home"].keep is False


def test_a_list_the_article_announces_stays_when_the_article_ends_inside_it() -> None:
    items = [
        "* Lower rents",
        "* Every flat should come under the rent law at the latest twenty years after it was",
        "built, with clear limits on what landlords may ask",
        "* Fixed-term leases only as the exception, and then at a lower rent than the others",
        "* No agent fees for tenants",
    ]
    page = [*ARTICLE["en"], "The party has put forward these proposals to make housing affordable:", *items]
    page += ["Housing", "* FB", "* tw"]
    verdicts = dict(zip(page, classify(page, "en"), strict=True))
    assert all(verdicts[item].keep for item in items)
    assert not verdicts["* FB"].keep


def test_the_first_numbered_section_belongs_to_the_article() -> None:
    page = [
        "* Home",
        "About me",
        "1. Joy and ease.",
        ARTICLE["en"][0],
        "2. Results",
        ARTICLE["en"][1],
        "3. Security",
        ARTICLE["en"][2],
    ]
    verdicts = dict(zip(page, classify(page, "en"), strict=True))
    assert verdicts["1. Joy and ease."].keep
    assert verdicts["2. Results"].keep


def test_a_sentence_about_a_thing_is_no_author_bio() -> None:
    line = "Der Anfang ist gemacht, jetzt muss ich mich nur noch hin und wieder zum Schreiben motivieren."
    page = [*ARTICLE["de"], line]
    verdicts = dict(zip(page, classify(page, "de"), strict=True))
    assert verdicts[line].keep
    bio = "Jane Smith is a reporter who covers local politics and has written for the paper since 2015."
    assert classify([*ARTICLE["en"], bio], "en")[-1] == Verdict(False, "author_bio")


@pytest.mark.parametrize("heading", ["Most commented", "Meistdiskutierte Artikel", "Les plus commentés"])
def test_most_discussed_lists_are_related(heading: str) -> None:
    page = [*ARTICLE["en"], heading, "* Budget talks stall again", "* Mayor faces questions over hospital"]
    assert classify(page, "en")[len(ARTICLE["en"])] == Verdict(False, "related")


# ---------------------------------------------------------------- the same features, computed faster (issue 8)


def test_is_word_char_is_the_regex_word_class() -> None:
    word = re.compile(r"\w")
    assert all((word.match(chr(code)) is not None) == _is_word_char(chr(code)) for code in range(sys.maxunicode + 1))


@pytest.mark.parametrize(
    "block",
    [
        "o Item one",
        "* Item two",
        "o",
        "Don’t stop",
        "Donʼt stop",
        "ŉ and more",
        "• 3 apples",
        "İstanbul 2024",
        "◦ ÉTÉ’s Straße",
    ],
)
def test_features_from_the_callers_words_are_the_features(block: str) -> None:
    cues = _cues()
    words = re.findall(r"\w+", block.casefold())
    assert _features(block, cues, words) == _features(block, cues)
    assert _features(block, cues, words, block.casefold()) == _features(block, cues)


def test_bullets_and_spaces_fold_to_themselves() -> None:
    """What _features assumes of the callers' casefolded block: the text after the bullet keeps its offset."""
    space = re.compile(r"\s")
    marks = [chr(code) for code in range(sys.maxunicode + 1) if space.match(chr(code))] + list("*+o•·▪◦‣-")
    assert [mark for mark in marks if mark.casefold() != mark] == []


@pytest.mark.parametrize(
    ("folded", "kind"),
    [
        ("we use cookies here", "cookie"),
        ("cookie settings", "cookie"),
        ("a fortune xcookie here", None),
        ("my_cookie jar", None),
        ("2cookies", None),
    ],
)
def test_prefixes_count_at_the_start_of_a_word_only(folded: str, kind: str | None) -> None:
    found = _cues().banners._prefix(folded)
    assert (found is not None) == (kind is not None)


@pytest.mark.parametrize("lang", sorted(ARTICLE))
def test_classify_with_the_callers_words_and_hashes_is_classify(lang: str) -> None:
    blocks, _ = split_blocks(normalize_text(_page(lang)))
    words = [re.findall(r"\w+", b.casefold()) for b in blocks]
    learned = frozenset(block_hash(b) for b in blocks[::3])
    hashes = [block_hash(b) for b in blocks]
    assert classify(blocks, lang, learned, words=words, hashes=hashes) == classify(blocks, lang, learned)


def test_a_line_of_cues_of_two_kinds_in_a_tie_is_named_by_the_first_whatever_the_hash_seed() -> None:
    # The reason (and, through it, what a page keeps) must not depend on PYTHONHASHSEED: the same file
    # cleaned by two daemons must give the same body and content hash.
    from archiver.pipeline.boilerplate import _line_of_cues

    assert _line_of_cues("facebook | home", _cues()) == "share"
    assert _line_of_cues("home | facebook", _cues()) == "navigation"


# ---------------------------------------------------------------- barriers and author boxes

SHARE_BAR = ["Pinterest", "Facebook", "Twitter"]


def test_a_bar_of_cue_lines_ends_the_article_when_less_text_follows() -> None:
    # A share bar, then a comment: the region ran on over the bar because the comment is prose; three
    # cue lines in a row with little text after them are where the article stops.
    after = [
        "We tried the same walk with our two dogs last spring, and the path by the river was closed.",
        "So we took the longer way round the hill and had our lunch at the farm shop instead.",
    ]
    body = _clean_text("\n\n".join([*ARTICLE["en"], *SHARE_BAR, *after]))
    assert all(paragraph in body for paragraph in ARTICLE["en"])
    assert not any(paragraph in body for paragraph in after)


def test_a_share_bar_inside_a_long_article_does_not_end_it() -> None:
    # More text after the bar than half the text before it: the bar is set in the article.
    page = [ARTICLE["en"][0], *SHARE_BAR, *ARTICLE["en"][1:]]
    body = _clean_text("\n\n".join(page))
    assert all(paragraph in body for paragraph in ARTICLE["en"])


def test_numbers_between_lines_of_text_are_no_barrier() -> None:
    # A live ticker's minutes ("46'") have no words: they are not cue lines, the ticker stays.
    after = [
        "Die Gäste kommen nach der Pause besser ins Spiel und haben die erste Chance.",
        "Der Ball geht knapp am Tor vorbei, und die Zuschauer sind wieder auf den Beinen.",
    ]
    body = _clean_text("\n\n".join([*ARTICLE["de"], "46'", "45'", "44'", *after]))
    assert all(paragraph in body for paragraph in after)


@pytest.mark.parametrize(
    ("lang", "heading", "box"),
    [
        (
            "en",
            "About Jane Doe",
            "Jane has covered local politics for the paper since 2009 and lives by the sea, where she grew "
            "up and where her family still runs the small harbour cafe.",
        ),
        (
            "de",
            "Über Max Mustermann",
            "Max schreibt seit vielen Jahren über die Stadt und ihre Menschen im Norden, und er lebt mit "
            "seiner Familie in einem kleinen Dorf an der Küste.",
        ),
    ],
)
def test_an_about_heading_with_a_name_and_its_box_go(lang: str, heading: str, box: str) -> None:
    body = _clean_text("\n\n".join([*ARTICLE[lang], heading, box]))
    assert all(paragraph in body for paragraph in ARTICLE[lang])
    assert heading not in body
    assert box not in body


def test_an_about_subheading_that_is_no_name_stays() -> None:
    subheading = "About the new budget"
    page = [*ARTICLE["en"][:2], subheading, ARTICLE["en"][2]]
    body = _clean_text("\n\n".join(page))
    assert subheading in body
    assert all(paragraph in body for paragraph in ARTICLE["en"])


# ---------------------------------------------------------------- captions, notices, datelines


@pytest.mark.parametrize(
    "caption",
    [
        "The old mill by the river, seen from the bridge on a winter morning in 2019. (AP Photo/Jane Roe, File)",
        "Workers repair the roof of the town hall after the storm last week. John Roe / AFP",
        "The harbour at dawn, when the first boats come in with the night's catch.Credit...Jane Roe/The Daily Example",
        "A crowd waits outside the station for the first train after the strike ended. [File: Reuters]",
        "The new bridge over the river, which opens to traffic in the spring. (Harbour Board via AP)",
        "A farmer walks through his field of wheat before the harvest begins next month. Getty",
    ],
)
def test_a_caption_ending_in_a_picture_credit_goes(caption: str) -> None:
    # Long enough to count as text, so the article's region takes it in: the credit gives it away.
    page = [ARTICLE["en"][0], caption, *ARTICLE["en"][1:]]
    verdicts = dict(zip(page, classify(page, "en"), strict=True))
    assert verdicts[caption] == Verdict(False, "caption")
    assert all(verdicts[paragraph].keep for paragraph in ARTICLE["en"])


@pytest.mark.parametrize(
    "paragraph",
    [
        "The council will meet again in May, when the first figures for the year are known. (dpa)",
        "Then swing the hips forward and back again in the rhythm of the music (right picture).",
        "The report was written for the council by the office of statistics (Source: city of Example).",
    ],
)
def test_a_paragraph_ending_in_an_agency_or_a_picture_reference_stays(paragraph: str) -> None:
    # A news agency in brackets signs the text; "(right picture)" points at a picture: no credits.
    page = [ARTICLE["en"][0], paragraph, *ARTICLE["en"][1:]]
    verdicts = dict(zip(page, classify(page, "en"), strict=True))
    assert verdicts[paragraph].keep


@pytest.mark.parametrize(
    ("notice", "reason"),
    [
        ("No spam, ever. You can unsubscribe at any time with one click.", "newsletter"),
        ("You are using an outdated browser. Please update to a modern browser for the best experience.", "navigation"),
        ("Please enable JavaScript to watch this video.", "navigation"),
        ("This copy is for your personal, non-commercial use only. Order copies for your colleagues.", "legal"),
    ],
)
def test_sign_up_browser_and_reprint_notices_go(notice: str, reason: str) -> None:
    page = [ARTICLE["en"][0], notice, *ARTICLE["en"][1:]]
    verdicts = dict(zip(page, classify(page, "en"), strict=True))
    assert verdicts[notice] == Verdict(False, reason)


def test_the_date_and_byline_lines_of_the_header_go_and_the_standfirst_stays() -> None:
    # Title, standfirst (text: the region starts with it), byline and date, then the article.
    standfirst = "The council has approved the new budget after months of talks with the unions."
    byline, date = "By Jane Roe", "Published Nov. 18, 2019 8:22 AM EST"
    page = ["Budget approved", standfirst, byline, date, *ARTICLE["en"]]
    verdicts = dict(zip(page, classify(page, "en"), strict=True))
    assert verdicts[standfirst].keep
    assert verdicts[byline] == Verdict(False, "header")
    assert verdicts[date] == Verdict(False, "header")
    assert all(verdicts[paragraph].keep for paragraph in ARTICLE["en"])


def test_times_inside_the_article_stay() -> None:
    # A programme of the day in the middle of the article: times, far from its header.
    programme = ["10:00 Opening of the market", "12:30 Lunch in the town hall", "15:00 Concert in the park"]
    page = [*ARTICLE["en"][:2], *programme, ARTICLE["en"][2], *ARTICLE["en"][:2]]
    verdicts = classify(page, "en")
    assert all(v.keep for line, v in zip(page, verdicts, strict=True) if line in programme)


# ---------------------------------------------------------------- the cheaper paths give the same answers


def test_features_fill_each_field() -> None:
    # _features builds the block positionally: each field gets its own value.
    cues = _cues()
    dated = _features("1. Published Nov 18, 2019 8:22 AM", cues)
    assert (dated.words, dated.numbered, dated.counted, dated.dateline, dated.numbers) == (3, True, 1, True, True)
    assert not (dated.stamp or dated.sentence or dated.colon or dated.capital or dated.bullet or dated.credit)
    caption = _features("* Harbour at dawn. (AP Photo/Jane Roe)", cues)
    assert (caption.bullet, caption.credit, caption.sentence, caption.capital) == (True, True, True, True)
    assert (caption.counted, caption.numbered, caption.dateline, caption.numbers) == (-1, False, False, False)
    assert caption.chars == len("Harbour at dawn. (AP Photo/Jane Roe)")
    assert caption.tokens == ["harbour", "at", "dawn", "ap", "photo", "jane", "roe"]
    listing = _features("Ingredients:", cues)
    assert listing.colon and listing.capital and listing.sentence  # ":" ends a sentence too


@pytest.mark.parametrize("text", ["Hello World", "It’s HERE", "Straße ʼn", "İstanbul", "ÉTÉ 2019", ""])
def test_fold_is_casefold_with_apostrophes_made_plain(text: str) -> None:
    assert _fold(text) == text.casefold().replace("’", "'").replace("ʼ", "'")


def test_the_detected_language_stays_unless_the_stopwords_say_another() -> None:
    # German text: "de" holds (the quick check), "en" gives way to "de" (every language counted).
    features = [_features(paragraph, _cues()) for paragraph in ARTICLE["de"]]
    assert _page_language(features, "de") == "de"
    assert _page_language(features, "en") == "de"
    assert _page_language(features, None) == "de"


def test_a_subheading_after_an_inline_related_link_stays() -> None:
    # "Read more: <headline>" is one link; unlike a "Related articles" heading it opens no section,
    # so the subheading between it and the next paragraph is the article's.
    link = "Read more: The ten strangest budgets in the history of the region"
    subheading = "Villages left waiting"
    page = [ARTICLE["en"][0], link, subheading, *ARTICLE["en"][1:]]
    verdicts = dict(zip(page, classify(page, "en"), strict=True))
    assert verdicts[link] == Verdict(False, "related")
    assert verdicts[subheading].keep
    # a heading still opens a section: the headlines under it go
    heading_page = [ARTICLE["en"][0], "Related articles", "Budget talks stall again", *ARTICLE["en"][1:]]
    assert not classify(heading_page, "en")[2].keep


def test_a_name_and_copula_that_a_paragraph_follows_is_no_author_bio() -> None:
    # A bio closes the article: "Acme Robotics is best known..." with the article going on is a paragraph.
    line = (
        "Acme Robotics is best known for its small delivery robots, and the company said that it would "
        "use that experience to build the larger machines the council has asked for."
    )
    page = [*ARTICLE["en"][:2], line, ARTICLE["en"][2]]
    verdicts = dict(zip(page, classify(page, "en"), strict=True))
    assert verdicts[line].keep
    # two bios in a row at the end both go
    bios = [
        "Jane Smith is a reporter who covers local politics and has written for the paper since 2015.",
        "John Roe is an editor who has covered the city council and its budgets for more than ten years.",
    ]
    verdicts = classify([*ARTICLE["en"], *bios], "en")
    assert verdicts[-2:] == [Verdict(False, "author_bio")] * 2
