#!/usr/bin/env python3
"""`repay batch` on Apache Spark: a CSV or Parquet file of loans in, Parquet schedule and summary out.

    python3 examples/spark/batch.py loans.csv out/ --partition-by term
    python3 examples/spark/batch.py loans.parquet out/ --partition-by branch --master spark://host:7077 --ship

Writes out/summary (one row per input row, error rows included) and
out/schedule (one row per payment), Parquet, partitioned by the chosen input
column (carried through with keep=; it may be a batch column such as term or
method, or any other column of the input). Prints the row counts and the time
of each output. See examples/spark/README.md.
"""

import argparse
import os
import sys
import tempfile
import time


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("input", help="a batch CSV file (SPEC §7; or a directory of them) or a Parquet file/directory")
    ap.add_argument("out", help="output directory: OUT/summary and OUT/schedule are written (replaced)")
    ap.add_argument("--partition-by", metavar="COLUMN", help="an input column to partition both outputs by")
    ap.add_argument("--format", choices=["csv", "parquet"], help="input format (default: from the file name)")
    ap.add_argument("--master", default="local[2]", help="Spark master (default local[2])")
    ap.add_argument("--amounts", choices=["decimal", "string"], default="decimal",
                    help="amounts as DecimalType(38, S) (default) or as exact text")
    ap.add_argument("--decimal-scale", type=int, help="S (default: the input's largest scale; saves a pass)")
    ap.add_argument("--decimal-precision", type=int, default=38,
                    help="P of DecimalType(P, S) (default 38; 18 is faster for amounts below 10^(18-S))")
    ap.add_argument("--chunk-rows", type=int, default=1000, help="loans per rk_run_csv call (default 1000)")
    ap.add_argument("--split-mb", type=int, default=8,
                    help="input split size in MB: more splits balance the cores (default 8)")
    ap.add_argument("--driver-memory", default="4g", help="driver JVM heap (local mode: also the executor)")
    ap.add_argument("--ship", action="store_true",
                    help="ship librepaykernel.so and its runtime libraries with spark.files (for a cluster)")
    ap.add_argument("--only", choices=["summary", "schedule"], help="write one output only")
    a = ap.parse_args()

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)   # workers: the same Python (pyarrow)
    from pyspark.sql import SparkSession
    from repaykernel.spark import bundle, read_batch_csv, schedule_and_summary

    builder = (SparkSession.builder.master(a.master).appName("repaykernel batch")
               .config("spark.driver.memory", a.driver_memory)
               .config("spark.sql.files.maxPartitionBytes", f"{a.split_mb}m")
               .config("spark.ui.showConsoleProgress", "false"))
    library = None
    if a.ship:
        files = bundle(tempfile.mkdtemp(prefix="repaykernel-bundle-"))
        builder = builder.config("spark.files", ",".join(files))
        library = "librepaykernel.so"         # resolved with SparkFiles.get on each executor
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")

    fmt = a.format or ("parquet" if a.input.rstrip("/").endswith(".parquet") else "csv")
    loans = read_batch_csv(spark, a.input) if fmt == "csv" else spark.read.parquet(a.input)
    keep = [a.partition_by] if a.partition_by else []
    schedule, summary = schedule_and_summary(loans, keep=keep, amounts=a.amounts,
                                             decimal_scale=a.decimal_scale,
                                             decimal_precision=a.decimal_precision, library=library,
                                             chunk_rows=a.chunk_rows)

    for name, df in (("summary", summary), ("schedule", schedule)):
        if a.only and a.only != name:
            continue
        t = time.perf_counter()
        writer = df.write.mode("overwrite")
        if a.partition_by:
            writer = writer.partitionBy(a.partition_by)
        writer.parquet(os.path.join(a.out, name))
        print(f"{name}: written to {os.path.join(a.out, name)} in {time.perf_counter() - t:.1f} s", flush=True)

    written = spark.read.parquet(os.path.join(a.out, "summary")) if a.only != "schedule" else None
    if written is not None:
        counts = {r["status"]: r["count"] for r in written.groupBy("status").count().collect()}
        print(f"summary rows: {sum(counts.values())} ({counts.get('ok', 0)} ok, {counts.get('error', 0)} error)")
    spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
