"""Reading a csv fast: pyarrow's multi-threaded reader, giving what pandas' own reader gives.

``pandas.read_csv`` parses on one thread and holds the whole file's text while it converts; on a
competition of millions of rows that is most of a run's reading time and its first memory peak.
:func:`read_csv_fast` parses with ``pyarrow.csv`` (all cores, column by column) and hands the columns
to pandas as they are converted, with pandas' conventions kept so that a run's data do not depend on
the reader:

- the same missing-value tokens (pandas' defaults, ``?`` and the spec's ``na_values``), on string
  columns too;
- numbers, booleans and strings typed as pandas types them (integers with a missing value as floats);
- text that looks like a date or a time stays text (pandas does not parse dates unasked; the schema
  decides, see :mod:`compete.data.schema`): pyarrow's timestamp inference is switched off and a
  column it read as a date or a time is read again as text.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

__all__ = ["read_csv_fast", "PANDAS_NA"]

# pandas.read_csv's default missing-value tokens (pandas._libs.parsers.STR_NA_VALUES), spelled out
# so a pandas release cannot change them under a run.
PANDAS_NA = ("", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
             "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null")  # fmt: skip
_NO_TIMESTAMPS = ["%Y%%never"]  # a format no value matches: timestamps are not inferred
BLOCK = 4 << 20  # bytes parsed per task: large enough for type inference, small enough to spread


def read_csv_fast(path: Path, na_values: tuple[str, ...] = ()) -> pd.DataFrame:
    """``path`` (csv or csv.gz) as pandas reads it with ``na_values``; raises pyarrow's errors
    (:class:`pyarrow.ArrowInvalid` for a file that is not a table) for the caller to explain.

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "t.csv"
    >>> _ = path.write_text("n,s,d,b\\n1,a,2024-01-31,true\\n?,,2024-02-01,False\\n")
    >>> frame = read_csv_fast(path, ("?",))
    >>> frame.dtypes.astype(str).tolist(), frame["d"].tolist()
    (['float64', 'str', 'str', 'bool'], ['2024-01-31', '2024-02-01'])
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    read = pacsv.ReadOptions(block_size=BLOCK)
    parse = pacsv.ParseOptions(newlines_in_values=True)

    def convert(**kw: object) -> pacsv.ConvertOptions:
        return pacsv.ConvertOptions(null_values=sorted({*PANDAS_NA, *na_values}), strings_can_be_null=True,
                                    timestamp_parsers=_NO_TIMESTAMPS, **kw)  # fmt: skip

    table = pacsv.read_csv(path, read_options=read, parse_options=parse, convert_options=convert())
    temporal = [f.name for f in table.schema if pa.types.is_temporal(f.type)]
    if temporal:  # dates (2024-01-31) and times (10:30) as written: re-read those columns as text
        text = pacsv.read_csv(path, read_options=read, parse_options=parse,
                              convert_options=convert(include_columns=temporal,
                                                      column_types=dict.fromkeys(temporal, pa.string())))  # fmt: skip
        for name in temporal:
            table = table.set_column(table.schema.get_field_index(name), name, text.column(name))
    return table.to_pandas(split_blocks=True, self_destruct=True)
