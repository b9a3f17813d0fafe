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
        out["Title"] = pd.Categorical(
            title.where(title.isin(self.titles_), "Rare"), categories=[*self.titles_, "Rare"]
        )
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


class TitanicFamilies(TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """Women-and-children groups (the "WCG" rule of the strongest titanic kernels), as features.

    Uses the target: fit inside CV folds on the training part only. A family is the passengers
    sharing a surname, class, ticket (but its last digit), fare and port; ``Family__te`` is the
    out-of-fold survival rate of the family's women and boys ("Master") in the training part
    (:class:`compete.features.target.TargetMeans` with ``among``), ``TicketWC__te`` the same over
    the ticket (friends and servants travel on one ticket). ``Boy`` and ``WomanOrBoy`` say whom
    the rule speaks for: a boy whose family's women and boys lived tends to live, a woman whose
    family's women and boys died tends to die. The family key itself is dropped.
    """

    def __init__(self, smooth: Any = 1.0, random_state: int = 0) -> None:
        self.smooth = smooth
        self.random_state = random_state

    def _keys(self, X: pd.DataFrame) -> pd.DataFrame:
        title = _title(X)
        surname = X["Name"].str.split(",").str[0].str.strip()
        fare = X["Fare"].round(2).astype(str)
        out = X.copy()
        out["Boy"] = (title == "Master").astype("float32")
        out["WomanOrBoy"] = ((X["Sex"].astype(str) == "female") | (title == "Master")).astype("float32")
        out["_family"] = (
            surname
            + "|"
            + X["Pclass"].astype(str)
            + "|"
            + X["Ticket"].str[:-1]
            + "|"
            + fare
            + "|"
            + X["Embarked"].astype(str)
        )
        return out

    def _encoder(self) -> Any:
        from compete.features.target import TargetMeans

        return TargetMeans(columns=["_family", "Ticket"], smooth=self.smooth, task="binary",
                           random_state=self.random_state, among="WomanOrBoy == 1")  # fmt: skip

    def fit(self, X: pd.DataFrame, y: Any = None) -> TitanicFamilies:
        self.fit_transform(X, y)
        return self

    def fit_transform(self, X: pd.DataFrame, y: Any = None, **fit_params: Any) -> pd.DataFrame:
        self.encoder_ = self._encoder()
        out = self._finish(self.encoder_.fit_transform(self._keys(X), y))
        self.feature_names_out_ = list(out.columns)
        return out

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        return self._finish(self.encoder_.transform(self._keys(X)))

    def _finish(self, out: pd.DataFrame) -> pd.DataFrame:
        return out.drop(columns="_family").rename(
            columns={"_family__te": "Family__te", "Ticket__te": "TicketWC__te"}
        )

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        return np.asarray(self.feature_names_out_, dtype=object)
