"""Words of free text as features: which of a column's frequent words each row holds."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from compete.errors import ModelError
from compete.features.base import Recipe, join_new, pick_columns
from compete.features.registry import FEATURES

__all__ = ["TextWords", "free_text", "words_of"]

WORD = r"\w\w+"  # scikit-learn's CountVectorizer default: two or more word characters, lower-cased


def free_text(X: pd.DataFrame) -> list[str]:
    """The free-text columns of a typed frame: strings that are not categories."""
    return [
        c
        for c in X.columns
        if pd.api.types.is_string_dtype(X[c]) and not isinstance(X[c].dtype, pd.CategoricalDtype)
    ]


def words_of(s: pd.Series) -> pd.Series:
    """Each row's distinct lower-cased words, one per row of the result (exploded, index repeated);
    missing text has none."""
    words = s.dropna().astype(str).str.lower().str.findall(WORD).explode().dropna()
    return words[~pd.MultiIndex.from_arrays([words.index, words.to_numpy()]).duplicated()]


def _name(col: str, word: str, taken: set[str]) -> str:
    """``<col>__w_<word>`` with characters other than ``[0-9a-z_]`` written ``_`` (model libraries
    refuse some in feature names), numbered when two words come out the same."""
    base = f"{col}__w_{re.sub(r'[^0-9a-z_]', '_', word)}"
    name, k = base, 1
    while name in taken:
        name, k = f"{base}_{k}", k + 1
    taken.add(name)
    return name


@FEATURES.register("text_words")
class TextWords(Recipe):
    """Add ``<col>__w_<word>`` (1.0 / 0.0) for the most frequent words of each free-text column: a
    passenger's title in a name ("mr", "master"), a product's kind in its description. The text column
    is kept (the models see its length and word count). Never uses the target.

    Parameters
    ----------
    columns : list of str, optional
        Default every free-text column (strings that are not categories).
    max_words : int
        At most this many words per column, the most frequent first (ties by the word).
    min_share : float
        A word must occur in at least this share of the rows counted (at least 2 rows).
    use_test : bool
        Count the words over the training part plus the ``unlabeled`` rows given to :meth:`fit`.

    Examples
    --------
    >>> X = pd.DataFrame({"name": ["Braund, Mr. Owen", "Cumings, Mrs. John", "Allen, Mr. William", None]})
    >>> TextWords(min_share=0.5).fit_transform(X)["name__w_mr"].tolist()
    [1.0, 0.0, 1.0, 0.0]
    """

    recipe_name = "text_words"

    def __init__(self, columns: Sequence[str] | None = None, max_words: int = 20, min_share: float = 0.01,
                 use_test: bool = False) -> None:  # fmt: skip
        self.columns = columns
        self.max_words = max_words
        self.min_share = min_share
        self.use_test = use_test

    def fit(self, X: pd.DataFrame, y: Any = None, unlabeled: pd.DataFrame | None = None) -> TextWords:
        if not (isinstance(self.max_words, int) and self.max_words >= 1) or not 0 <= self.min_share < 1:
            raise ModelError(
                f"recipe 'text_words': max_words got {self.max_words!r} and min_share {self.min_share!r}; "
                "give max_words a whole number of 1 or more and min_share a share from 0 to below 1, "
                "e.g. max_words = 20, min_share = 0.01"
            )
        if self.columns is None:
            self.columns_ = free_text(X)
        else:
            self.columns_ = pick_columns(X, self.columns, "any", self.recipe_name)
        frames = [X] if unlabeled is None or not self.use_test else [X, unlabeled]
        rows = sum(len(f) for f in frames)
        least = max(2, int(np.ceil(self.min_share * rows)))
        self.words_: dict[str, list[str]] = {}
        for c in self.columns_:
            counts = pd.concat([words_of(f[c]) for f in frames]).value_counts()
            counts = counts[counts >= least]
            order = sorted(counts.index, key=lambda w: (-counts[w], w))
            self.words_[c] = order[: self.max_words]
        taken = set(map(str, X.columns))
        self.names_ = {c: [_name(str(c), w, taken) for w in self.words_[c]] for c in self.columns_}
        self._remember_names(X)
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        self._check_columns(X, self.columns_)
        new: dict[str, Any] = {}
        for c in self.columns_:
            vocab = pd.Index(self.words_[c])
            hits = np.zeros((len(X), len(vocab)), dtype=np.float32)
            words = words_of(X[c].reset_index(drop=True))
            j = vocab.get_indexer(words.to_numpy())
            hits[words.index.to_numpy()[j >= 0], j[j >= 0]] = 1.0
            new.update(zip(self.names_[c], hits.T, strict=True))
        return join_new(X, new)
