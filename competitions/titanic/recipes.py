"""Titanic's own features: what every strong public kernel builds. Never uses the target."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin

TITLE_ALIASES = {"Mlle": "Miss", "Ms": "Miss", "Mme": "Mrs", "Lady": "Mrs", "Countess": "Mrs", "Sir": "Mr"}


class TitanicFeatures(TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """Title from Name, family size, travelling alone, deck from Cabin, fare per person.

    Titles seen fewer than ``min_count`` times in the training part become "Rare".
    """

    def __init__(self, min_count: int = 5) -> None:
        self.min_count = min_count

    def fit(self, X: pd.DataFrame, y: Any = None) -> TitanicFeatures:
        counts = _title(X).value_counts()
        self.titles_ = sorted(counts[counts >= self.min_count].index)
        self.feature_names_out_ = list(self.transform(X.head(1)).columns)
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        out = X.copy()
        title = _title(X)
        out["Title"] = pd.Categorical(title.where(title.isin(self.titles_), "Rare"), categories=[*self.titles_, "Rare"])
        out["FamilySize"] = (X["SibSp"] + X["Parch"] + 1).astype("float32")
        out["Alone"] = (out["FamilySize"] == 1).astype("float32")
        out["Deck"] = pd.Categorical(X["Cabin"].str[0], categories=list("ABCDEFGT"))
        out["HasCabin"] = X["Cabin"].notna().astype("float32")
        out["FarePerPerson"] = (X["Fare"] / out["FamilySize"]).astype("float32")
        return out

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        return np.asarray(self.feature_names_out_, dtype=object)


def _title(X: pd.DataFrame) -> pd.Series:
    title = X["Name"].str.extract(r",\s*([^.]+)\.", expand=False).str.strip()
    return title.replace(TITLE_ALIASES)
