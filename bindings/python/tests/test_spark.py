"""repaykernel.spark (issue 11): the batch of SPEC §7 on Apache Spark, checked against `repay batch`.

Runs in local[2] when pyspark (with pyarrow and pandas) and java are present;
otherwise every test here is skipped with the reason. `bash Tests/spark.sh`
runs this file (and says so when it is skipped).
"""

import csv
import datetime
import io
import os
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

for _module in ("pyspark", "pyarrow", "pandas"):
    pytest.importorskip(_module, reason=f"{_module} is not installed (pip install 'pyspark[sql]')")
if not (shutil.which("java") or os.environ.get("JAVA_HOME")):
    pytest.skip("java is not installed (Spark needs a JRE 17+)", allow_module_level=True)

import repaykernel as rk  # noqa: E402
from repaykernel import spark as rks  # noqa: E402

ROOT = Path(__file__).resolve().parents[3]
FIXTURES = ROOT / "fixtures" / "conformance"


@pytest.fixture(scope="module")
def spark():
    os.environ["PYSPARK_PYTHON"] = sys.executable   # the workers import pyarrow from this environment
    from pyspark.sql import SparkSession
    session = (SparkSession.builder.master("local[2]").appName("repaykernel-test")
               .config("spark.ui.enabled", "false")
               .config("spark.sql.shuffle.partitions", "2")
               .config("spark.sql.files.maxPartitionBytes", "20000")   # random.csv: 6 partitions
               .config("spark.sql.files.openCostInBytes", "0")
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def repay_batch(path: Path, tmp_path: Path):
    """(exit status, schedule bytes, summary bytes) of `repay batch` on a file."""
    repay = Path(os.environ.get("REPAY", ROOT / ".build" / "release" / "repay"))
    if not repay.exists():
        pytest.fail(f"{repay} is missing: run `swift build -c release` (or set REPAY)")
    s, m = tmp_path / "repay.schedule.csv", tmp_path / "repay.summary.csv"
    r = subprocess.run([repay, "batch", path, "--schedule", s, "--summary", m, "--quiet", "--jobs", "1"])
    return r.returncode, s.read_bytes(), m.read_bytes()


def at_scale(value, scale):
    """An amount as repay batch prints it: exactly `scale` decimals (the DecimalType may have more,
    which must be zeros: a widened amount, never a rounded one)."""
    if isinstance(value, str):
        return value
    whole, _, frac = format(value, "f").partition(".")
    assert set(frac[scale:]) <= {"0"}, f"{value} is not exact at scale {scale}"
    return whole + ("." + frac[:scale] if scale else "")


def text(value):
    if value is None:
        return ""
    if isinstance(value, datetime.date):
        return value.isoformat()
    return format(value, "f") if isinstance(value, Decimal) else str(value)


def as_csv(header, rows):
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return out.getvalue().encode()


def spark_batch(schedule_df, summary_df):
    """The two DataFrames collected, sorted by input row, as repay batch's two CSV files."""
    summary = sorted(summary_df.collect(), key=lambda r: r.input_row)
    schedule = sorted(schedule_df.collect(), key=lambda r: (r.input_row, r.period))
    summary_csv = as_csv(rks.SUMMARY_COLUMNS, [
        [r.id, r.status, text(r.payments)]
        + [at_scale(r[c], r.amount_scale) if r[c] is not None else "" for c in rks._SUMMARY_AMOUNTS]
        + [text(r.last_due), text(r.apr), text(r.effective_apr), text(r.error)] for r in summary])
    schedule_csv = as_csv(rks.SCHEDULE_COLUMNS, [
        [r.id, str(r.period), r.due_date.isoformat(), r.kind]
        + [at_scale(r[c], r.amount_scale) for c in rks._SCHEDULE_AMOUNTS] for r in schedule])
    return schedule_csv, summary_csv, summary


def input_rows(path: Path) -> int:
    with open(path, newline="", encoding="utf-8-sig") as f:
        return sum(1 for row in csv.reader(f) if row) - 1


def run_conformance(spark, tmp_path, name, amounts):
    path = FIXTURES / f"{name}.csv"
    rc, want_schedule, want_summary = repay_batch(path, tmp_path)
    assert rc in (0, 1)
    loans = rks.read_batch_csv(spark, str(path))
    schedule_df, summary_df = rks.schedule_and_summary(loans, amounts=amounts, chunk_rows=97)
    got_schedule, got_summary, rows = spark_batch(schedule_df, summary_df)
    assert len(rows) == loans.count() == input_rows(path)   # nothing dropped
    assert len({r.input_row for r in rows}) == len(rows)
    if name == "random":
        assert loans.rdd.getNumPartitions() > 1   # the key orders rows across partitions
    return want_schedule, want_summary, got_schedule, got_summary


@pytest.mark.parametrize("name,amounts", [("random", "string"), ("bad", "decimal"), ("bad", "string"),
                                          ("classic", "decimal"), ("empty", "decimal")])
def test_conformance_same_as_repay_batch(spark, tmp_path, name, amounts):
    """Collected and sorted, the Spark outputs are repay batch's, byte for byte, error rows included;
    the summary has one row per input row."""
    want_schedule, want_summary, got_schedule, got_summary = run_conformance(spark, tmp_path, name, amounts)
    assert got_summary == want_summary
    assert got_schedule == want_schedule


def test_conformance_decimal_out_of_range_rows(spark, tmp_path):
    """random.csv as DecimalType(38,6) (its largest scale is 6): the rows with an amount of more
    than 32 digits before the point are error rows saying which amount does not fit; every other
    line is repay batch's, byte for byte."""
    want_schedule, want_summary, got_schedule, got_summary = run_conformance(spark, tmp_path, "random", "decimal")
    want = list(csv.reader(io.StringIO(want_summary.decode())))
    got = list(csv.reader(io.StringIO(got_summary.decode())))
    assert len(want) == len(got) and got[0] == want[0]
    demoted = set()
    for w, g in zip(want[1:], got[1:]):
        too_big = [(c, v) for c, v in zip(rks.SUMMARY_COLUMNS, w)
                   if c in rks._SUMMARY_AMOUNTS + rks._RATES and len(v.split(".")[0]) > 32]
        if w[1] == "ok" and too_big:
            column, value = too_big[0]
            assert g[:2] == [w[0], "error"] and g[2:-1] == [""] * 9
            assert g[-1].startswith(f"{column}: {value} does not fit DecimalType(38,6)")
            demoted.add(w[0])
        else:
            assert g == w
    assert 5 <= len(demoted) < 100
    kept = [line for line in want_schedule.decode().split("\n") if line.split(",")[0] not in demoted]
    assert got_schedule.decode() == "\n".join(kept)


def test_types(spark):
    """Decimal amounts at the input's largest scale, dates as dates; each row's own scale kept."""
    loans = rks.read_batch_csv(spark, str(FIXTURES / "classic.csv"))
    schedule_df, summary_df = rks.schedule_and_summary(loans)
    types = dict(summary_df.dtypes)
    assert types["total_payable"] == "decimal(38,6)" and types["apr"] == "decimal(38,6)"
    assert types["last_due"] == "date" and types["payments"] == "int" and types["input_row"] == "bigint"
    assert dict(schedule_df.dtypes)["due_date"] == "date"
    assert {r.amount_scale for r in summary_df.collect() if r.status == "ok"} == {0, 2, 3, 6}
    s, m = rks.schedule_and_summary(loans.where("scale is null or scale = '2'"))
    assert dict(m.dtypes)["total_payable"] == "decimal(38,2)"


WRONG_CELLS = (b"principal,id,rate,term,start\n"
               b"1000,w1,0.12,12,2024-01-15\n"
               b"1000,w2,0.12,12\n"
               b"\n"
               b"1000,w3,0.12,12,2024-01-15,x\n"
               b"1000\n"
               b'"1,000",w4,0.12,12,2024-01-15\n'
               b'1000,"w ""5""",12%,12, 2024-01-15\n'
               b"1000,,0.12,12,2024-01-15\n")


def test_wrong_number_of_cells_and_quoting(spark, tmp_path):
    """Rows Spark's CSV reader would pad or cut keep repay batch's own row error; quoted cells,
    blank lines and empty ids as in repay batch."""
    path = tmp_path / "cells.csv"
    path.write_bytes(WRONG_CELLS)
    rc, want_schedule, want_summary = repay_batch(path, tmp_path)
    assert rc == 1 and b"row: has 4 cells but the header has 5" in want_summary
    schedule_df, summary_df = rks.schedule_and_summary(rks.read_batch_csv(spark, str(path)))
    got_schedule, got_summary, rows = spark_batch(schedule_df, summary_df)
    assert len(rows) == 7
    assert got_summary == want_summary and got_schedule == want_schedule


def test_typed_columns_are_exact(spark):
    """Integers, decimals (trailing zeros of the type dropped), dates and booleans give the rows
    of the same cells as text."""
    from pyspark.sql import types as T
    schema = T.StructType([
        T.StructField("id", T.StringType()), T.StructField("principal", T.DecimalType(24, 4)),
        T.StructField("rate", T.DecimalType(10, 6)), T.StructField("term", T.IntegerType()),
        T.StructField("start", T.DateType()), T.StructField("as_of", T.DateType()),
        T.StructField("paid_through", T.LongType()), T.StructField("compound", T.BooleanType()),
        T.StructField("installments", T.ShortType())])
    rows = [("a", Decimal("10000.5000"), Decimal("0.120000"), 12, datetime.date(2024, 1, 31), None, None, None, None),
            ("b", Decimal("123456789012345678.9000"), Decimal("0.000001"), 360, datetime.date(2024, 2, 29),
             None, None, None, None),
            ("c", Decimal("10000"), Decimal("0.12"), 12, datetime.date(2024, 1, 15), datetime.date(2024, 6, 20),
             3, True, 6),
            ("d", Decimal("100.0050"), Decimal("0.12"), 12, datetime.date(2024, 1, 15), None, None, None, None),
            ("e", None, None, None, None, None, None, None, None)]
    df = spark.createDataFrame(rows, schema)
    as_text = ("id,principal,rate,term,start,as_of,paid_through,compound,installments\n"
               "a,10000.5,0.12,12,2024-01-31,,,,\n"
               "b,123456789012345678.9,0.000001,360,2024-02-29,,,,\n"
               "c,10000,0.12,12,2024-01-15,2024-06-20,3,true,6\n"
               "d,100.005,0.12,12,2024-01-15,,,,\n"
               "e,,,,,,,,\n")
    want = rk.run_csv(as_text)
    got_schedule, got_summary, _ = spark_batch(*rks.schedule_and_summary(df, amounts="string"))
    assert got_summary == want.summary and got_schedule == want.schedule
    assert b"principal: more than 2 decimals: '100.005'" in got_summary


def test_float_column_refused(spark):
    df = spark.createDataFrame([("a", 10000.0, "0.12", "12", "2024-01-15")],
                               "id string, principal double, rate string, term string, start string")
    with pytest.raises(TypeError, match="column 'principal' is double: binary floating point is refused"):
        rks.schedule_and_summary(df)
    with pytest.raises(TypeError, match="column 'start' is timestamp"):
        rks.schedule_and_summary(spark.sql("select 'a' as id, current_timestamp() as start"))


def test_unknown_column_and_keep(spark):
    """An unknown column is refused with the kernel's message; keep= carries a column to both outputs."""
    df = spark.createDataFrame([("a", "10000", "0.12", "12", "2024-01-15", "north")],
                               "id string, principle string, rate string, term string, start string, branch string")
    with pytest.raises(ValueError, match=r"unknown column 'principle' \(did you mean 'principal'\?\)"):
        rks.schedule_and_summary(df)
    df = df.withColumnRenamed("principle", "principal")
    with pytest.raises(ValueError, match="unknown column 'branch'"):
        rks.schedule_and_summary(df)
    with pytest.raises(ValueError, match="'principal' is also an output column"):
        rks.schedule_and_summary(df, keep=["branch", "principal"])
    schedule_df, summary_df = rks.schedule_and_summary(df, keep=["branch"])
    assert summary_df.columns[-3:] == ["amount_scale", "input_row", "branch"]
    assert {r.branch for r in schedule_df.collect()} == {"north"} and schedule_df.count() == 12
    assert summary_df.first().branch == "north"
    # A kept batch column is still computed with.
    schedule_df, summary_df = rks.schedule_and_summary(df, keep=["term", "branch"])
    assert summary_df.columns[-2:] == ["term", "branch"] and schedule_df.count() == 12
    assert summary_df.first().total_payable == Decimal("10661.86")


def test_amounts_too_large_for_a_decimal_type(spark):
    """A row that DecimalType(38, S) cannot hold is one error row saying so (decimal mode); as text
    it is exact. The other rows are untouched and nothing is dropped."""
    df = spark.createDataFrame([("small", "10000", "0.12", "12", "2024-01-15", None),
                                ("huge", "1" + "0" * 40, "0.12", "12", "2024-01-15", None),
                                ("milli", "10000.125", "0.12", "12", "2024-01-15", "3")],
                               "id string, principal string, rate string, term string, start string, scale string")
    schedule_df, summary_df = rks.schedule_and_summary(df, decimal_scale=2)
    rows = {r.id: r for r in summary_df.collect()}
    assert len(rows) == 3 and rows["small"].status == "ok" and rows["small"].total_payable == Decimal("10661.86")
    assert rows["huge"].status == "error" and rows["huge"].total_payable is None
    assert rows["huge"].error.startswith("total_payable: 1") and "does not fit DecimalType(38,2)" in rows["huge"].error
    assert rows["milli"].status == "error"
    assert rows["milli"].error.startswith("scale: the row's amounts have 3 decimals, more than DecimalType(38,2)")
    assert {r.id for r in schedule_df.collect()} == {"small"}
    # Default: the largest scale of the input (3); the 10^40 loan still does not fit.
    schedule_df, summary_df = rks.schedule_and_summary(df)
    rows = {r.id: r for r in summary_df.collect()}
    assert rows["milli"].status == "ok" and rows["milli"].amount_scale == 3
    assert rows["small"].total_payable == Decimal("10661.860") and rows["small"].amount_scale == 2
    assert rows["huge"].error.split(" does not")[0] == "total_payable: " + rk.run_csv(
        "id,principal,rate,term,start\nhuge,1" + "0" * 40 + ",0.12,12,2024-01-15\n").summary.decode().split("\n")[1].split(",")[3]
    # DecimalType(18, 2): a long inside Spark; 10^16 and more is an error row.
    big = spark.createDataFrame([("fits", "99999999999.99", "0.12", "12", "2024-01-15"),
                                 ("over", "1" + "0" * 16, "0.12", "12", "2024-01-15")],
                                "id string, principal string, rate string, term string, start string")
    schedule_df, summary_df = rks.schedule_and_summary(big, decimal_precision=18)
    assert dict(summary_df.dtypes)["total_payable"] == "decimal(18,2)"
    assert dict(schedule_df.dtypes)["balance"] == "decimal(18,2)"
    rows = {r.id: r for r in summary_df.collect()}
    assert rows["fits"].status == "ok" and rows["over"].status == "error"
    assert " does not fit DecimalType(18,2) (16 digits before the point at most)" in rows["over"].error
    assert schedule_df.count() == 12
    with pytest.raises(ValueError, match="decimal_precision must be an integer 7..38"):
        rks.schedule_and_summary(big, decimal_precision=39)
    # As text every row is computed, exactly as repay batch prints it.
    want = rk.run_csv("id,principal,rate,term,start,scale\nsmall,10000,0.12,12,2024-01-15,\n"
                      "huge,1" + "0" * 40 + ",0.12,12,2024-01-15,\nmilli,10000.125,0.12,12,2024-01-15,3\n")
    got_schedule, got_summary, _ = spark_batch(*rks.schedule_and_summary(df, amounts="string"))
    assert got_summary == want.summary and got_schedule == want.schedule


def test_library_that_does_not_load_fails_the_job_naming_it(spark):
    df = spark.createDataFrame([("a", "10000", "0.12", "12", "2024-01-15")],
                               "id string, principal string, rate string, term string, start string")
    missing = "/nonexistent/repaykernel-test/librepaykernel.so"
    _, summary_df = rks.schedule_and_summary(df, library=missing)
    with pytest.raises(Exception) as e:
        summary_df.collect()
    assert missing in str(e.value) and "not found on executor" in str(e.value)


def test_library_shipped_with_spark_files_and_loaded_once(spark, tmp_path):
    """bundle() + SparkContext.addFile: the executors load the shipped copy, once per process."""
    files = rks.bundle(str(tmp_path / "bundle"))
    names = {Path(f).name for f in files}
    assert "librepaykernel.so" in names and "libswiftCore.so" in names and "libgmp.so.10" in names
    for f in files:
        spark.sparkContext.addFile(f)
    loans = rks.read_batch_csv(spark, str(FIXTURES / "bad.csv"))
    want = rk.run_csv((FIXTURES / "bad.csv").read_bytes())
    for _ in range(2):
        got_schedule, got_summary, _ = spark_batch(*rks.schedule_and_summary(loans, library="librepaykernel.so"))
        assert got_summary == want.summary and got_schedule == want.schedule

    import pyarrow as pa

    def loads(batches):
        stash = sys.modules.get("_repaykernel_spark_native")
        for _ in batches:
            pass
        found = stash.loads if stash is not None else {}
        yield pa.RecordBatch.from_pydict({"pid": [os.getpid()] * len(found), "path": list(found),
                                          "loads": list(found.values())},
                                         schema=pa.schema([("pid", pa.int64()), ("path", pa.string()),
                                                           ("loads", pa.int64())]))
    probe = spark.range(0, 64, numPartitions=8).mapInArrow(loads, "pid long, path string, loads long").collect()
    shipped = [r for r in probe if r.path.endswith("/librepaykernel.so") and r.path != rk.library_path]
    assert shipped and all(r.loads == 1 for r in probe)
