"""Metadata from text: title, author, published date, language and tags (issue 5)."""

from __future__ import annotations

import textwrap
from datetime import date
from pathlib import Path

import pytest

from archiver.pipeline import process
from archiver.pipeline.boilerplate import Verdict
from archiver.pipeline.document import Metadata
from archiver.pipeline.language import detect_language
from archiver.pipeline.metadata import extract_metadata

SEEDS = Path(__file__).resolve().parents[3] / "shared" / "seeds"

BODY = {
    "en": (
        "The city council approved the new budget on Tuesday after a long debate about schools, roads and "
        "the future of public transport in the region, which has been growing quickly for a decade."
    ),
    "fr": (
        "Le conseil municipal a approuvé mardi le nouveau budget après un long débat sur les écoles, les routes "
        "et l'avenir des transports publics dans la région, qui grandit rapidement depuis dix ans."
    ),
    "de": (
        "Der Stadtrat hat am Dienstag nach einer langen Debatte über Schulen, Straßen und die Zukunft des "
        "öffentlichen Verkehrs in der Region, die seit zehn Jahren schnell wächst, den neuen Haushalt beschlossen."
    ),
    "es": (
        "El ayuntamiento aprobó el martes el nuevo presupuesto tras un largo debate sobre las escuelas, las "
        "carreteras y el futuro del transporte público en la región, que crece rápidamente desde hace una década."
    ),
}


def meta(text: str, language: str | None = "en") -> Metadata:
    """Metadata of a page given as paragraphs separated by blank lines, every block kept."""
    blocks = [block for block in text.strip().split("\n\n") if block.strip()]
    return extract_metadata(blocks, [Verdict(True)] * len(blocks), language)


def page(*head: str, language: str = "en", paragraphs: int = 3) -> str:
    return "\n\n".join([*head, *[BODY[language]] * paragraphs])


# ---------------------------------------------------------------------------------------- the seed


def test_seed_000_comes_out_exactly() -> None:
    document = process((SEEDS / "000_ffb08b1a9a9183c0.txt").read_bytes())
    assert document.metadata.title == (
        "Les employés d'OpenAI avouent avoir utilisé la lettre ouverte comme monnaie d'échange"
    )
    assert document.metadata.published == date(2023, 12, 8)
    assert document.metadata.author == "Sam Jeans"
    assert document.metadata.language == "fr"
    assert document.metadata.tags == ("OpenAI", "AGI")
    assert document.metadata.source is None


# ---------------------------------------------------------------------------------------- dates


@pytest.mark.parametrize(
    ("line", "language", "expected"),
    [
        ("8 décembre 2023", "fr", date(2023, 12, 8)),
        ("1er décembre 2023", "fr", date(2023, 12, 1)),
        ("Publié le 8 déc. 2023", "fr", date(2023, 12, 8)),
        ("Dec 8, 2023", "en", date(2023, 12, 8)),
        ("December 8th, 2023", "en", date(2023, 12, 8)),
        ("Published Monday, November 18, 2019 8:22AM EST", "en", date(2019, 11, 18)),
        ("2023-12-08", "en", date(2023, 12, 8)),
        ("2019-11-18T23:30:00Z", "en", date(2019, 11, 18)),
        ("08.12.2023", "de", date(2023, 12, 8)),
        ("19.10.2019, 05:00 Uhr", "de", date(2019, 10, 19)),
        ("8. Dezember 2023", "de", date(2023, 12, 8)),
        ("Veröffentlicht am 1. März 2021", "de", date(2021, 3, 1)),
        ("8 de diciembre de 2023", "es", date(2023, 12, 8)),
        ("4 mayo, 2022", "es", date(2022, 5, 4)),
        ("sexta-feira, 22 de outubro de 2010 às 20:13", "pt", date(2010, 10, 22)),
        ("8 dicembre 2023", "it", date(2023, 12, 8)),
        ("8 december 2023", "nl", date(2023, 12, 8)),
        ("8 grudnia 2023", "pl", date(2023, 12, 8)),
        ("8 декабря 2023 г.", "ru", date(2023, 12, 8)),
        ("11/13/19 at 4:00 PM EST", "en", date(2019, 11, 13)),
        ("27/09/2018", "pt", date(2018, 9, 27)),
        ("2020年2月19日", "zh", date(2020, 2, 19)),
    ],
)
def test_dates_in_many_forms_and_languages(line: str, language: str, expected: date) -> None:
    assert meta(page("A council approves the budget for next year", line), language).published == expected


def test_the_date_next_to_the_title_wins_over_dates_further_down() -> None:
    text = page(
        "A council approves the budget for next year",
        "Published March 3, 2021",
        paragraphs=2,
    )
    text += "\n\nComments\n\nJane wrote on April 9, 2022: great article"
    assert meta(text).published == date(2021, 3, 3)


def test_published_beats_updated() -> None:
    text = page("A council approves the budget for next year", "Updated: June 5, 2021", "Published: June 1, 2021")
    assert meta(text).published == date(2021, 6, 1)


def test_an_updated_date_alone_is_better_than_nothing() -> None:
    assert meta(page("A council approves the budget", "Updated June 5, 2021")).published == date(2021, 6, 5)


def test_no_date_and_impossible_dates() -> None:
    assert meta(page("A council approves the budget for next year")).published is None
    assert meta(page("A council approves the budget", "Version 1.2.3 and 31.02.2023")).published is None


def test_the_cue_of_a_date_is_the_one_after_the_date_before_it() -> None:
    """ "created" governs the second date; "updated", 40 characters back, belongs to the first."""
    text = page("A council approves the budget", "Last updated 04 Jun 2020, originally created 17 Jun 2019")
    assert meta(text).published == date(2019, 6, 17)


def test_a_preposition_before_a_date_in_a_sentence_is_no_cue() -> None:
    """ "on April 9" in a sentence of the body is what the article tells, not a "Published on" line."""
    sentence = (
        "The council met on April 9, 2021 for eleven hours, and at the end of the night the new budget for "
        "the city was approved by a large majority."
    )
    assert len(sentence) > 100
    text = page("A council approves the budget", "March 3, 2021", sentence)
    assert meta(text).published == date(2021, 3, 3)


def test_a_date_in_a_link_is_not_the_published_date() -> None:
    text = page(
        "A council approves the budget",
        "Pictures at https://example.com/2020/01/15/a-story-about-buses",
        "Tips from a reader",
        "January 22, 2020",
    )
    assert meta(text).published == date(2020, 1, 22)


def test_a_date_in_a_caption_counts_less() -> None:
    blocks = ["A council approves the budget", "The city hall, November 15, 2019. Photo: Jane Doe", "March 3, 2021"]
    blocks += [BODY["en"]] * 3
    verdicts = [Verdict(True), Verdict(False, "caption")] + [Verdict(True)] * 4
    assert extract_metadata(blocks, verdicts, "en").published == date(2021, 3, 3)


def test_a_date_in_the_title_is_the_day_of_what_it_reports() -> None:
    text = page("Minutes of the council meeting of 10 October 2019", "Webteam, 26/12/2019")
    result = meta(text)
    assert result.title == "Minutes of the council meeting of 10 October 2019"
    assert result.published == date(2019, 12, 26)


def test_a_run_of_page_numbers_is_not_a_date() -> None:
    assert meta(page("A council approves the budget", "Pages 8. 9. 10. 11. 12. 13. 14.")).published is None


def test_far_from_the_head_a_cued_date_below_beats_a_bare_date_above() -> None:
    menu = "\n\n".join(f"Section {n}" for n in range(14))
    text = page("Weather, July 25, 2019", menu, "A council approves the budget", paragraphs=20)
    assert meta(text + "\n\nPosted on January 19, 2020").published == date(2020, 1, 19)
    assert meta(text).published == date(2019, 7, 25)  # a bare date above still beats nothing


# ---------------------------------------------------------------------------------------- bylines


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("By Jane Doe", "Jane Doe"),
        ("BY JANE DOE", "Jane Doe"),
        ("Written by Jane Doe", "Jane Doe"),
        ("Par Jean Dupont", "Jean Dupont"),
        ("Von Hans Müller", "Hans Müller"),
        ("Por María García", "María García"),
        ("Di Marco Rossi", "Marco Rossi"),
        ("Door Jan de Vries", "Jan de Vries"),
        ("Przez Jan Kowalski", "Jan Kowalski"),
        ("Автор: Иван Петров", "Иван Петров"),
        ("Autor: Hans Müller", "Hans Müller"),
        ("Jane Doe | Staff writer", "Jane Doe"),
        ("Tom Krisher, AP Auto Writer", "Tom Krisher"),
        ("02.02.2022, 11:30 Uhr von Markus Steinrisser", "Markus Steinrisser"),
        ("By Kashmira Gander On 11/13/19 at 4:00 PM EST", "Kashmira Gander"),
        ("Veröffentlicht vonChris Jung 28. Februar 2016", "Chris Jung"),
        ("Julia Steinhoff / Oktober 25 2023", "Julia Steinhoff"),
    ],
)
def test_bylines(line: str, expected: str) -> None:
    assert meta(page("A council approves the budget for next year", line)).author == expected


def test_the_name_of_a_dropped_author_bio() -> None:
    blocks = [
        "A council approves the budget for next year",
        BODY["en"],
        BODY["en"],
        "Jane Doe",
        "Jane is a reporter who covers local politics. When she is not writing, she is hiking.",
    ]
    verdicts = [Verdict(True), Verdict(True), Verdict(True), Verdict(False, "author_bio"), Verdict(False, "author_bio")]
    assert extract_metadata(blocks, verdicts, "en").author == "Jane Doe"


def test_no_author_from_a_sentence_that_mentions_an_author() -> None:
    text = page("A council approves the budget for next year", "An interview with author Jane Doe about cities")
    assert meta(text).author is None


def test_menu_words_are_not_names() -> None:
    text = page("A council approves the budget for next year", "March 3, 2021", "Recent Posts")
    text = text.replace("the future", "recent posts and the future")
    assert meta(text).author is None


# ---------------------------------------------------------------------------------------- title


def test_title_is_the_first_line_when_it_is_a_heading() -> None:
    assert (
        meta(page("A council approves the budget for next year")).title == "A council approves the budget for next year"
    )


def test_title_after_a_menu() -> None:
    menu = "Home\n* News\n* Sports\n* Weather\n* Contact\nSearch\nLog in"
    text = page(menu, "Subscribe now", "Council approves the budget for schools and roads", "By Jane Doe")
    assert meta(text).title == "Council approves the budget for schools and roads"


def test_no_title_rather_than_a_body_sentence() -> None:
    assert meta("\n\n".join([BODY["en"]] * 3)).title is None
    sentence = "The council met on Tuesday and talked about roads for many hours before it voted."
    assert meta(page(sentence)).title is None


@pytest.mark.parametrize("language", ["fr", "de", "es"])
def test_title_and_date_in_other_languages(language: str) -> None:
    heading = {
        "fr": "Le conseil adopte le budget",
        "de": "Stadtrat beschließt den Haushalt",
        "es": "El ayuntamiento aprueba el presupuesto",
    }[language]
    when = {"fr": "8 décembre 2023", "de": "8. Dezember 2023", "es": "8 de diciembre de 2023"}[language]
    result = meta(page(heading, when, language=language), language)
    assert result.title == heading
    assert result.published == date(2023, 12, 8)


def test_a_long_standfirst_under_the_title_is_not_the_title() -> None:
    title = "Council approves the budget for schools"
    standfirst = (
        "After months of talks the city council has agreed on a budget that funds new schools, repairs the "
        "roads and keeps the buses running"
    )
    assert len(standfirst) > 120
    assert meta(page(title, standfirst, "March 3, 2021")).title == title


def test_the_site_named_in_the_copyright_line_is_not_the_title() -> None:
    text = page("City Council Budget News", "Council approves the budget")
    assert meta(text).title == "City Council Budget News"  # a name made of the body's words...
    footer = "\n\n© 2023 City Council Budget News. All rights reserved."
    assert meta(text + footer).title == "Council approves the budget"  # ...that the footer shows is the site's


def test_a_heading_between_the_lede_and_the_body_is_not_the_title() -> None:
    lede = (
        "The council met for eleven hours on Tuesday, and at the end of the night the new budget for "
        "the city was approved by a large majority of its members."
    )
    text = page("Council approves the budget for the next year", "March 3, 2021", lede, "Caption of the city hall")
    blocks = text.split("\n\n")
    verdicts = [Verdict(True)] * 2 + [Verdict(True), Verdict(False, "related")] + [Verdict(True)] * 3
    assert extract_metadata(blocks, verdicts, "en").title == "Council approves the budget for the next year"


def test_abbreviations_do_not_break_a_heading_in_two() -> None:
    """ "U.S. city" is no sentence ending in a heading: the headline beats a section label above it."""
    heading = "U.S. city council approves the new budget for public transport"
    assert meta(page("Region news today", heading, "By Jane Doe")).title == heading


def test_title_above_a_long_menu() -> None:
    menu = "\n".join(f"Section number {n} of the site" for n in range(150))
    text = page("Council approves the budget for schools", "March 3, 2021", menu)
    assert meta(text).title == "Council approves the budget for schools"


def test_title_in_a_script_with_vowel_signs() -> None:
    heading = "এমপির ভাইকে নিজ বাড়ির সামনেই কুপিয়ে হত্যা"
    body = "এমপির ভাইকে নিজ বাড়ির সামনেই কুপিয়ে হত্যা করেছে দুর্বৃত্তরা। " * 4
    assert meta("\n\n".join([heading, body, body, body]), "bn").title == heading


# ---------------------------------------------------------------------------------------- tags


def test_tags_line() -> None:
    assert meta(page("A council approves the budget", "Tags: budget, city council, schools")).tags == (
        "budget",
        "city council",
        "schools",
    )
    assert meta(page("Stadtrat beschließt den Haushalt", "Schlagwörter: Haushalt, Stadtrat"), "de").tags == (
        "Haushalt",
        "Stadtrat",
    )


def test_no_tags_from_an_ordinary_line() -> None:
    assert meta(page("A council approves the budget for next year", "March 3, 2021", "Jane Doe")).tags == ()
    assert meta(page("A council approves the budget for next year", "March 3, 2021", "Share")).tags == ()
    assert meta(page("A council approves the budget for next year", "March 3, 2021", "Weather Sports")).tags == ()


def test_a_signature_under_the_article() -> None:
    text = page("A council approves the budget for next year", "March 3, 2021") + "\n\nJane Doe | City Editor"
    assert meta(text).author == "Jane Doe"
    blocks = [*page("A council approves the budget for next year", "March 3, 2021").split("\n\n"), "Subscribe Now"]
    verdicts = [Verdict(True)] * (len(blocks) - 1) + [Verdict(False, "subscribe")]
    assert extract_metadata(blocks, verdicts, "en").author is None


def test_a_prefix_alone_with_the_name_below() -> None:
    text = page(
        "Der Stadtrat beschließt den neuen Haushalt", "3. März 2021", "Autor*in\nJana Kurz (Redakteurin)", language="de"
    )
    assert meta(text, "de").author == "Jana Kurz"


def test_a_handle_glued_to_the_name() -> None:
    assert (
        meta(page("A council approves the budget for next year", "Jane Doe@janedoe", "March 3, 2021")).author
        == "Jane Doe"
    )


def test_a_byline_word_is_not_a_name() -> None:
    text = page("A council approves the budget for next year", "March 3, 2021", "Erstellt von Fabian")
    assert meta(text).author is None


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("12. März 2023 | 09:15 Uhr | von Hans Müller", "Hans Müller"),  # "12." is a day, not a list number
        ("3. Mai 2021 by Jane Doe / Kategorien: Politik", "Jane Doe"),
        ("Jane Doe 11 AM | 3 June", "Jane Doe"),  # an hour before a meridiem is a time
    ],
)
def test_bylines_that_open_with_a_date_or_hold_a_time(line: str, expected: str) -> None:
    assert meta(page("A council approves the budget for next year", line)).author == expected


def test_dates_glued_by_the_conversion() -> None:
    """Published and modified dates glued ("...20202. Mai..."), a year glued to a time ("20194:29")."""
    text = page("Der Stadtrat beschließt den Haushalt", "2. Mai 20202. Mai 2020 Hans Müller 1 Kommentar", language="de")
    assert (meta(text, "de").published, meta(text, "de").author) == (date(2020, 5, 2), "Hans Müller")
    line = "Published Wed, Nov 20 20194:29 AM EST"
    assert meta(page("A council approves the budget for next year", line)).published == date(2019, 11, 20)


@pytest.mark.parametrize(
    ("label", "language"),
    [
        ("Recent Posts", "en"),
        ("Latest Stories", "en"),
        ("Zum Thema", "de"),
        ("Aktuelle Meldungen", "de"),
        ("News-Blog Wirtschaft", "de"),
        ("Más Noticias", "es"),
    ],
)
def test_menu_labels_shaped_like_names_are_not_authors(label: str, language: str) -> None:
    head = {
        "en": "A council approves the budget",
        "de": "Stadtrat beschließt den Haushalt",
        "es": "El ayuntamiento aprueba el presupuesto",
    }[language]
    assert meta(page(head, "3.3.2021", label, language=language), language).author is None


def test_an_organisation_that_signs_is_still_an_author() -> None:
    assert meta(page("A council approves the budget", "The Associated Press", "March 3, 2021")).author == (
        "The Associated Press"
    )


def test_a_name_and_date_under_the_title_beat_a_byline_inside_the_body() -> None:
    """ "Jane Doe 2023-03-08" under the title signs the page; "Von ..." after the lede quotes someone."""
    text = page(
        "Der Stadtrat beschließt den Haushalt", "Jana Kurz 2023-03-08", BODY["de"], "Von Hans Müller", language="de"
    )
    assert meta(text, "de").author == "Jana Kurz"


def test_a_name_below_the_title_beats_a_label_as_far_above() -> None:
    text = page("Berlin Marathon", "Council approves the budget\nMarch 3, 2021\nJane Doe")
    assert meta(text).author == "Jane Doe"


def test_a_name_over_a_role_line() -> None:
    text = page(
        "Der Stadtrat beschließt den Haushalt",
        "Politik",
        BODY["de"],
        "Jana Kurz\nMitglied der Redaktion",
        language="de",
    )
    assert meta(text, "de").author == "Jana Kurz"


def test_a_surname_in_an_email_address_is_not_a_common_word() -> None:
    text = page("A council approves the budget", "By Sam Root") + "\n\nWrite to Sam Root at sam.root@example.com."
    assert meta(text).author == "Sam Root"


def test_an_address_glued_to_a_byline_is_not_part_of_the_name() -> None:
    assert meta(page("A council approves the budget", "By Jane Doe Smithjane.smith")).author == "Jane Doe"


def test_author_boxes_at_the_foot_of_a_long_page() -> None:
    body = page("Der Stadtrat beschließt den Haushalt", language="de", paragraphs=16)
    foot = "\n\nTeilen\n* Drucken\n* Senden"  # not right under the article, where a signature stands
    assert meta(body + foot + "\n\nAutor*in\nJana Kurz (Redakteurin)", "de").author == "Jana Kurz"
    body = page("A council approves the budget", paragraphs=16)
    assert meta(body + "\n\nShare\n* Print\n* Email\n\nAbout the Author - Jane Doe").author == "Jane Doe"


def test_a_link_list_item_is_not_an_author_bio() -> None:
    text = page("A council approves the budget", paragraphs=16) + (
        "\n\nRead more\n* City buses\n* Jane Doe"
        "\n\n* Jane Doe wins the prize for local reporting for her series on the city's buses"
    )
    assert meta(text).author is None


def test_a_short_line_of_label_words_is_not_the_title() -> None:
    assert meta(page("Our latest articles", "Council votes")).title == "Council votes"


def test_a_sentence_with_a_full_stop_over_a_date_is_the_title() -> None:
    """A blog's headline may be two sentences in sentence case; alone over a date, it is still the title."""
    heading = "The council approved the budget. Here is what it means for schools."
    assert meta(page("Home\n* News\n* Sports", heading, "March 3, 2021")).title == heading
    assert meta(page("Home\n* News\n* Sports", heading)).title is None  # without the date: a sentence


def test_a_kicker_set_apart_by_a_pipe_keeps_the_headline_a_title() -> None:
    """One "|" after a short kicker sets it apart ("Update | ..."): no penalty as for labels or "Title | Site"."""
    menu = "Home\n* News\n* Sports\n* Weather\n* Contact"
    other = "Roads, schools and public transport"
    heading = "Update | Council approved the new budget"
    assert meta(page(other, menu, heading, "Published: March 3, 2021")).title == heading
    with_site = "Council approved the new budget | City Daily"
    assert meta(page(other, menu, with_site, "Published: March 3, 2021")).title == other


def test_a_breadcrumb_item_gives_way_to_the_heading_that_holds_it_whole() -> None:
    """The last item of a breadcrumb may be the headline cut short; the heading under it is the whole one."""
    crumbs = "* Home\n* City\n* Council approves the budget for the schools"
    heading = "Vote in the city hall: Council approves the budget for the schools - what comes next?"
    assert meta(page(crumbs, "March 3, 2021", heading)).title == heading
    assert meta(page(crumbs, "March 3, 2021")).title == "Council approves the budget for the schools"


def test_the_heading_that_the_comments_quote_is_the_title() -> None:
    """ "6 thoughts on “Title”" over the comments names the article, whatever heading sits nearer the body."""
    title = "How to adopt a success mindset online"
    text = page(title, "Why the council approved the new budget", paragraphs=14)
    assert meta(text).title == "Why the council approved the new budget"  # the body's words, without the quote
    assert meta(text + f"\n\n6 thoughts on “{title}”\n\nJane said").title == title


def test_a_quoted_link_to_a_part_of_the_site_is_no_title() -> None:
    """ "Mehr zu „Thema“" (label words before the quote) links to a section: the quoted words are not the title."""
    text = page("Fotos aus dem Urlaub in Rom", "Der Stadtrat beschließt den Haushalt", language="de", paragraphs=14)
    text += "\n\nMehr zu „Fotos aus dem Urlaub in Rom“"
    assert meta(text, "de").title == "Der Stadtrat beschließt den Haushalt"
    assert meta(text.replace("Mehr zu", "2 Gedanken zu"), "de").title == "Fotos aus dem Urlaub in Rom"


def test_share_buttons_between_the_title_and_the_byline() -> None:
    """A row of share buttons does not take the byline under the title out of its reach."""
    title = "Home sales miss and the shares plunge"
    blocks = [title, "The retailer earned less in the third quarter than a year ago."]
    blocks += [
        "Facebook\nTwitter\nPrint\nEmail\nPinterest\nReddit",
        "By Jane Doe",
        "Why the council voted for a new stadium",
    ]
    blocks += [BODY["en"]] * 3
    verdicts = [Verdict(True)] * 2 + [Verdict(False, "share")] + [Verdict(True)] * 5
    assert extract_metadata(blocks, verdicts, "en").title == title


def test_verdicts_shorter_or_longer_than_blocks() -> None:
    blocks = ["A council approves the budget for next year", "By Jane Doe", BODY["en"], BODY["en"]]
    assert extract_metadata(blocks, [Verdict(True)], "en").author == "Jane Doe"
    assert extract_metadata(blocks, [Verdict(True)] * 9, "en").author == "Jane Doe"


# ---------------------------------------------------------------------------------------- language


def test_language_from_the_body_rather_than_the_menu() -> None:
    text = "Home\nNews\nSports\nWeather\nContact us\nLog in\nSubscribe\n\n" + "\n\n".join([BODY["de"]] * 2)
    assert detect_language(text) == "de"


def test_language_from_prose_lines_not_from_warnings_above_them() -> None:
    """Long lines that end no sentence (PHP warnings, tickers, menus on one line) are not prose."""
    warning = (
        "Warning: mysql_get_server_info(): Access denied for user in /www/htdocs/wp-content/plugins/tag.php on line 299"
    )
    text = "Home\nNews\n" + "\n".join([warning] * 5) + "\n\n" + "\n\n".join([BODY["de"]] * 3)
    assert detect_language(text) == "de"


def test_language_from_a_paragraph_wrapped_at_72_columns() -> None:
    wrapped = textwrap.fill(" ".join([BODY["fr"]] * 3), 72)
    assert max(len(line) for line in wrapped.split("\n")) <= 72
    assert detect_language("Accueil\nActualités\n\n" + wrapped) == "fr"


@pytest.mark.parametrize("language", ["en", "fr", "de", "es"])
def test_a_sure_first_reading_agrees_with_the_whole_sample(language: str) -> None:
    text = "\n\n".join([BODY[language]] * 8)
    assert detect_language(text) == language
    assert detect_language(text[:300]) == language


def test_language_none_without_letters() -> None:
    assert detect_language("12 34 56 -- ** 78") is None


def test_lines_with_their_paragraphs_give_the_same_answer() -> None:
    text = page("A council approves the budget for next year", "By Jane Doe", "March 3, 2021")
    blocks = [line for block in text.split("\n\n") for line in block.split("\n")]
    paragraphs = [n for n, block in enumerate(text.split("\n\n")) for _ in block.split("\n")]
    result = extract_metadata(blocks, [Verdict(True)] * len(blocks), "en", paragraphs)
    assert result == meta(text)


def test_empty_page() -> None:
    assert extract_metadata([], [], None) == Metadata()


# ---------------------------------------------------------------------------------------- speed: same answers


def test_the_model_ranks_as_py3langid_does() -> None:
    """The vectorised walk and the float32 table (`model`) give py3langid's own ranking and scores, to the bit."""
    import py3langid

    from archiver.pipeline.language_model import Model, model

    assert isinstance(model(), Model)  # the vectorised model, not the shipped fallback
    mixed = BODY["fr"][:40] + BODY["de"][40:]
    for text in [*BODY.values(), "Ein kurzer Satz.", "short", mixed, "ÉTÉ À PARIS", "", "12 34", "x" * 7]:
        assert list(model().ranked(text)) == py3langid.rank(text)


def test_the_automaton_remembers_a_few_bytes() -> None:
    """The walk is vectorised over windows of `depth` bytes: a depth far from the n-gram sizes (1-4
    characters) would mean the automaton is not what the vectorised walk assumes."""
    from archiver.pipeline.language_model import Model, model

    loaded = model()
    assert isinstance(loaded, Model)
    assert 4 <= loaded.depth <= 12


@pytest.mark.parametrize(
    "text",
    ["Mai 2023", "MAI 2023", "mars", "Marsh", "marzo", "janv.", "ſep 8, 2023", "K", "İstanbul", "a cura di J", ""],
)
def test_cue_tries_match_as_the_longest_first_alternation(text: str) -> None:
    """`_alternation` writes the words as a trie; it matches as `w1|w2|...` longest first would."""
    import re

    from archiver.pipeline.metadata import _alternation

    words = {"mai", "mar", "mars", "march", "marzo", "janv", "jan", "sep", "sept", "k", "a", "a cura di", "di", "ß"}
    flat = "|".join(re.escape(w) for w in sorted(words, key=lambda w: (-len(w), w)))
    for pattern in (r"(?<!\w)(?P<w>{})(?![^\W\d_])\.?", r"(?P<w>{})", r"(?P<w>{})\s*\d"):
        old = re.compile(pattern.format(flat), re.I)
        new = re.compile(pattern.format(_alternation(words)), re.I)
        assert [(m.span(), m["w"]) for m in new.finditer(text)] == [(m.span(), m["w"]) for m in old.finditer(text)]


@pytest.mark.parametrize("text", ["Déjà Vu À PARIS", "Straße", "µs", "Ærø", "Привет Мир", "€ „Zitat“", "ASCII Only"])
def test_fold_is_casefold(text: str) -> None:
    from archiver.pipeline.metadata import _fold

    assert _fold(text) == text.casefold()
