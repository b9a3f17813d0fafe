"""House-prices' own features: areas, ages, bathrooms and quality grades as numbers. No target used."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin

GRADES = {"Po": 1.0, "Fa": 2.0, "TA": 3.0, "Gd": 4.0, "Ex": 5.0}
GRADED = ["ExterQual", "ExterCond", "BsmtQual", "BsmtCond", "HeatingQC", "KitchenQual", "FireplaceQu",
          "GarageQual", "GarageCond", "PoolQC"]  # fmt: skip


class HouseFeatures(TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """Total living area, house and remodel age at sale, bathrooms, porch area, quality grades 1-5."""

    def fit(self, X: pd.DataFrame, y: Any = None) -> HouseFeatures:
        self.feature_names_out_ = list(self.transform(X.head(1)).columns)
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        out = X.copy()
        f = X.fillna({c: 0 for c in ("TotalBsmtSF", "BsmtFullBath", "BsmtHalfBath")})
        out["TotalSF"] = f["TotalBsmtSF"] + f["1stFlrSF"] + f["2ndFlrSF"]
        out["Age"] = f["YrSold"] - f["YearBuilt"]
        out["RemodAge"] = f["YrSold"] - f["YearRemodAdd"]
        out["Baths"] = f["FullBath"] + 0.5 * f["HalfBath"] + f["BsmtFullBath"] + 0.5 * f["BsmtHalfBath"]
        out["PorchSF"] = f[["OpenPorchSF", "EnclosedPorch", "3SsnPorch", "ScreenPorch", "WoodDeckSF"]].sum(axis=1)
        out["QualSF"] = f["OverallQual"] * out["TotalSF"]
        for col in GRADED:
            out[f"{col}__grade"] = X[col].astype("object").map(GRADES).astype("float64")
        return out

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        return np.asarray(self.feature_names_out_, dtype=object)
