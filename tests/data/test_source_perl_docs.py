"""The Perl manual reader, on a small ``pod`` folder written here in the real POD layout."""

from __future__ import annotations

from pathlib import Path

import pytest

from epic.data.documents import Section
from epic.data.sources import perl_docs
from epic.data.sources.perl_docs import POD_DIR, read

PERLFAQ4 = """\
=head1 NAME

perlfaq4 - Data Manipulation

=head1 VERSION

version 5.20210520

=head1 DESCRIPTION

This section of the FAQ answers questions related to manipulating
numbers, dates, strings, arrays, hashes, and miscellaneous data issues.

=head1 Data: Numbers

=head2 Why is int() broken?

(contributed by brian d foy)

Your C<int()> is most probably working just fine. It's the numbers that
aren't quite what you think. See L<perlop/"Floating-point Arithmetic">
and L<the manual|perlnumber>.

    print int(0.6/0.2-2), "\\n";

=head2 How do I compare two arrays (C<< @a >> and C<< $b->[0] >>)?

Use the smartmatch-free E<lt>=E<gt> operator on each element, or
see L<List::Util>.

L<perlop>, L<perlfunc/sort>

=head1 AUTHOR AND COPYRIGHT

Copyright (c) 1997-2010 Tom Christiansen, Nathan Torkington, and
other authors as noted. All rights reserved.
"""

PERLFUNC = """\
=head1 NAME
X<function>

perlfunc - Perl builtin functions

=head1 DESCRIPTION

The functions in this section can serve as terms in an expression.

=head2 Perl Functions by Category
X<function>

=over 4

=item Functions for real @ARRAYs
X<array>

=for Pod::Functions =ARRAY

L<C<each>|/each HASH>, L<C<pop>|/pop ARRAY>,
L<C<push>|/push ARRAY,LIST>

=back

=head2 Alphabetical Listing of Perl Functions

=over

=item prototype FUNCTION
X<prototype>

=item prototype

=for Pod::Functions +5.002 get the prototype (if any) of a subroutine

Returns the prototype of a function as a string (or
L<C<undef>|/undef EXPR> if the function has no prototype).

=item push ARRAY,LIST
X<push> X<stack>

=for Pod::Functions append one or more elements to an array

Treats ARRAY as a stack by appending the values of LIST to the end of
ARRAY.

    for my $value (LIST) {
        $ARRAY[++$#ARRAY] = $value;
    }

=over 4

=item *

Short bullet.

=item *

A bullet that is long enough to count as a sentence of prose.

=item format parameter index

An explicit format parameter index, such as C<2$>.

=back

but is more efficient.

=back

Text after the list belongs to the heading again.

=cut

sub not_pod { 1 }

=head2 Portability

=begin html

<p>Some HTML that is no prose.</p>

=end html

Perl was born in Unix and can therefore access all common Unix system calls.
"""

PERLINTRO = """\
If you read this file _as_is_, just ignore the funny characters you see.

=encoding utf8

=head1 NAME

perlintro - a brief introduction and overview of Perl

=head1 DESCRIPTION

This document is intended to give you a quick overview of the Perl
programming language, by L<Larry Wall|https://www.wall.org/~larry/> et al., caf\u00e9.

=head1 SEE ALSO

L<perlfaq>, L<perlrun>

=head1 AUTHOR

Kirrily "Skud" Robert <skud@cpan.org>
"""


def write_pods(root: Path) -> Path:
    """``root``, the unpacked package, with a few POD pages and the excluded ones."""
    folder = root / POD_DIR
    folder.mkdir(parents=True)
    (folder / "perlfaq4.pod").write_text(PERLFAQ4, encoding="utf-8")
    (folder / "perlfunc.pod").write_text(PERLFUNC, encoding="utf-8")
    (folder / "perlintro.pod").write_text(PERLINTRO, encoding="utf-8")
    (folder / "perlsyn.pod").write_bytes(  # no =encoding and not UTF-8: read as Latin-1
        b"=head1 NAME\n\nperlsyn - Perl syntax\n\n=head1 DESCRIPTION\n\nA Perl program na\xefvely consists of statements.\n"
    )
    delta = "=head1 NAME\n\n{0} - what is new\n\n=head1 DESCRIPTION\n\nThis document describes differences.\n"
    for name in ("perl5360delta", "perldelta", "perl58delta", "perlhist", "perltoc", "perlgpl", "perlcn"):
        (folder / f"{name}.pod").write_text(delta.format(name), encoding="utf-8")
    (folder / "README").write_text("not a pod\n", encoding="utf-8")
    return root


def test_read_documents_and_sections(tmp_path: Path) -> None:
    docs = read(write_pods(tmp_path))
    assert [(d.id, d.title, d.group) for d in docs] == [
        ("perlfaq4.pod", "perlfaq4 - Data Manipulation", "perlfaq"),
        ("perlfunc.pod", "perlfunc - Perl builtin functions", "perlfunc"),
        ("perlintro.pod", "perlintro - a brief introduction and overview of Perl", "perl"),
        ("perlsyn.pod", "perlsyn - Perl syntax", "perl"),
    ]
    faq, func, intro, syn = docs
    assert faq.sections == (
        Section(
            "DESCRIPTION",
            (
                "This section of the FAQ answers questions related to manipulating numbers, dates, strings, "
                "arrays, hashes, and miscellaneous data issues.",
            ),
        ),
        Section(
            "Why is int() broken?",
            (
                "Your int() is most probably working just fine. It's the numbers that aren't quite what you "
                'think. See "Floating-point Arithmetic" in perlop and the manual.',
            ),
        ),
        Section(
            "How do I compare two arrays (@a and $b->[0])?",
            ("Use the smartmatch-free <=> operator on each element, or see List::Util.",),
        ),
    )
    assert func.sections == (
        Section("DESCRIPTION", ("The functions in this section can serve as terms in an expression.",)),
        Section(
            "prototype FUNCTION; prototype",
            ("Returns the prototype of a function as a string (or undef if the function has no prototype).",),
        ),
        Section(
            "push ARRAY,LIST",
            (
                "Treats ARRAY as a stack by appending the values of LIST to the end of ARRAY.",
                "A bullet that is long enough to count as a sentence of prose.",
                "An explicit format parameter index, such as 2$.",
                "but is more efficient.",
            ),
        ),
        Section("Alphabetical Listing of Perl Functions", ("Text after the list belongs to the heading again.",)),
        Section("Portability", ("Perl was born in Unix and can therefore access all common Unix system calls.",)),
    )
    assert intro.sections == (
        Section(
            "DESCRIPTION",
            (
                "This document is intended to give you a quick overview of the Perl programming language, "
                "by Larry Wall et al., café.",
            ),
        ),
    )
    assert syn.sections == (Section("DESCRIPTION", ("A Perl program naïvely consists of statements.",)),)


def test_exclusions_and_junk(tmp_path: Path) -> None:
    docs = read(write_pods(tmp_path))
    assert {d.id for d in docs} == {"perlfaq4.pod", "perlfunc.pod", "perlintro.pod", "perlsyn.pod"}
    text = "\n".join(p for d in docs for p in d.paragraphs)
    headings = {s.heading for d in docs for s in d.sections}
    assert not headings & {"NAME", "VERSION", "AUTHOR AND COPYRIGHT", "SEE ALSO", "AUTHOR", "Data: Numbers"}
    for junk in ("version 5.2", "Copyright", "contributed", "print int", "$value", "Short bullet", "HTML",
                 "not_pod", "funny characters", "each, pop", "perlrun", "skud", "Pod::Functions", "X<", "C<",
                 "L<", "E<"):  # fmt: skip
        assert junk not in text, junk


def test_deterministic(tmp_path: Path) -> None:
    root = write_pods(tmp_path)
    assert read(root) == read(root)


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="epic data fetch perl_docs"):
        read(tmp_path / "absent")
    assert perl_docs.SOURCE.package.name == "perl-doc"
