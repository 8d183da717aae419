"""Readers of the real text that installs here, one module a source (see ``../shared/ASSETS.md``).

Each reader is deterministic and returns plain records (tuples or dicts of strings) in a stable order;
a missing source is a :class:`FileNotFoundError` that names the command installing it. Turning records
into training tasks is :mod:`epic.data.build`'s job. Readers import nothing of epic beyond this folder.
"""
