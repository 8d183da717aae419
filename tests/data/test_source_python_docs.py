"""The Python documentation reader, on a small ``_sources`` tree written here in the real reST layout."""

from __future__ import annotations

from pathlib import Path

import pytest

from epic.data.documents import Section
from epic.data.sources import python_docs
from epic.data.sources.python_docs import SOURCES, read

OS_PATH = """\
:mod:`os.path` --- Common pathname manipulations
================================================

.. module:: os.path
   :synopsis: Operations on pathnames.

**Source code:** :source:`Lib/posixpath.py` (for POSIX) and
:source:`Lib/ntpath.py` (for Windows).

.. index:: single: path; operations

--------------

This module implements some useful functions on pathnames. To read or write
files see :func:`open`, and for accessing the filesystem see the :mod:`os`
module. The path parameters can be passed as strings, or bytes, or any object
implementing the :class:`~os.PathLike` protocol.

.. seealso::
   The :mod:`pathlib` module offers high-level path objects.

.. note::

   Since different operating systems have different path name conventions, there
   are several versions of this module in the standard library.

   * :mod:`posixpath` for UNIX-style paths
   * :mod:`ntpath` for Windows paths

.. versionchanged:: 3.8

   :func:`exists` now returns ``False`` instead of raising an exception.


.. function:: join(path, *paths)

   Join one or more path segments intelligently.  The return value is the
   concatenation of *path* and all members of *\\*paths*, see :ref:`tut-files`.

   .. versionchanged:: 3.6
      Accepts a :term:`path-like object` for *path* and *paths*.

.. function:: commonprefix(list)

   Return the longest path prefix (taken character-by-character).

   .. note::

      This function may return invalid paths because it works a
      character at a time.  For example::

        >>> os.path.commonprefix(['/usr/lib', '/usr/local/lib'])
        '/usr/l'

.. data:: supports_unicode_filenames

   ``True`` if arbitrary Unicode strings can be used as file names.

.. function:: dumps(obj, *, skipkeys=False, \\
                    sort_keys=False, \\*\\*kw)

   Serialize *obj* to a JSON formatted :class:`str` [Frie09]_.

.. class:: Walker(top)
           Walker(top, onerror)

   Walks a tree, see `the PEP <https://peps.python.org/pep-0471/>`_ and :pep:`471`.

   .. method:: step()

      Advance by one directory, as with ``os.scandir`` [#]_.

Back in the module text after the functions, with |version| dropped.

.. rubric:: Footnotes

.. [#] A footnote, dropped.
"""

FAQ = """\
:tocdepth: 2

===============
Programming FAQ
===============

.. only:: html

   .. contents::

General Questions
=================

Is there a source code level debugger with breakpoints?
-------------------------------------------------------

Yes.

The pdb module is a simple but adequate console-mode debugger for Python. It is
part of the standard Python library, and is :mod:`documented in the Library
Reference Manual <pdb>`.

They include:

* `Wing IDE <https://wingware.com/>`_
* `PyCharm <https://www.jetbrains.com/pycharm/>`_
* The IDLE environment, which is part of the standard distribution, has one too.

How do I write a function with output parameters?
-------------------------------------------------

Remember that arguments are passed by assignment in Python.  Consider this::

   def func1(a, b):
       return 'new-value', b + 1

======== ==================
Operator Meaning
======== ==================
``+``    addition

``-``    subtraction
======== ==================

+-------+--------+
| grid  | table  |
+-------+--------+

>>> func1('old', 1)
('new-value', 2)

1. A numbered item that is long enough to read as a paragraph of prose.
2. Too short.
"""

GLOSSARY = """\
.. _glossary:

********
Glossary
********

.. if you add new entries, keep the alphabetical sorting!

.. glossary::

   ``>>>``
      The default Python prompt of the interactive shell.

   abstract base class
      Abstract base classes complement :term:`duck-typing` by
      providing a way to define interfaces.

      See the :mod:`abc` module documentation.
"""

TUTORIAL = """\
.. _tut-io:

****************
Input and Output
****************

.. _tut-files:

Reading and Writing Files
=========================

:func:`open` returns a :term:`file object`, and is most commonly used with
two positional arguments and one keyword argument: ``open(filename, mode,
encoding=None)``; see :doc:`../library/os.path` and :rfc:`2822#section-3`.

``'r'``
   when the file will only be read, which is the default mode for open

``'w'``
   for only writing
"""

CAPI = """\
.. highlight:: c

Integer Objects
===============

.. c:function:: PyObject* PyLong_FromLong(long v)

   Return a new :c:type:`PyLongObject` object from *v*, or ``NULL`` on failure.
"""


def write_tree(root: Path) -> Path:
    """``root``, the unpacked package, with a few pages and the excluded ones under ``_sources``."""
    pages = {
        "library/os.path.rst.txt": OS_PATH,
        "faq/programming.rst.txt": FAQ,
        "glossary.rst.txt": GLOSSARY,
        "tutorial/inputoutput.rst.txt": TUTORIAL,
        "c-api/long.rst.txt": CAPI,
        "contents.rst.txt": "Python Documentation contents\n=============================\n\n.. toctree::\n\n   tutorial/index.rst\n",
        "whatsnew/3.11.rst.txt": "What's New In Python 3.11\n=========================\n\nThe release is faster than ever before in the history of Python.\n",
        "license.rst.txt": "History and License\n===================\n\nPython software and documentation are licensed under the PSF License.\n",
        "about.rst.txt": "About these documents\n=====================\n\nThese documents are generated from reStructuredText sources.\n",
        "includes/wasm-notavail.rst.txt": ".. include for modules\n\nThis module does not work on WebAssembly platforms at all.\n",
        "distutils/_setuptools_disclaimer.rst.txt": ".. note::\n\n   This document is being retained solely until the setuptools documentation covers it.\n",
    }
    for path, text in pages.items():
        file = root / SOURCES / path
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(text, encoding="utf-8")
    return root


def test_read_pages_sections_and_api(tmp_path: Path) -> None:
    docs = read(write_tree(tmp_path))
    assert [(d.id, d.title, d.group) for d in docs] == [
        ("c-api/long.rst.txt", "Integer Objects", "c-api"),
        ("faq/programming.rst.txt", "Programming FAQ", "faq"),
        ("glossary.rst.txt", "Glossary", "glossary"),
        ("library/os.path.rst.txt", "os.path — Common pathname manipulations", "library"),
        ("tutorial/inputoutput.rst.txt", "Input and Output", "tutorial"),
    ]
    capi, faq, glossary, os_path, tutorial = docs
    assert capi.sections == (
        Section(
            "PyObject* PyLong_FromLong(long v)",
            ("Return a new PyLongObject object from v, or NULL on failure.",),
        ),
    )
    assert os_path.sections == (
        Section(
            "os.path — Common pathname manipulations",
            (
                "This module implements some useful functions on pathnames. To read or write files see open, and "
                "for accessing the filesystem see the os module. The path parameters can be passed as strings, or "
                "bytes, or any object implementing the PathLike protocol.",
                "Since different operating systems have different path name conventions, there are several "
                "versions of this module in the standard library.",
            ),
        ),
        Section(
            "os.path.join(path, *paths)",
            (
                "Join one or more path segments intelligently. The return value is the concatenation of path and "
                "all members of *paths, see Reading and Writing Files.",
            ),
        ),
        Section(
            "os.path.commonprefix(list)",
            (
                "Return the longest path prefix (taken character-by-character).",
                "This function may return invalid paths because it works a character at a time. For example:",
            ),
        ),
        Section(
            "os.path.supports_unicode_filenames",
            ("True if arbitrary Unicode strings can be used as file names.",),
        ),
        Section(
            "os.path.dumps(obj, *, skipkeys=False, sort_keys=False, **kw)",
            ("Serialize obj to a JSON formatted str.",),
        ),
        Section(
            "os.path.Walker(top); os.path.Walker(top, onerror)",
            ("Walks a tree, see the PEP and PEP 471.",),
        ),
        Section("os.path.Walker.step()", ("Advance by one directory, as with os.scandir.",)),
        Section(
            "os.path — Common pathname manipulations",
            ("Back in the module text after the functions, with dropped.",),
        ),
    )
    assert faq.sections == (
        Section(
            "Is there a source code level debugger with breakpoints?",
            (
                "Yes.",
                "The pdb module is a simple but adequate console-mode debugger for Python. It is part of the "
                "standard Python library, and is documented in the Library Reference Manual.",
                "They include:",
                "The IDLE environment, which is part of the standard distribution, has one too.",
            ),
        ),
        Section(
            "How do I write a function with output parameters?",
            (
                "Remember that arguments are passed by assignment in Python. Consider this:",
                "A numbered item that is long enough to read as a paragraph of prose.",
            ),
        ),
    )
    assert glossary.sections == (
        Section(">>>", ("The default Python prompt of the interactive shell.",)),
        Section(
            "abstract base class",
            (
                "Abstract base classes complement duck-typing by providing a way to define interfaces.",
                "See the abc module documentation.",
            ),
        ),
    )
    assert tutorial.sections == (
        Section(
            "Reading and Writing Files",
            (
                "open returns a file object, and is most commonly used with two positional arguments and one "
                "keyword argument: open(filename, mode, encoding=None); see os.path — Common pathname "
                "manipulations and RFC 2822.",
                "when the file will only be read, which is the default mode for open",
            ),
        ),
    )


def test_exclusions_and_junk(tmp_path: Path) -> None:
    docs = read(write_tree(tmp_path))
    ids = {d.id for d in docs}
    assert not any(i.startswith(("whatsnew/", "includes/")) for i in ids)
    assert not ids & {"license.rst.txt", "about.rst.txt", "distutils/_setuptools_disclaimer.rst.txt"}
    assert "contents.rst.txt" not in ids  # a toctree and nothing else
    text = "\n".join(p for d in docs for p in d.paragraphs)
    for junk in ("``", ":func:", "`", ">>>", "def func1", "grid", "Operator", "addition", "footnote", "Source code",
                 "versionchanged", "Accepts", "pathlib", "tocdepth", "Wing", "Too short", "for only writing",
                 "|", "::", "\\"):  # fmt: skip
        assert junk not in text, junk


def test_deterministic(tmp_path: Path) -> None:
    root = write_tree(tmp_path)
    assert read(root) == read(root)


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="epic data fetch python_docs"):
        read(tmp_path / "absent")
    assert python_docs.SOURCE.package.name == "python3.11-doc"
