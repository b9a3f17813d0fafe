"""The shipped competitions' own recipes (``competitions/<name>/recipes.py``), on small made-up rows."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from compete.features.pipeline import recipes_module

COMPETITIONS = Path(__file__).parents[1] / "competitions"


def passengers() -> tuple[pd.DataFrame, np.ndarray]:
    """Two families (mother, boy, father each) and a lone man; the Smiths' women and boys lived."""
    rows = [
        ("Smith, Mrs. Ann", "female", "PC 1231", 1, 1, 0),
        ("Smith, Master. Tom", "male", "PC 1232", 1, 1, 1),
        ("Smith, Mr. John", "male", "PC 1233", 1, 1, 0),
        ("Jones, Mrs. Mary", "female", "A/5 777", 3, 0, 0),
        ("Jones, Master. Bob", "male", "A/5 778", 3, 0, 1),
        ("Jones, Mr. Bill", "male", "A/5 779", 3, 0, 0),
        ("Brown, Mr. Sam", "male", "113803", 2, 0, 2),
    ]
    X = pd.DataFrame(rows, columns=["Name", "Sex", "Ticket", "Pclass", "y", "port"])
    y = X.pop("y").to_numpy()
    X["Fare"] = X["Pclass"].map({1: 80.0, 3: 20.0, 2: 13.0})
    X["Embarked"] = X.pop("port").map({0: "S", 1: "C", 2: "Q"})
    return X, y


def test_titanic_families_speak_of_the_women_and_boys_and_drop_their_key():
    module = recipes_module(COMPETITIONS / "titanic")
    assert module is not None
    X, y = passengers()
    rec = module.TitanicFamilies(smooth=0.0).fit(X, y)
    out = rec.transform(X)
    assert "_family" not in out.columns and {"Family__te", "TicketWC__te", "Boy", "WomanOrBoy"} <= set(
        out.columns
    )
    assert out["Boy"].tolist() == [0, 1, 0, 0, 1, 0, 0] and out["WomanOrBoy"].tolist() == [
        1,
        1,
        0,
        1,
        1,
        0,
        0,
    ]
    # the Smiths' women and boys lived, the Joneses' died; the fathers' deaths do not count
    assert out["Family__te"].tolist()[:6] == [1.0, 1.0, 1.0, 0.0, 0.0, 0.0]
    assert out["Family__te"].iloc[6] == 0.5  # no woman or boy in his family: the prior of those who were
    fitted = rec.fit_transform(X, y)  # cross-fitted: no row sees its own target
    assert list(fitted.columns) == list(out.columns) and list(rec.get_feature_names_out()) == list(
        out.columns
    )
