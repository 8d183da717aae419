"""The Wikipedia reader, on a small bz2 MediaWiki export written here in the real dump's format: one
article full of the markup it must drop, a redirect, a talk page, three film articles (infobox,
category, lead sentence), a disambiguation page and a film director's biography (kept)."""

from __future__ import annotations

import bz2
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from epic.data.documents import Document, Section
from epic.data.sources.wikipedia import DUMP, read

pytest.importorskip("mwparserfromhell")  # the reader's one library (imported by read() only)

HEADER = """<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.10/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://www.mediawiki.org/xml/export-0.10/ http://www.mediawiki.org/xml/export-0.10.xsd" version="0.10" xml:lang="en">
  <siteinfo>
    <sitename>Wikipedia</sitename>
    <dbname>enwiki</dbname>
    <base>https://en.wikipedia.org/wiki/Main_Page</base>
    <generator>MediaWiki 1.27.0-wmf.22</generator>
    <case>first-letter</case>
    <namespaces>
      <namespace key="0" case="first-letter" />
      <namespace key="1" case="first-letter">Talk</namespace>
    </namespaces>
  </siteinfo>
"""

ALBEDO = """{{Other uses}}
{{Use dmy dates|date=June 2013}}
{{Infobox quantity
| name = Albedo
| unit = none
}}
[[File:Albedo-e hg.svg|thumb|Percentage of diffusely reflected sunlight]]

'''Albedo''' ({{IPAc-en|æ|l|ˈ|b|iː|d|oʊ}}) or '''reflection coefficient''', from [[Latin]] ''albedo'' "whiteness", is the [[diffuse reflection|diffuse reflectivity]] of a surface.<ref>Environmental Encyclopedia, 3rd ed., Thompson Gale, 2003</ref>

It is measured on a scale from zero for no reflection of a black surface to one for a white surface.<ref name="heat island">{{cite web |url=http://example.org/ |title=Pavement Albedo |publisher=''Heat Island Group |date=1999}}</ref> Glaciers cover about {{convert|1200|km2|sqmi}} of the region.<!-- hidden note: not text -->
Earth's average surface temperature is about {{convert|15|C}} today.

The term was introduced into optics by [[Johann Heinrich Lambert]] in his 1760 work ''[[Photometria]]''.<ref>{{cite book |title=Lambert's 'Photometria' in translation |year=2001}}</ref>

Short caption-like fragment here.

==Terrestrial albedo==
{| class="wikitable"
|+ Sample albedos
|-
! Surface !! Typical albedo
|-
| Fresh asphalt || 0.04
|}
Albedos of typical materials in visible light range from up to 0.9 for fresh snow to about 0.04 for charcoal.<ref name="heat island"/>

Typical values include:
* Fresh snow, about 0.9 of the light
* Charcoal, about 0.04 of the light

===Snow===
Snow albedo is highly variable, ranging from as high as 0.9 for freshly fallen snow to 0.4 for melting snow.

The albedo of a surface is <math>\\alpha = \\frac{E_r}{E_i}</math>, the ratio of reflected to incident light.

For a plain value the formula is <math>a = 0.3</math> on average for the whole Earth.

== See also ==
* [[Cool roof]]
* [[Emissivity]]

==References==
{{Reflist}}

==External links==
* [http://www.albedo-project.org/ Official Website of Albedo Project]

{{Global warming}}

[[Category:1809 births]]
[[Category:Climate forcing]]
[[Category:Climatology]]
[[de:Albedo]]
"""

ACTRIUS = """{{Infobox film
| name = Actrius
| director = Ventura Pons
}}
'''''Actrius''''' (Catalan: ''Actresses'') is a 1997 Catalan-language drama by Ventura Pons, shot in Barcelona.

== Plot ==
In order to prepare herself to play a role commemorating the life of a famous actress, a student interviews three actresses.
"""

FILM_BY_CATEGORY = """'''Short Cuts''' is a story about several people in Los Angeles told over a few days in summer.

[[Category:1993 films]]
"""

FILM_BY_LEAD = """'''Night Train''' was a 1959 Polish psychological thriller film directed by Jerzy Kawalerowicz and set aboard a train.
"""

DISAMBIGUATION = """'''Aberdeen''' is a city in Scotland, and the name of many other places around the world.

* [[Aberdeen, Hong Kong]], a town in Hong Kong
* [[Aberdeen, Washington]], a city in the United States

{{disambiguation|geo}}
"""

DWAN = """'''Allan Dwan''' (3 April 1885 – 28 December 1981) was a pioneering Canadian-born American film director, producer and screenwriter.

==Career==
Dwan operated Flying A Studios in La Mesa, California from August 1911 to July 1912, making many short films.

His first studio cost ${{formatnum:{{Inflation|US|5000|1911}}}} to build in today's money, a large sum then.

Dwan died on 28 December 1981 ({{years ago|1981}}) in Los Angeles, California, at the age of 96.

[[Category:1885 births]]
[[Category:1981 deaths]]
[[Category:American film directors]]
"""


def page(title: str, ns: int, page_id: int, text: str, redirect: str = "") -> str:
    redirect_tag = f'    <redirect title="{redirect}" />\n' if redirect else ""
    return f"""  <page>
    <title>{escape(title)}</title>
    <ns>{ns}</ns>
    <id>{page_id}</id>
{redirect_tag}    <revision>
      <id>{page_id * 1000}</id>
      <parentid>{page_id * 1000 - 1}</parentid>
      <timestamp>2016-04-20T12:00:00Z</timestamp>
      <contributor>
        <username>Editor</username>
        <id>42</id>
      </contributor>
      <model>wikitext</model>
      <format>text/x-wiki</format>
      <text xml:space="preserve">{escape(text)}</text>
      <sha1>0123456789abcdefghijklmnopqrstu</sha1>
    </revision>
  </page>
"""


def write_dump(root: Path) -> Path:
    pages = [
        page("AccessibleComputing", 0, 10, "#REDIRECT [[Computer accessibility]]", redirect="Computer accessibility"),
        page("Albedo", 0, 39, ALBEDO),
        page("Talk:Albedo", 1, 40, "This discussion page is about improving the article on albedo in many ways."),
        page("Actrius", 0, 330, ACTRIUS),
        page("Short Cuts", 0, 331, FILM_BY_CATEGORY),
        page("Night Train", 0, 332, FILM_BY_LEAD),
        page("Aberdeen (disambiguation)", 0, 632, DISAMBIGUATION),
        page("Allan Dwan", 0, 344, DWAN),
    ]
    path = root / DUMP
    path.parent.mkdir(parents=True)
    path.write_bytes(bz2.compress((HEADER + "".join(pages) + "</mediawiki>\n").encode("utf-8")))
    return root


EXPECTED = [
    Document(
        "enwiki:39",
        "Albedo",
        (
            Section(
                "",
                (
                    'Albedo or reflection coefficient, from Latin albedo "whiteness", is the diffuse reflectivity of a surface.',
                    "It is measured on a scale from zero for no reflection of a black surface to one for a white surface. "
                    "Glaciers cover about 1200 km² of the region. Earth's average surface temperature is about 15 °C today.",
                    "The term was introduced into optics by Johann Heinrich Lambert in his 1760 work Photometria.",
                ),
            ),
            Section(
                "Terrestrial albedo",
                (
                    "Albedos of typical materials in visible light range from up to 0.9 for fresh snow to about 0.04 for charcoal.",
                ),
            ),
            Section(
                "Terrestrial albedo / Snow",
                (
                    "Snow albedo is highly variable, ranging from as high as 0.9 for freshly fallen snow to 0.4 for melting snow.",
                    "For a plain value the formula is a = 0.3 on average for the whole Earth.",
                ),
            ),
        ),
        group="Climate forcing",
    ),
    Document(
        "enwiki:344",
        "Allan Dwan",
        (
            Section(
                "",
                (
                    "Allan Dwan (3 April 1885 – 28 December 1981) was a pioneering Canadian-born American film director, "
                    "producer and screenwriter.",
                ),
            ),
            Section(
                "Career",
                (
                    "Dwan operated Flying A Studios in La Mesa, California from August 1911 to July 1912, making many short films.",
                    "Dwan died on 28 December 1981 in Los Angeles, California, at the age of 96.",
                ),
            ),
        ),
        group="American film directors",
    ),
]


def test_reads_articles_exactly(tmp_path: Path) -> None:
    assert read(folder=write_dump(tmp_path)) == EXPECTED


def test_exclusions_and_junk(tmp_path: Path) -> None:
    docs = read(folder=write_dump(tmp_path))
    titles = [d.title for d in docs]
    # redirects, other namespaces, films (infobox, category, lead sentence) and disambiguation pages are out
    gone = {"AccessibleComputing", "Talk:Albedo", "Actrius", "Short Cuts", "Night Train", "Aberdeen (disambiguation)"}
    assert titles == ["Albedo", "Allan Dwan"] and not gone & set(titles)
    text = " ".join(p for d in docs for p in d.paragraphs)
    for junk in ("{{", "}}", "[[", "]]", "<ref", "cite web", "Thompson Gale", "'''", "thumb", "wikitable", "0.04 ||",
                 "Cool roof", "Official Website", "Category", "de:Albedo", "hidden note", "Short caption", "frac",
                 "Typical values", "Fresh snow, about", "æ", "in translation", "today's money", "()"):  # fmt: skip
        assert junk not in text
    headings = [s.heading for d in docs for s in d.sections]
    assert not {"See also", "References", "External links"} & set(headings)


def test_deterministic(tmp_path: Path) -> None:
    root = write_dump(tmp_path)
    assert read(folder=root) == read(folder=root)


def test_missing_folder_names_fetch(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="epic data fetch wikipedia"):
        read(folder=tmp_path / "nowhere")
