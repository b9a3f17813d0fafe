"""Column types: numeric, categorical, datetime, text — inferred, overridable from the spec, applied.

Nothing here looks at the target. Inference reads the train and test features together (an
unsupervised view), the spec's ``[schema]`` lists win over inference, and :class:`Schema` turns raw
frames into typed ones with one category set for train, validation and test (levels unseen in train
read as missing).

Typed frames are compact: a numeric column is ``float32`` when every value of train and test is
exactly a float32 (whole numbers below 2**24, halves, ...), so nothing a model sees changes, and
``float64`` otherwise; categories are stored as small integer codes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from compete.errors import DataError
from compete.spec import SchemaSpec

__all__ = [
    "Schema",
    "infer_schema",
    "code_like",
    "ambiguous_code",
    "shared_key",
    "KINDS",
    "CODE_WORDS",
    "SHARED",
]

KINDS = ("numeric", "categorical", "datetime", "text", "ignore")
_DATE = re.compile(r"^\d{4}[-/]\d{1,2}[-/]\d{1,2}([ T]\d{1,2}:\d{2}(:\d{2})?)?$|^\d{1,2}/\d{1,2}/\d{4}$")
HIGH_CARDINALITY = 0.5  # distinct share of non-missing values above which a string column is id-like
SHARED = 0.1  # an id-like column is a group key when this share of train rows share their value, and of
# test values are seen in train (tickets, families, devices): the feature search tries its target means


@dataclass
class Schema:
    """The kind of every feature column, why, and the learned category sets.

    Examples
    --------
    >>> X = pd.DataFrame({"n": [1.0, 2.0, 3.0], "c": ["a", "b", "a"]})
    >>> s = infer_schema(X, X, SchemaSpec())
    >>> s.kinds
    {'n': 'numeric', 'c': 'categorical'}
    """

    kinds: dict[str, str]
    reasons: dict[str, str] = field(default_factory=dict)
    categories: dict[str, pd.Index] = field(default_factory=dict)
    high_cardinality: tuple[str, ...] = ()
    keys: tuple[str, ...] = ()  # id-like columns shared by groups of rows (:func:`shared_key`)
    dtypes: dict[str, str] = field(default_factory=dict)  # numeric column -> float32 | float64

    def columns(self, kind: str) -> list[str]:
        return [c for c, k in self.kinds.items() if k == kind]

    def fit(self, train: pd.DataFrame) -> Schema:
        """Learn each categorical column's levels from the training features."""
        for col in self.columns("categorical"):
            values = _as_category_values(train[col])
            self.categories[col] = pd.Index(sorted(values.dropna().unique(), key=str))
        return self

    def describe(self) -> list[dict[str, str]]:
        """Every column's type and why, in column order: plain strings, ready for JSON.

        The type is the kind, except ``id-like`` for a mostly distinct string column (modelled by its
        frequency; a group key's values are kept too, for the feature search's target means) and
        ``ignored`` for a column left out.

        >>> X = pd.DataFrame({"n": [1.0, 2.0, 3.0], "k": [1, 1, 1]})
        >>> infer_schema(X, X, SchemaSpec()).describe()[1]
        {'column': 'k', 'type': 'ignored', 'reason': 'a single value'}
        """
        return [{"column": str(c), "type": self._type(c), "reason": self._reason(c)} for c in self.kinds]

    def _type(self, col: str) -> str:
        if col in self.high_cardinality:
            return "id-like"
        return "ignored" if self.kinds[col] == "ignore" else self.kinds[col]

    def _reason(self, col: str) -> str:
        reason = self.reasons.get(col, "")
        if reason == "spec":
            return f"set in the spec (schema.{self.kinds[col]})"
        if col in getattr(self, "keys", ()):  # a schema saved by an older compete has none
            return f"{reason}: modelled by their frequency; the feature search tries their out-of-fold target means"
        if col in self.high_cardinality:
            return f"{reason}, mostly distinct: modelled by their frequency"
        return reason

    def apply(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Typed copy of ``frame``: ignored columns dropped, every kind in its dtype."""
        out = {}
        for col, kind in self.kinds.items():
            if kind == "ignore":
                continue
            # a schema saved before 0.3.0 has no dtypes: its runs typed every number as float64
            dtype = getattr(self, "dtypes", {}).get(col, "float64")
            out[col] = _convert(frame[col], kind, self.categories.get(col), dtype)
        return pd.DataFrame(out, index=frame.index)


def _as_category_values(s: pd.Series) -> pd.Series:
    if pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s):
        return s
    return s.astype("str").where(s.notna())


def _convert(s: pd.Series, kind: str, categories: pd.Index | None, dtype: str = "float64") -> pd.Series:
    if kind == "numeric":
        return pd.to_numeric(s, errors="coerce").astype(dtype)
    if kind == "categorical":
        assert categories is not None, "Schema.fit learns the categories before apply"
        codes = categories.get_indexer(_as_category_values(s))  # -1: missing, or a level train lacks
        return pd.Series(
            pd.Categorical.from_codes(codes, dtype=pd.CategoricalDtype(categories)), index=s.index
        )
    if kind == "datetime":
        return pd.to_datetime(s, errors="coerce", format="mixed")
    return s.astype("str").where(s.notna())


def infer_schema(train: pd.DataFrame, test: pd.DataFrame, overrides: SchemaSpec) -> Schema:
    """Infer each feature column's kind from train and test features; spec lists override.

    ``train`` and ``test`` hold the feature columns only (no id, no target). Columns are looked at one
    at a time (train and test values together), so inference never holds a second copy of the data;
    the text tests (dates, words, numbers written as text) read a sample of 500 values. Whole numbers
    that are codes by the evidence of :func:`code_like` are typed categorical; those that may be either
    (:func:`ambiguous_code`) stay numeric, and their reason says so: the feature search tries them as
    categories and encodings, and CV decides (:mod:`compete.run.search`).
    """
    kinds: dict[str, str] = {}
    reasons: dict[str, str] = {}
    high: list[str] = []
    keys: list[str] = []
    dtypes: dict[str, str] = {}
    forced = {c: k for k in KINDS for c in _listed(overrides, k)}
    for col in forced:
        if col not in train.columns:
            raise DataError(f"schema.{forced[col]} names column {col!r}, which is not in train; fix the spec")
    for col in train.columns:
        both = pd.concat([train[col], test[col]], ignore_index=True)
        if col in forced:
            kinds[col], reasons[col] = forced[col], "spec"
        else:
            kinds[col], reasons[col] = _infer_one(both)
            if kinds[col] == "categorical" and _is_id_like(both):
                high.append(col)
                if why := shared_key(train[col], test[col]):
                    keys.append(col)
                    reasons[col] = f"{reasons[col]}, mostly distinct, {why}"
            elif kinds[col] == "numeric" and (whole := _whole_numbers(train[col], test[col])) is not None:
                if why := _code_reason(str(col), whole):
                    kinds[col], reasons[col] = "categorical", why
                elif why := _ambiguous_reason(whole):
                    reasons[col] = f"numbers or codes ({why}): the feature search decides by CV"
        if kinds[col] == "numeric":
            dtypes[col] = _float_dtype(both)
    return Schema(kinds, reasons, high_cardinality=tuple(high), keys=tuple(keys), dtypes=dtypes)


def shared_key(train: pd.Series, test: pd.Series) -> str:
    """Why an id-like column is a group key, or ``""``: at least :data:`SHARED` of train rows share
    their value with another train row, and of test's values are seen in train (a ticket bought for a
    family, a device used for many orders). A value's group then says something of each member, which
    an out-of-fold target mean can carry (:mod:`compete.run.search`); a column of distinct ids cannot.

    >>> shared_key(pd.Series(list("aabcde")), pd.Series(list("afgh")))
    '33% of train rows share their value, 25% of test values seen in train'
    >>> shared_key(pd.Series(list("abcdef")), pd.Series(list("abcd")))
    ''
    """
    values = train.dropna()
    counts = values.value_counts()
    shared = float((values.map(counts) > 1).mean()) if len(values) else 0.0
    seen = float(test.dropna().isin(counts.index).mean()) if test.notna().any() else 0.0
    if shared < SHARED or seen < SHARED:
        return ""
    return f"{shared:.0%} of train rows share their value, {seen:.0%} of test values seen in train"


def _listed(spec: SchemaSpec, kind: str) -> tuple[str, ...]:
    return getattr(spec, kind)


def _infer_one(s: pd.Series) -> tuple[str, str]:
    values = s.dropna()
    if values.empty:
        return "ignore", "all values missing"
    if values.nunique() == 1:
        return "ignore", "a single value"
    if pd.api.types.is_bool_dtype(s):
        return "categorical", "booleans"
    if pd.api.types.is_numeric_dtype(s):
        return "numeric", "numbers"
    if pd.api.types.is_datetime64_any_dtype(s):
        return "datetime", "datetimes"
    head = values.sample(min(len(values), 500), random_state=0).astype("str")
    if head.str.match(_DATE).mean() > 0.95:
        return "datetime", "text parsed as dates"
    if _is_id_like(s) and head.str.split().str.len().mean() >= 3:
        return "text", "free text (mostly distinct, several words)"
    if pd.to_numeric(head, errors="coerce").notna().mean() > 0.99:
        return "numeric", "numbers written as text"
    return "categorical", "strings"


#: Words in a column's name that say its numbers are codes (``MGR_ID``, ``ZIP Code``, ``ProductCD``).
CODE_WORDS = frozenset({"id", "code", "cd", "zip", "zipcode", "postcode", "postal", "sku"})


def _words(name: str) -> list[str]:
    """A column name's words, lower case (``MGR_ID`` → mgr, id; ``ProductCD`` → product, cd)."""
    return [w.lower() for w in re.findall(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+", name)]


def code_like(name: str, train: pd.Series, test: pd.Series) -> str:
    """Why the whole numbers of column ``name`` are codes rather than quantities (``""`` if they are not).

    Codes (of managers, roles, resources, products, places) are typed categorical, so no model splits on
    the arbitrary order of their numbers. The evidence, all of it unsupervised (no target): whole
    numbers, at least 3 values, not mostly distinct (an id), most test values seen in train; and
    either a name that says so (:data:`CODE_WORDS`), or, without one, many values (100 or more) spread
    thinly over their range (5% of it or less), each on 3 rows or more on average, no value on more
    than 80% of rows (an amount that is mostly 0, as adult's capital-gain, is a quantity). A column
    that is ambiguous (a dense range of codes with no name to say so) stays numeric: list it under
    ``[schema] categorical`` to type it so.

    >>> rng = np.random.default_rng(0)
    >>> managers = pd.Series(rng.choice(rng.integers(1, 300_000, 400), 5_000))
    >>> code_like("MGR_ID", managers, managers[:500])[:36]
    'whole numbers named like a code (id)'
    >>> code_like("resource", managers, managers[:500])[:29]
    'whole numbers used as codes: '
    >>> code_like("age", pd.Series(rng.integers(17, 90, 5_000)), pd.Series(rng.integers(17, 90, 500)))
    ''
    """
    whole = _whole_numbers(train, test)
    return "" if whole is None else _code_reason(name, whole)


def _code_reason(name: str, whole: tuple[np.ndarray, pd.Series, float]) -> str:
    """:func:`code_like`'s test on a column's :func:`_whole_numbers`."""
    numbers, counts, seen = whole
    rows, n = len(numbers), len(counts)
    if n < 3 or n > HIGH_CARDINALITY * rows:
        return ""
    said = f"{n:,} values, {seen:.0%} of test values seen in train"
    hint = sorted(set(_words(name)) & CODE_WORDS)
    if hint and seen >= 0.9:
        return f"whole numbers named like a code ({', '.join(hint)}): {said}"
    span = float(numbers.max() - numbers.min() + 1)
    if n >= 100 and n <= 0.05 * span and rows >= 3 * n and counts.iloc[0] <= 0.8 * rows and seen >= 0.75:
        return (f"whole numbers used as codes: {said}, spread thinly over {numbers.min():,.0f}..{numbers.max():,.0f}, "
                f"{rows / n:,.0f} rows each on average")  # fmt: skip
    return ""


def _whole_numbers(train: pd.Series, test: pd.Series) -> tuple[np.ndarray, pd.Series, float] | None:
    """A column of whole numbers: its train values, their counts (most frequent first) and the share of
    test values seen in train; ``None`` for anything else (no values, booleans, fractions, text)."""
    values, later = train.dropna(), test.dropna()
    if values.empty or not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        return None
    numbers = values.to_numpy(dtype="float64")
    if not np.all(numbers == np.round(numbers)):
        return None
    counts = values.value_counts()
    return numbers, counts, float(later.isin(counts.index).mean()) if len(later) else 1.0


def ambiguous_code(train: pd.Series, test: pd.Series) -> str:
    """Why a numeric column may hold codes as well as quantities (``""`` if it may not): whole numbers,
    at least 10 values, at least 5 rows a value, 90% of test values seen in train, and not already
    typed categorical by :func:`code_like`. Years, classes of dwelling, hours, ages: the schema keeps
    them numeric, and under a budget the feature search lets CV decide whether their values as
    categories, or their count and target encodings, add anything (:mod:`compete.run.search`).

    >>> rng = np.random.default_rng(0)
    >>> ambiguous_code(pd.Series(rng.choice([20, 30, 50, 60, 70, 80, 90, 120, 160, 190], 900)), pd.Series([20, 60]))
    'whole numbers, 10 values, 90 rows each, 100% of test values seen in train'
    >>> ambiguous_code(pd.Series(rng.normal(size=900)), pd.Series([0.1]))
    ''
    """
    whole = _whole_numbers(train, test)
    return "" if whole is None else _ambiguous_reason(whole)


def _ambiguous_reason(whole: tuple[np.ndarray, pd.Series, float]) -> str:
    """:func:`ambiguous_code`'s test on a column's :func:`_whole_numbers`."""
    numbers, counts, seen = whole
    rows, n = len(numbers), len(counts)
    if n < 10 or rows < 5 * n or seen < 0.9:
        return ""
    return f"whole numbers, {n:,} values, {rows / n:,.0f} rows each, {seen:.0%} of test values seen in train"


def _is_id_like(s: pd.Series) -> bool:
    values = s.dropna()
    return len(values) > 20 and values.nunique() > max(HIGH_CARDINALITY * len(values), 50)


def _float_dtype(s: pd.Series) -> str:
    """``float32`` when every value is exactly a float32 (so storing it so changes nothing), else
    ``float64``.

    >>> _float_dtype(pd.Series([1, 2, None, 2**23])), _float_dtype(pd.Series([0.1, 2.0]))
    ('float32', 'float64')
    """
    values = pd.to_numeric(s, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    with np.errstate(over="ignore", invalid="ignore"):
        exact = values.astype(np.float32).astype(np.float64) == values
    return "float32" if bool((exact | np.isnan(values)).all()) else "float64"
