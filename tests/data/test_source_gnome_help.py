"""The GNOME help reader, on a small ``usr/share/help`` tree of Mallard pages like those of gnome-user-docs."""

from __future__ import annotations

from pathlib import Path

import pytest

from epic.data.documents import Document, Section
from epic.data.sources.gnome_help import HELP, read

BOUNCEKEYS = """<page xmlns="http://projectmallard.org/1.0/"
      xmlns:its="http://www.w3.org/2005/11/its"
      xmlns:if="http://projectmallard.org/if/1.0/"
      type="topic" style="task a11y"
      id="a11y-bouncekeys">

  <info>
    <link type="guide" xref="a11y#mobility" group="keyboard"/>
    <link type="guide" xref="keyboard" group="a11y"/>

    <revision pkgversion="3.8.0" date="2013-03-13" status="candidate"/>
    <revision pkgversion="3.33.3" date="2019-07-21" status="review"/>

    <include href="legal.xml" xmlns="http://www.w3.org/2001/XInclude"/>

    <credit type="author">
      <name>Shaun McCance</name>
      <email>shaunm@gnome.org</email>
    </credit>

    <desc>Ignore quickly-repeated key presses of the <em>same</em> key.</desc>
  </info>

  <title>Turn on bounce keys</title>

  <p>Turn on <em>bounce keys</em> to ignore key presses that are rapidly
  repeated. For example, if you have hand tremors, you should turn on
  bounce keys.</p>

<if:choose>
  <if:when test="!platform:gnome-classic">
    <media type="image" src="figures/shell-top-bar.png" width="600" if:test="!target:mobile">
      <p>GNOME Shell top bar</p>
    </media>
    <p>Open the <gui xref="shell-introduction#activities">Activities</gui> overview to find the settings.</p>
  </if:when>
  <if:when test="platform:gnome-classic">
    <p>Open the <gui>Applications</gui> menu in GNOME Classic to find the settings.</p>
  </if:when>
</if:choose>

  <steps>
    <title>To turn bounce keys on:</title>
    <item>
      <p>Open the <gui xref="shell-introduction#activities">Activities</gui> overview and start typing <gui>Settings</gui>.</p>
    </item>
    <item>
      <p>Click on <gui>Settings</gui>.</p>
    </item>
    <item>
      <p>Click <gui>Accessibility</gui> in the sidebar to open the panel, or press
      <keyseq><key>Super</key><key>A</key></keyseq>.</p>
    </item>
    <item>
      <p>Choose <guiseq><gui>Typing</gui><gui>Typing Assist (AccessX)</gui></guiseq> and switch
      <gui>Bounce Keys</gui> on.</p>
    </item>
  </steps>
  <include href="dconf-snippets.xml" xpointer="xpointer(/*/*[@xml:id='dconf-profile-user'])"
           xmlns="http://www.w3.org/2001/XInclude"/>

  <note style="tip">
    <title>Quickly turn bounce keys on and off</title>
    <p>You can turn bounce keys on and off by clicking the
    <link xref="a11y-icon">accessibility icon</link> on the top bar, as <link xref="a11y"/> explains.</p>
  </note>

  <comment>
    <cite date="2013-03-13">shaunm</cite>
    <p>Add a screenshot of the Typing Assist dialog when it settles down.</p>
  </comment>

  <section id="delay">
    <title>The <gui>Acceptance delay</gui></title>
    <p>Use the <gui>Acceptance delay</gui> slider to change how long bounce keys
    waits before it registers another key press. See <link xref="#beep"/> and
    <link href="https://wiki.gnome.org/Accessibility"/>.</p>
    <screen><output>$ </output><input>gsettings set org.gnome.desktop.a11y.keyboard bouncekeys-enable true</input></screen>
    <p><cmd>gsettings get org.gnome.desktop.a11y.keyboard bouncekeys-delay</cmd></p>
    <section id="beep">
      <title>Beep when a key is rejected</title>
      <p>Select <gui>Beep when a key is rejected</gui> if you want the computer to make a sound each time it
      ignores a key press.</p>
      <p if:test="platform:gnome-classic">Classic mode beeps through the panel applet, which this page never shows.</p>
      <table>
        <tr><td><p>Beep</p></td><td><p>A short sound played on every rejected key press, always.</p></td></tr>
      </table>
    </section>
  </section>

  <section id="empty">
    <title>See also</title>
    <links type="seealso"/>
  </section>

</page>
"""

GUIDE = """<page xmlns="http://projectmallard.org/1.0/" xmlns:ui="http://projectmallard.org/experimental/ui/"
      type="guide" style="a11y task" id="a11y">
  <info>
    <link type="guide" xref="index" group="a11y"/>
    <desc>Get help with <link xref="a11y#vision">seeing</link> and <link xref="a11y#mobility">mobility</link>.</desc>
    <title type="link" role="trail">Access</title>
    <title type="link">the accessibility guide</title>
    <ui:thumb role="experimental-gnome-tiles" src="figures/tile-accessibility.svg"/>
  </info>
  <title>Accessibility</title>
  <links type="topic" style="linklist"/>
  <section id="mobility" style="a11y">
    <title>Mobility impairments</title>
    <links type="topic" style="linklist"/>
  </section>
</page>
"""

LEGAL = """<license xmlns="http://projectmallard.org/1.0/"
         href="https://creativecommons.org/licenses/by-sa/3.0/">
  <p>This work is licensed under a <link href="https://creativecommons.org/licenses/by-sa/3.0/">Creative
  Commons Attribution-ShareAlike 3.0 Unported License</link>.</p>
</license>
"""

BANNER = """<?xml version="1.0" encoding="utf-8"?>
<page xmlns="http://projectmallard.org/1.0/" xmlns:its="http://www.w3.org/2005/11/its"
      type="topic" style="task" id="login-banner">
  <info>
    <link type="guide" xref="login#appearance"/>
    <credit type="author"><name>Matthias Clasen</name><email>matthiasc@gnome.org</email></credit>
    <desc>Display descriptive text on the login screen.</desc>
  </info>
  <title>Display a text banner on the login screen</title>
  <p>You can display extra text on the login screen, such as who to contact for support, by setting the
  <sys>org.gnome.login-screen.banner-message-text</sys> GSettings key.</p>
  <list>
    <item>
      <p>Open the <gui xref="shell-introduction#activities">Activities</gui> overview and start typing <gui>Settings</gui>.</p>
    </item>
    <item><p>Short item.</p></item>
    <item><p>Keep the banner message short, because the login screen has little room for it.</p></item>
  </list>
  <listing its:translate="no">
    <title><file>/etc/dconf/db/gdm.d/01-banner-message</file></title>
    <code>[org/gnome/login-screen]
banner-message-enable=true</code>
  </listing>
  <note style="important">
    <p>The <link xref="login-automatic">login screen</link> shows the banner for every user on the system.</p>
  </note>
</page>
"""

AUTOMATIC = """<page xmlns="http://projectmallard.org/1.0/" type="topic" style="task" id="login-automatic">
  <info>
    <desc>Log in to a user account automatically on startup.</desc>
  </info>
  <title>Log in automatically</title>
  <p>An administrator can make the computer log in to one account automatically when it starts.</p>
  <steps>
    <item>
      <p>Open the <gui xref="shell-introduction#activities">Activities</gui> overview and start typing <gui>Settings</gui>.</p>
    </item>
  </steps>
  <p>The <link xref="login-automatic">login screen</link> shows the banner for every user on the system.</p>
</page>
"""

TRANSLATED = BOUNCEKEYS.replace("Turn on bounce keys", "Tastenprellung einschalten")


@pytest.fixture
def package(tmp_path: Path) -> Path:
    c = tmp_path / HELP
    files = {
        "gnome-help/a11y-bouncekeys.page": BOUNCEKEYS,
        "gnome-help/a11y.page": GUIDE,
        "gnome-help/legal.xml": LEGAL,
        "system-admin-guide/login-banner.page": BANNER,
        "system-admin-guide/login-automatic.page": AUTOMATIC,
        "system-admin-guide/legal.xml": LEGAL,
        "../de/gnome-help/a11y-bouncekeys.page": TRANSLATED,
    }
    for rel, text in files.items():
        (c / rel).parent.mkdir(parents=True, exist_ok=True)
        (c / rel).write_text(text, encoding="utf-8")
    (c / "gnome-help/figures").mkdir()
    (c / "gnome-help/figures/shell-top-bar.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    return tmp_path


EXPECTED = [
    Document(
        "gnome-help/a11y-bouncekeys.page",
        "Turn on bounce keys",
        (
            Section(
                "",
                (
                    "Turn on bounce keys to ignore key presses that are rapidly repeated. For example, if you have "
                    "hand tremors, you should turn on bounce keys.",
                    "Open the Activities overview to find the settings.",
                    "Click Accessibility in the sidebar to open the panel, or press Super+A.",
                    "Choose Typing ▸ Typing Assist (AccessX) and switch Bounce Keys on.",
                    "You can turn bounce keys on and off by clicking the accessibility icon on the top bar, as the "
                    "accessibility guide explains.",
                ),
            ),
            Section(
                "The Acceptance delay",
                (
                    "Use the Acceptance delay slider to change how long bounce keys waits before it registers "
                    "another key press. See Beep when a key is rejected and https://wiki.gnome.org/Accessibility.",
                ),
            ),
            Section(
                "Beep when a key is rejected",
                (
                    "Select Beep when a key is rejected if you want the computer to make a sound each time it "
                    "ignores a key press.",
                ),
            ),
        ),
        "gnome-help/a11y",
        summary="Ignore quickly-repeated key presses of the same key.",
    ),
    Document(
        "system-admin-guide/login-automatic.page",
        "Log in automatically",
        (
            Section(
                "",
                (
                    "An administrator can make the computer log in to one account automatically when it starts.",
                    "The login screen shows the banner for every user on the system.",  # on 2 pages: not boilerplate
                ),
            ),
        ),
        "system-admin-guide",
        summary="Log in to a user account automatically on startup.",
    ),
    Document(
        "system-admin-guide/login-banner.page",
        "Display a text banner on the login screen",
        (
            Section(
                "",
                (
                    "You can display extra text on the login screen, such as who to contact for support, by setting "
                    "the org.gnome.login-screen.banner-message-text GSettings key.",
                    "Keep the banner message short, because the login screen has little room for it.",
                    "The login screen shows the banner for every user on the system.",
                ),
            ),
        ),
        "system-admin-guide/login",
        summary="Display descriptive text on the login screen.",
    ),
]


def test_reads_english_pages(package: Path) -> None:
    assert read(package) == EXPECTED


def test_drops_markup_code_comments_and_other_branches(package: Path) -> None:
    text = " ".join(p for doc in read(package) for p in doc.paragraphs)
    for junk in ("Shaun", "shaunm", "3.8.0", "licensed", "GNOME Classic", "Classic mode", "Shell top bar", "screenshot",
                 "gsettings", "banner-message-enable", "01-banner", "Short item", "Click on Settings",
                 "To turn bounce keys on", "Quickly turn", "A short sound", "See also", "<", "  ",
                 "start typing Settings"):  # fmt: skip
        assert junk not in text
    assert "Tastenprellung" not in {doc.title for doc in read(package)}  # the German translation
    assert "gnome-help/a11y.page" not in {doc.id for doc in read(package)}  # a guide page: only links


def test_deterministic(package: Path) -> None:
    assert read(package) == read(package)


def test_missing_package_names_the_fetch_command(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="epic data fetch gnome_help"):
        read(tmp_path / "nowhere")
