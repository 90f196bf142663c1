"""Imports without the machine-learning back-ends the project does not use.

spaCy's thinc imports TensorFlow, and bm25s imports JAX, at their own import
whenever those are installed, and Rasa installs both. The passage ranking
(bot/answers/ranking.py) and the console's grouping (bot/web/console/wording.py)
need neither: a lookup lemmatizer and numpy's top-k. Hiding them keeps about
400 MB out of the action server and the web app (``make bench``, memory).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

UNUSED_BACKENDS = ("tensorflow", "jax")


@contextmanager
def without_modules(names: Sequence[str] = UNUSED_BACKENDS) -> Iterator[None]:
    """Imports made inside the block find ``names`` missing (``ImportError``).

    A module already imported stays as it is (the Rasa server has TensorFlow,
    and its spaCy sees it); after the block, ``names`` can be imported again.
    """
    hidden = [name for name in names if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]
    try:
        yield
    finally:
        for name in hidden:
            if name in sys.modules and sys.modules[name] is None:
                del sys.modules[name]
