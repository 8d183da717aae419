"""The stable import path that saved folders name in ``modules.json`` (``epic.st.EpicSTModule``).

sentence-transformers imports the module class by that dotted name, so it stays here whatever the
package's layout; the implementation lives in :mod:`epic.encoder.st`.
"""

from .encoder.st import EpicSTModule

__all__ = ["EpicSTModule"]
