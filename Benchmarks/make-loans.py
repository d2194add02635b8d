#!/usr/bin/env python3
"""Deterministic loan-book generator for `repay batch` benchmarks.

    python3 Benchmarks/make-loans.py --rows 1000000 --term 12 --seed 42 -o loans12.csv

Every row is an annuity with a fixed `term` (months), a principal between
1,000.00 and 500,000.00 (cents), a nominal annual rate between 3.00% and
24.00% (whole basis points) and a start date in 2020-2025 (day 1..28).
Columns: id,principal,rate,term,method,start (SPEC section 7).
The same seed always gives the same bytes.
"""
import argparse
import random
import sys


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--term", type=int, default=12)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("-o", "--out", default="-", help="output path (- for stdout)")
    a = ap.parse_args()

    rng = random.Random(a.seed)
    rand = rng.randrange
    out = sys.stdout if a.out == "-" else open(a.out, "w", newline="\n", encoding="ascii")
    out.write("id,principal,rate,term,method,start\n")
    term = a.term
    block = []
    for i in range(a.rows):
        cents = rand(100_000, 50_000_001)
        bp = rand(300, 2401)
        block.append(f"L{i:08d},{cents // 100}.{cents % 100:02d},0.{bp:04d},{term},annuity,"
                     f"{2020 + rand(6)}-{1 + rand(12):02d}-{1 + rand(28):02d}\n")
        if len(block) == 100_000:
            out.write("".join(block))
            block.clear()
    out.write("".join(block))
    if out is not sys.stdout:
        out.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
