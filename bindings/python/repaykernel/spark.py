"""The batch of SPEC §7 on Apache Spark: ``repay batch`` for books that outgrow one machine.

    from repaykernel.spark import read_batch_csv, schedule_and_summary

    loans = read_batch_csv(spark, "loans.csv")          # or spark.read.parquet(...)
    schedule, summary = schedule_and_summary(loans, keep=["branch"])
    summary.write.partitionBy("branch").parquet("out/summary")
    schedule.write.partitionBy("branch").parquet("out/schedule")

Each partition is computed by the C API's whole-document entry point,
``rk_run_csv``, one chunk of ``chunk_rows`` loans per call (through
``mapInArrow``): the same code as ``repay batch``, so the same rows, the same
figures and the same error messages. Both DataFrames are lazy and independent:
writing the summary computes every loan without formatting its schedule;
writing the schedule computes them again (cache ``loans`` when it is expensive
to read).

Input: a DataFrame whose columns are batch columns (SPEC §7: ``id``,
``principal``, ``rate``, ...), plus the columns named in ``keep`` (carried to
both outputs, e.g. to partition them) and Spark's ``_corrupt_record`` (see
``read_batch_csv``). A kept batch column (``keep=["term"]``) is still
computed with. A column that is neither is refused, with the kernel's own
"did you mean" message: typo protection, as in a batch file. Cell types:
strings (the cell text, as in a CSV file; null is an empty cell), integers,
decimals (written exactly, without trailing fractional zeros: a
``DecimalType(12,4)`` principal 100.5000 is the amount ``100.5``), booleans
and dates. A float or double column is refused, naming the column: binary
floats are what this kernel exists to avoid.

Outputs (the columns of SPEC §7, in its order, then ``amount_scale``,
``input_row`` and the ``keep`` columns):

- ``schedule``: id, period (int), due_date (date), kind, payment, principal,
  interest, carried, balance;
- ``summary``: id, status, payments (int), total_payable, total_interest,
  waived_penalty, waived_interest, waived_fees, last_due (date), apr,
  effective_apr, error; one row per input row, error rows included.

Amounts (``amounts="decimal"``, the default) are ``DecimalType(P, S)``: P is
``decimal_precision``, 38 by default (Spark's largest; 18 is faster, see
below), and S is ``decimal_scale`` when given, else the largest scale in the
input's ``scale`` column (2 when it has none; finding it is one aggregation
over the input).
Every amount is exact: a row of a smaller scale is widened with zeros
(``10.5`` at scale 1 is ``10.50`` at S = 2, the same number), and
``amount_scale`` gives the row's own scale to print it as ``repay batch``
does. A row that a ``DecimalType(P, S)`` cannot hold exactly (more than
P - S digits before the point, e.g. a principal of 10^40, or a scale above
an explicit ``decimal_scale``) becomes an error row whose message says so; it
never becomes a rounded number. ``decimal_precision=18`` keeps amounts as
longs inside Spark and as INT64 in Parquet, about twice as fast as 38, for
books whose amounts stay below 10^(18 - S). ``apr`` and ``effective_apr`` are
``DecimalType(38, 6)``. With ``amounts="string"`` amounts and rates are the
exact text of ``repay batch`` (any magnitude, never an error).

Order: Spark keeps no order across partitions. Within a partition, summary
rows are in input order and schedule rows are grouped by input row, in input
order, each loan's rows in schedule order. ``input_row`` is a stable key:
``partition_index * 2**33 + position_in_partition`` (the layout of
``monotonically_increasing_id``), increasing in input order, unique, not
contiguous; ``(input_row, period)`` orders the schedule. It is computed the
same way by both outputs, so they join on it, as long as the input DataFrame
yields the same partitions each time it is computed (a file read does).

The shared library: each executor process loads it once, from the first of
``library`` (an absolute path, or a file name shipped with ``spark.files`` /
``SparkContext.addFile``, resolved with ``SparkFiles.get``), else
``$REPAYKERNEL_LIB`` in the executor's environment, else a
``librepaykernel.so`` shipped with ``spark.files``, else the driver's path
(``repaykernel.library_path``: right in local mode and on a cluster that has
the same install on every node). ``bundle()`` copies the library and the
shared libraries it needs at run time (the Swift runtime, libgmp) into one
directory to ship. The executors need what ``mapInArrow`` needs anyway
(pyarrow, pandas, numpy) but not this package: the code that runs there is shipped by value
with each task. A partition that cannot load the library fails the job with a
message naming the path it tried.
"""

from __future__ import annotations

import ctypes
import io
import os
import sys
import types
from typing import Iterable, Iterator, Optional, Sequence

__all__ = ["schedule_and_summary", "read_batch_csv", "bundle", "SCHEDULE_COLUMNS", "SUMMARY_COLUMNS"]

SCHEDULE_COLUMNS = ("id", "period", "due_date", "kind", "payment", "principal", "interest", "carried", "balance")
SUMMARY_COLUMNS = ("id", "status", "payments", "total_payable", "total_interest", "waived_penalty",
                   "waived_interest", "waived_fees", "last_due", "apr", "effective_apr", "error")
EXTRA_COLUMNS = ("amount_scale", "input_row")
CORRUPT_RECORD = "_corrupt_record"

_SCHEDULE_AMOUNTS = ("payment", "principal", "interest", "carried", "balance")
_SUMMARY_AMOUNTS = ("total_payable", "total_interest", "waived_penalty", "waived_interest", "waived_fees")
_RATES = ("apr", "effective_apr")
_PRECISION = 38                 # Spark's largest DecimalType (rates always; amounts by default)
_RATE_SCALE = 6                 # SPEC §7: rates print with 6 decimals
_ROW_BITS = 33                  # input_row = partition << 33 | position (monotonically_increasing_id)
_LIBRARY_NAME = "librepaykernel.so"
_STASH = "_repaykernel_spark_native"   # per-process cache of loaded libraries (sys.modules entry)
RK_OK, RK_FORMAT, RK_NOMEM, RK_PARTIAL = 0, 4, 6, 7


# ---------------------------------------------------------------------------
# Executor side. Everything below until the driver side runs in Spark's Python
# workers; this module is pickled by value (see the end of the file), so the
# executors need pyarrow and numpy, not this package.
# ---------------------------------------------------------------------------

def _load_library(spec: Optional[str], driver_path: Optional[str]):
    """librepaykernel.so for this process: loaded once, then taken from a cache
    kept in sys.modules (a Python worker serves many tasks)."""
    stash = sys.modules.get(_STASH)
    if stash is None:
        stash = types.ModuleType(_STASH)
        stash.libraries = {}     # path -> ctypes.CDLL
        stash.loads = {}         # path -> times dlopen'ed by this process (1)
        sys.modules[_STASH] = stash
    tried = []
    path = None
    if spec:
        if os.path.isabs(spec):
            path = spec
            tried.append(f"{spec} (library=)")
        else:
            from pyspark import SparkFiles
            path = SparkFiles.get(spec)
            tried.append(f"{path} (library={spec!r} via SparkFiles.get)")
        if not os.path.isfile(path):
            path = None
    else:
        env = os.environ.get("REPAYKERNEL_LIB")
        if env:
            tried.append(f"{env} ($REPAYKERNEL_LIB)")
            path = env if os.path.isfile(env) else None
        else:
            try:
                from pyspark import SparkFiles
                shipped = SparkFiles.get(_LIBRARY_NAME)
            except Exception:  # no SparkFiles root outside a Spark worker
                shipped = None
            if shipped and os.path.isfile(shipped):
                path = shipped
            else:
                if shipped:
                    tried.append(f"{shipped} (spark.files)")
                if driver_path:
                    tried.append(f"{driver_path} (the driver's library)")
                    path = driver_path if os.path.isfile(driver_path) else None
    where = f"executor {os.uname().nodename} (python pid {os.getpid()})"
    hint = ("ship it with spark.files (repaykernel.spark.bundle() gathers it and the libraries it needs), "
            "pass library= to schedule_and_summary, or set spark.executorEnv.REPAYKERNEL_LIB")
    if path is None:
        raise RuntimeError(f"repaykernel.spark: {_LIBRARY_NAME} not found on {where}; tried: "
                           + "; ".join(tried or ["nothing"]) + f". {hint}")
    path = os.path.abspath(path)
    lib = stash.libraries.get(path)
    if lib is not None:
        return lib
    try:
        lib = ctypes.CDLL(path)
    except OSError as e:
        raise RuntimeError(f"repaykernel.spark: cannot load {path} on {where}: {e}. {hint}") from e
    vp = ctypes.c_void_p
    szp = ctypes.POINTER(ctypes.c_size_t)
    lib.rk_run_csv.restype = ctypes.c_int
    lib.rk_run_csv.argtypes = [vp, ctypes.c_size_t, ctypes.POINTER(vp), szp, ctypes.POINTER(vp), szp,
                               ctypes.POINTER(vp)]
    lib.rk_free.restype = None
    lib.rk_free.argtypes = [vp]
    stash.libraries[path] = lib
    stash.loads[path] = stash.loads.get(path, 0) + 1
    return lib


def _plain_decimal(d) -> str:
    """A Decimal as plain digits, no exponent, no trailing fractional zeros (exact:
    formatting with 'f' and no precision never rounds)."""
    s = format(d, "f")
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return s


def _cells(column, kind: str):
    """An input column as CSV cell text (pyarrow string array, nulls kept)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    if kind == "decimal":
        return pa.array([None if d is None else _plain_decimal(d) for d in column.to_pylist()], pa.string())
    if kind == "string" and column.type == pa.string():
        return column
    return pc.cast(column, pa.string())   # integers, booleans (true/false), dates (YYYY-MM-DD)


def _document(chunk, columns: Sequence[str], kinds: Sequence[str], corrupt: Optional[str]):
    """The batch CSV document of a chunk (header + one line per row), as an Arrow buffer.
    Every cell is quoted (the kernel reads RFC 4180), so an all-empty row is `""`,
    never a blank line that a CSV reader would skip."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pcsv
    arrays = [pc.fill_null(_cells(chunk.column(c), k), "") for c, k in zip(columns, kinds)]
    if corrupt is not None:
        # A row with the wrong number of cells is sent with its id only: its summary line
        # gets repay batch's "row: has N cells" error afterwards.
        bad = pc.is_valid(chunk.column(corrupt))
        arrays = [a if c == "id" else pc.if_else(bad, "", a) for c, a in zip(columns, arrays)]
    sink = pa.BufferOutputStream()
    pcsv.write_csv(pa.table(arrays, names=list(columns)), sink,
                   pcsv.WriteOptions(include_header=True, quoting_style="all_valid"))
    return sink.getvalue()


def _run_csv(lib, document, want_schedule: bool):
    """rk_run_csv on an Arrow buffer; returns (summary, schedule) as Arrow buffers (copies:
    the library's buffers are released with rk_free at once). No schedule is asked for
    (nor formatted) when want_schedule is false."""
    import pyarrow as pa
    vp = ctypes.c_void_p
    sched, summ, err = vp(), vp(), vp()
    sched_len, summ_len = ctypes.c_size_t(), ctypes.c_size_t()
    status = lib.rk_run_csv(vp(document.address), document.size,
                            ctypes.byref(sched) if want_schedule else None, ctypes.byref(sched_len),
                            ctypes.byref(summ), ctypes.byref(summ_len), ctypes.byref(err))
    try:
        message = ctypes.string_at(err.value).decode("utf-8", "replace") if err.value else ""
    finally:
        lib.rk_free(err)
    if status not in (RK_OK, RK_PARTIAL):
        lib.rk_free(sched)
        lib.rk_free(summ)
        if status == RK_NOMEM:
            raise MemoryError(f"repaykernel.spark: rk_run_csv: out of memory ({message})")
        raise RuntimeError(f"repaykernel.spark: rk_run_csv returned {status}: {message}")

    def own(ptr, length):
        if not ptr.value:
            return None
        # Copy once into Arrow memory, then release the library's buffer at once.
        try:
            return pa.py_buffer(ctypes.string_at(ptr.value, length.value))
        finally:
            lib.rk_free(ptr)
    summary = own(summ, summ_len)
    schedule = own(sched, sched_len) if want_schedule else None
    return summary, schedule


def _read_output(buffer, names: Sequence[str]):
    """An output CSV of the kernel as columns of strings ("" for an empty cell), by name."""
    import pyarrow as pa
    import pyarrow.csv as pcsv
    table = pcsv.read_csv(
        pa.BufferReader(buffer),
        read_options=pcsv.ReadOptions(use_threads=False, block_size=1 << 24),
        parse_options=pcsv.ParseOptions(newlines_in_values=True),
        convert_options=pcsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                            strings_can_be_null=False, quoted_strings_can_be_null=False,
                                            include_columns=list(names)))
    if table.column_names != list(names):
        raise RuntimeError(f"repaykernel.spark: unexpected output header {table.column_names}")
    return {n: (pa.concat_arrays(c.chunks) if c.num_chunks else pa.array([], pa.string()))
            for n, c in zip(names, table.columns)}


def _digits(text):
    """(digits before the point, digits after it) of decimal strings."""
    import pyarrow.compute as pc
    length = pc.utf8_length(text)
    point = pc.find_substring(text, ".")
    no_point = pc.less(point, 0)
    sign = pc.cast(pc.starts_with(text, "-"), "int32")
    before = pc.subtract(pc.if_else(no_point, length, point), sign)
    after = pc.if_else(no_point, 0, pc.subtract(pc.subtract(length, point), 1))
    return before, after


def _cells_count(line: str) -> int:
    """The number of cells of a CSV record (RFC 4180 quotes; a quoted cell may hold a line break)."""
    import csv
    record = next(csv.reader(io.StringIO(line, newline="")), None)
    return len(record) if record is not None else 0


def _process(lib, chunk, first_row: int, cfg: dict, want_schedule: bool):
    """One chunk of input rows -> (summary batch, schedule batch or None)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    n = chunk.num_rows
    corrupt = cfg["corrupt"]
    summary_buf, schedule_buf = _run_csv(lib, _document(chunk, cfg["columns"], cfg["kinds"], corrupt),
                                         want_schedule)
    summ = _read_output(summary_buf, SUMMARY_COLUMNS)
    if len(summ["id"]) != n:
        raise RuntimeError(f"repaykernel.spark: the kernel returned {len(summ['id'])} summary rows "
                           f"for {n} input rows")
    col = dict(summ)
    ok = pc.equal(col["status"], "ok")
    # Row-level errors decided here (None: the row keeps the kernel's verdict).
    errors = [None] * n
    if corrupt is not None:
        raw = chunk.column(corrupt)
        for i in np.flatnonzero(pc.is_valid(raw).to_numpy(zero_copy_only=False)):
            errors[i] = (f"row: has {_cells_count(raw[i].as_py())} cells "
                         f"but the header has {cfg['file_columns']}")
    # The row's scale: the digits after the point of its total payable.
    _, scale = _digits(col["total_payable"])
    if cfg["amounts"] == "decimal":
        S = cfg["scale"]
        bad = pa.array([False] * n)
        P = cfg["precision"]
        checks = [(c, P, S) for c in _SUMMARY_AMOUNTS] + [(c, _PRECISION, _RATE_SCALE) for c in _RATES]
        for c, p, s in checks:
            before, after = _digits(col[c])
            over = pc.and_(ok, pc.or_(pc.greater(before, p - s), pc.greater(after, s)))
            bad = pc.or_(bad, over)
        for i in np.flatnonzero(bad.to_numpy(zero_copy_only=False)):
            if errors[i] is not None:
                continue
            row_scale = scale[i].as_py()
            if row_scale > S:
                errors[i] = (f"scale: the row's amounts have {row_scale} decimals, more than "
                             f"DecimalType({P},{S}) holds (decimal_scale={S}); "
                             f"pass decimal_scale={row_scale} or amounts='string'")
                continue
            for c, p, s in checks:
                text = col[c][i].as_py()
                b = len(text.split(".")[0].lstrip("-"))
                if b > p - s:
                    errors[i] = (f"{c}: {text} does not fit DecimalType({p},{s}) "
                                 f"({p - s} digits before the point at most); "
                                 f"use amounts='string' for amounts of any size")
                    break
    demoted = pa.array([e is not None for e in errors])
    if any(e is not None for e in errors):
        ok = pc.and_(ok, pc.invert(demoted))
        col["status"] = pc.if_else(demoted, "error", col["status"])
        col["error"] = pc.if_else(demoted, pa.array(errors, pa.string()), col["error"])
    keep_ok = lambda a: pc.if_else(ok, a, pa.scalar(None, a.type))  # noqa: E731
    amount_type = pa.decimal128(cfg["precision"], cfg["scale"]) if cfg["amounts"] == "decimal" else pa.string()
    rate_type = pa.decimal128(_PRECISION, _RATE_SCALE) if cfg["amounts"] == "decimal" else pa.string()
    row_key = pa.array(np.arange(first_row, first_row + n, dtype=np.int64))
    scale = pc.cast(keep_ok(scale), pa.int32())
    out = {
        "id": col["id"],
        "status": col["status"],
        "payments": pc.cast(keep_ok(col["payments"]), pa.int32()),
        **{c: pc.cast(keep_ok(col[c]), amount_type) for c in _SUMMARY_AMOUNTS},
        "last_due": pc.cast(keep_ok(pc.if_else(pc.equal(col["last_due"], ""), None, col["last_due"])),
                            pa.date32()),
        **{c: pc.cast(keep_ok(col[c]), rate_type) for c in _RATES},
        "error": pc.if_else(pc.equal(col["error"], ""), None, col["error"]),
        "amount_scale": scale,
        "input_row": row_key,
    }
    for k in cfg["keep"]:
        out[k] = chunk.column(k)
    summary = pa.RecordBatch.from_arrays(list(out.values()), names=list(out.keys()))
    if not want_schedule:
        return summary, None

    # Schedule: the kernel wrote each ok row's `payments` lines, in input order.
    sched = _read_output(schedule_buf, SCHEDULE_COLUMNS) if schedule_buf is not None else None
    counts = pc.cast(pc.if_else(pc.equal(summ["status"], "ok"), summ["payments"], "0"),
                     pa.int64()).to_numpy()
    total = int(counts.sum())
    rows = 0 if sched is None else len(sched["id"])
    if rows != total:
        raise RuntimeError(f"repaykernel.spark: the kernel returned {rows} schedule rows, "
                           f"but the summary counts {total} payments")
    parent = np.repeat(np.arange(n, dtype=np.int64), counts)
    if total:
        ids = pc.take(col["id"], parent)
        if not pc.all(pc.equal(ids, sched["id"])).as_py():
            raise RuntimeError("repaykernel.spark: schedule rows do not follow the summary's ids")
    keep_rows = pc.take(ok, parent) if total else pa.array([], pa.bool_())
    sched_cols = sched if sched is not None else {c: pa.array([], pa.string()) for c in SCHEDULE_COLUMNS}
    if total and not pc.all(keep_rows).as_py():   # drop the lines of rows turned into errors here
        sched_cols = {c: pc.filter(a, keep_rows) for c, a in sched_cols.items()}
        parent = parent[keep_rows.to_numpy(zero_copy_only=False)]
    parent_arr = pa.array(parent, pa.int64())
    s_out = {
        "id": sched_cols["id"],
        "period": pc.cast(sched_cols["period"], pa.int32()),
        "due_date": pc.cast(sched_cols["due_date"], pa.date32()),
        "kind": sched_cols["kind"],
        **{c: _schedule_amounts(sched_cols[c], amount_type, c) for c in _SCHEDULE_AMOUNTS},
        "amount_scale": pc.take(scale, parent_arr),
        "input_row": pc.take(row_key, parent_arr),
    }
    for k in cfg["keep"]:
        s_out[k] = pc.take(chunk.column(k), parent_arr)
    schedule = pa.RecordBatch.from_arrays(list(s_out.values()), names=list(s_out.keys()))
    return summary, schedule


def _schedule_amounts(text, amount_type, column: str):
    """A schedule amount column as amount_type. The kernel prints a row's amounts at the row's
    scale, which its summary showed to fit, and none is above the row's total payable, which
    fits too; Arrow's cast refuses to round or overflow, so a violation is reported, never hidden."""
    import pyarrow as pa
    import pyarrow.compute as pc
    try:
        return pc.cast(text, amount_type)
    except pa.ArrowInvalid as e:
        raise RuntimeError(f"repaykernel.spark: a schedule {column} does not convert exactly to "
                           f"{amount_type} though its row's summary amounts do ({e}); please report it") from e


def _partition_runner(cfg: dict, want: str):
    """The function given to mapInArrow: input batches -> output batches."""
    def run(batches: Iterator) -> Iterator:
        from pyspark import TaskContext
        lib = _load_library(cfg["library"], cfg["driver_library"])
        context = TaskContext.get()
        position = (context.partitionId() if context is not None else 0) << _ROW_BITS
        step = cfg["chunk_rows"]
        for batch in batches:
            for start in range(0, batch.num_rows, step):
                chunk = batch.slice(start, step)
                summary, schedule = _process(lib, chunk, position, cfg, want == "schedule")
                position += chunk.num_rows
                out = schedule if want == "schedule" else summary
                if out.num_rows:
                    yield out
    return run


# ---------------------------------------------------------------------------
# Driver side.
# ---------------------------------------------------------------------------

def _kind(name: str, dtype) -> str:
    from pyspark.sql import types as T
    if isinstance(dtype, (T.FloatType, T.DoubleType)):
        raise TypeError(f"column '{name}' is {dtype.simpleString()}: binary floating point is refused, "
                        f"since an amount or rate must be exact; read it as a string or a decimal "
                        f"(e.g. a CSV read with all columns as strings: read_batch_csv, or "
                        f"spark.read.csv without inferSchema)")
    if isinstance(dtype, (T.StringType, T.VarcharType, T.CharType)):
        return "string"
    if isinstance(dtype, (T.ByteType, T.ShortType, T.IntegerType, T.LongType)):
        return "integer"
    if isinstance(dtype, T.DecimalType):
        return "decimal"
    if isinstance(dtype, T.BooleanType):
        return "boolean"
    if isinstance(dtype, T.DateType):
        return "date"
    raise TypeError(f"column '{name}' is {dtype.simpleString()}: a batch column must be a string, an "
                    f"integer, a decimal, a boolean or a date (cast it, e.g. a timestamp to a date)")


def _header_line(names: Sequence[str]) -> str:
    import csv
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(list(names))
    return out.getvalue()


def _header_error(names: Sequence[str]) -> Optional[str]:
    """The kernel's own verdict on a header (unknown, duplicate or empty names, no id), None when usable."""
    import repaykernel as rk
    try:
        rk.run_csv(_header_line(names))
    except rk.RepayKernelError as e:
        return e.message
    return None


def _input_scale(df) -> int:
    """The largest valid scale in the input (2 where a row leaves it empty)."""
    from pyspark.sql import functions as F
    if "scale" not in df.columns:
        return 2
    s = F.col("scale").cast("string")
    valid = F.when(s.rlike("^[0-9]{1,2}$"), s.cast("int"))
    row = df.agg(F.max(F.when(valid <= 6, valid)).alias("largest"),
                 F.max(F.when(s.isNull() | (s == ""), F.lit(2))).alias("default")).first()
    found = [v for v in (row["largest"], row["default"]) if v is not None]
    return max(found) if found else 2


def schedule_and_summary(df, *, keep: Iterable[str] = (), amounts: str = "decimal",
                         decimal_scale: Optional[int] = None, decimal_precision: int = 38,
                         library: Optional[str] = None, chunk_rows: int = 1000):
    """The schedule and summary DataFrames of a DataFrame of loans and plans (SPEC §7).

    Returns ``(schedule, summary)``; see the module's docstring for the columns,
    types, order and how the library reaches the executors.

    keep: input columns carried to both outputs (e.g. to partition them by); a
      column that is not a batch column must be named here, a batch column
      (term, start, ...) named here is still computed with.
    amounts: "decimal" (DecimalType(38, S)) or "string" (exact text).
    decimal_scale: S, 0..6; by default the largest scale of the input.
    decimal_precision: P of the amounts' DecimalType(P, S), 7..38 (default 38);
      18 is about twice as fast in Spark and Parquet (a long inside) and holds
      amounts below 10**(18 - S); a row with a larger amount is an error row.
    library: where executors load librepaykernel.so from: an absolute path, or
      the name of a file shipped with spark.files / SparkContext.addFile.
    chunk_rows: loans per rk_run_csv call.
    """
    from pyspark.sql import types as T
    from pyspark.sql.functions import col

    if amounts not in ("decimal", "string"):
        raise ValueError(f"amounts must be 'decimal' or 'string', not {amounts!r}")
    if decimal_scale is not None and (isinstance(decimal_scale, bool) or not isinstance(decimal_scale, int)
                                      or not 0 <= decimal_scale <= 6):
        raise ValueError(f"decimal_scale must be an integer 0..6, not {decimal_scale!r}")
    if isinstance(decimal_precision, bool) or not isinstance(decimal_precision, int) \
            or not 7 <= decimal_precision <= _PRECISION:
        raise ValueError(f"decimal_precision must be an integer 7..38, not {decimal_precision!r}")
    if not isinstance(chunk_rows, int) or chunk_rows < 1:
        raise ValueError(f"chunk_rows must be a positive integer, not {chunk_rows!r}")
    keep = list(keep)
    fields = {f.name: f for f in df.schema.fields}
    for k in keep:
        if k not in fields:
            raise ValueError(f"keep: no column '{k}' in the DataFrame (columns: {', '.join(df.columns)})")
        if k in SUMMARY_COLUMNS or k in SCHEDULE_COLUMNS or k in EXTRA_COLUMNS:
            raise ValueError(f"keep: '{k}' is also an output column; rename it before (withColumnRenamed)")
    if len(set(keep)) != len(keep):
        raise ValueError(f"keep: a column is named twice: {keep}")
    corrupt = CORRUPT_RECORD if CORRUPT_RECORD in fields and CORRUPT_RECORD not in keep else None
    # The batch columns: every column but the kept ones that the kernel does not know (a kept
    # batch column, e.g. term, is still computed with) and Spark's malformed-record column.
    columns = [c for c in df.columns if c not in keep and c != corrupt]
    error = _header_error(columns)
    if error is not None:
        raise ValueError(f"{error} (a column that is not a batch column can be carried to the "
                         f"outputs with keep=[...])")
    columns += [k for k in keep if _header_error(columns + [k]) is None]
    columns = [c for c in df.columns if c in columns]   # the DataFrame's order
    kinds = [_kind(c, fields[c].dataType) for c in columns]
    if corrupt is not None and not isinstance(fields[corrupt].dataType, T.StringType):
        raise TypeError(f"column '{corrupt}' (Spark's malformed-record column) must be a string")

    import repaykernel as rk
    scale = decimal_scale if decimal_scale is not None else (_input_scale(df) if amounts == "decimal" else 2)
    cfg = {
        "columns": columns, "kinds": kinds, "keep": keep, "corrupt": corrupt,
        "file_columns": len(set(columns) | set(keep)),
        "amounts": amounts, "scale": scale, "precision": decimal_precision, "chunk_rows": chunk_rows,
        "library": library, "driver_library": rk.library_path,
    }
    if amounts == "decimal":
        amount, rate = T.DecimalType(decimal_precision, scale), T.DecimalType(_PRECISION, _RATE_SCALE)
    else:
        amount = rate = T.StringType()
    kept = [fields[k] for k in keep]
    extra = [T.StructField("amount_scale", T.IntegerType()), T.StructField("input_row", T.LongType(), False)]
    schedule_schema = T.StructType(
        [T.StructField("id", T.StringType(), False), T.StructField("period", T.IntegerType(), False),
         T.StructField("due_date", T.DateType(), False), T.StructField("kind", T.StringType(), False)]
        + [T.StructField(c, amount, False) for c in _SCHEDULE_AMOUNTS] + extra + kept)
    summary_schema = T.StructType(
        [T.StructField("id", T.StringType(), False), T.StructField("status", T.StringType(), False),
         T.StructField("payments", T.IntegerType())]
        + [T.StructField(c, amount) for c in _SUMMARY_AMOUNTS]
        + [T.StructField("last_due", T.DateType())]
        + [T.StructField(c, rate) for c in _RATES]
        + [T.StructField("error", T.StringType())] + extra + kept)
    used = columns + [k for k in keep if k not in columns] + ([corrupt] if corrupt else [])
    source = df.select(*[col(f"`{c}`") for c in used])
    schedule = source.mapInArrow(_partition_runner(cfg, "schedule"), schedule_schema)
    summary = source.mapInArrow(_partition_runner(cfg, "summary"), summary_schema)
    return schedule, summary


def read_batch_csv(spark, path, *, multi_line: bool = False):
    """A batch CSV file (or a directory of them, each with the header) as a DataFrame
    of strings, read as `repay batch` reads it: every column a string (no type
    inference, no trimming), RFC 4180 quotes ("" inside a quoted cell), an empty
    cell null (= the default), blank lines skipped, a UTF-8 BOM dropped from the
    header. A row with the wrong number of cells is kept with its text in
    ``_corrupt_record``, and schedule_and_summary reports it as repay batch does
    (``row: has 4 cells but the header has 6``).

    multi_line=True allows line breaks inside quoted cells, at the price of one
    partition per file (Spark cannot split such a file).
    """
    import csv
    from pyspark.sql import types as T
    first = spark.read.text(path).first()
    if first is None:
        raise ValueError(f"{path}: no header (an empty file)")
    line = first[0]
    if line.startswith("\ufeff"):
        line = line[1:]
    names = next(csv.reader([line]))
    # Unknown names are left to schedule_and_summary (a column may be meant for keep=).
    for i, name in enumerate(names):
        if name == "":
            raise ValueError(f"{path}: header: column {i + 1} has an empty name")
        if names.index(name) != i:
            raise ValueError(f"{path}: header: duplicate column '{name}'")
    schema = T.StructType([T.StructField(n, T.StringType()) for n in names]
                          + [T.StructField(CORRUPT_RECORD, T.StringType())])
    return (spark.read.schema(schema)
            .options(header=True, enforceSchema=True, escape='"', quote='"', multiLine=multi_line,
                     mode="PERMISSIVE", columnNameOfCorruptRecord=CORRUPT_RECORD,
                     ignoreLeadingWhiteSpace=False, ignoreTrailingWhiteSpace=False, encoding="UTF-8")
            .csv(path))


def bundle(dest: str, library: Optional[str] = None) -> list:
    """Copies librepaykernel.so and the shared libraries it loads that a cluster
    node may lack (the Swift runtime and libgmp: everything ``ldd`` lists but the C
    and C++ runtime of the system) into the directory ``dest``, and returns their
    paths, for ``spark.files`` / ``--files`` / ``SparkContext.addFile``. The
    library finds the others beside it (its RUNPATH includes $ORIGIN), so they
    work from the directory Spark downloads them to.
    """
    import shutil
    import subprocess
    if library is None:
        import repaykernel as rk
        library = rk.library_path
    system = ("linux-vdso", "ld-linux", "libc.so", "libm.so", "libpthread", "libdl.so", "librt.so",
              "libstdc++", "libgcc_s", "libutil.so")
    out = subprocess.run(["ldd", library], capture_output=True, text=True, check=True).stdout
    needed = []
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[1] == "=>":
            if parts[2] == "not":
                raise OSError(f"bundle: {library} needs {parts[0]}, which is not found here: {line.strip()}")
            if not parts[0].startswith(system):
                needed.append((parts[0], parts[2]))
    os.makedirs(dest, exist_ok=True)
    copied = [shutil.copyfile(library, os.path.join(dest, _LIBRARY_NAME))]
    for soname, path in needed:
        copied.append(shutil.copyfile(path, os.path.join(dest, soname)))
    return copied


# The executors run the functions above from a by-value copy shipped with each task,
# so they need neither this package nor, therefore, its import-time library lookup.
try:
    from pyspark import cloudpickle as _cloudpickle
    _cloudpickle.register_pickle_by_value(sys.modules[__name__])
except (ImportError, AttributeError):  # pyspark missing: schedule_and_summary says so when called
    pass
