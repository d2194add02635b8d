#!/usr/bin/env python3
"""The same batch job as `repay batch`, done the way a Python user would: pandas
`read_csv`, vectorized numpy-financial `pmt`/`ipmt`/`ppmt`, `to_csv`.

    python3 Benchmarks/batch-py.py loans.csv schedule.csv summary.csv

Input: the columns of Benchmarks/make-loans.py (id,principal,rate,term,method,start),
annuities only. Output: the same two files as `repay batch` (schedule and summary
columns of SPEC section 7), amounts printed with 2 decimals.

This is the comparison point for speed only: the numbers are binary floating point,
rounded at print time, with no cent rounding per period, no residue absorbed by the
last payment and no APR root finding; they differ from the exact kernel by cents.
(The summary's apr column is the nominal rate as given; float_format prints it with 2 decimals too.)
"""
import sys

import numpy as np
import numpy_financial as npf
import pandas as pd


def main(src: str, schedule_path: str, summary_path: str) -> None:
    df = pd.read_csv(src, dtype={"id": str, "method": str, "start": str})
    n_loans = len(df)
    principal = df["principal"].to_numpy(dtype=np.float64)
    rate = df["rate"].to_numpy(dtype=np.float64) / 12.0
    term = df["term"].to_numpy(dtype=np.int64)

    # One schedule row per loan and period.
    idx = np.repeat(np.arange(n_loans), term)
    starts_of_loans = np.cumsum(term) - term
    per = np.arange(len(idx)) - np.repeat(starts_of_loans, term) + 1
    r, n, pv = rate[idx], term[idx], principal[idx]
    payment = -npf.pmt(r, n, pv)
    interest = -npf.ipmt(r, per, n, pv)
    principal_part = -npf.ppmt(r, per, n, pv)
    paid = np.cumsum(principal_part)
    paid -= np.repeat(paid[starts_of_loans] - principal_part[starts_of_loans], term)
    balance = np.maximum(pv - paid, 0.0)

    # Due dates: start + per months, day of month clamped to the month's end.
    start = pd.to_datetime(df["start"]).to_numpy().astype("datetime64[D]")
    start_month = start.astype("datetime64[M]")
    start_day = (start - start_month.astype("datetime64[D]")).astype(np.int64)
    month = start_month[idx] + per.astype("timedelta64[M]")
    month_len = ((month + 1).astype("datetime64[D]") - month.astype("datetime64[D]")).astype(np.int64)
    due = month.astype("datetime64[D]") + np.minimum(start_day[idx], month_len - 1).astype("timedelta64[D]")

    ids = df["id"].to_numpy()
    schedule = pd.DataFrame({
        "id": ids[idx],
        "period": per,
        "due_date": due,
        "kind": "installment",
        "payment": payment,
        "principal": principal_part,
        "interest": interest,
        "carried": 0.0,
        "balance": balance,
    })
    schedule.to_csv(schedule_path, index=False, float_format="%.2f", lineterminator="\n")

    total_payable = payment[starts_of_loans] * term
    last_due = due[starts_of_loans + term - 1]
    summary = pd.DataFrame({
        "id": ids,
        "status": "ok",
        "payments": term,
        "total_payable": total_payable,
        "total_interest": total_payable - principal,
        "waived_penalty": 0.0,
        "waived_interest": 0.0,
        "waived_fees": 0.0,
        "last_due": last_due,
        "apr": df["rate"].to_numpy(dtype=np.float64),
        "effective_apr": (1 + rate) ** 12 - 1,
        "error": "",
    })
    summary.to_csv(summary_path, index=False, float_format="%.2f", lineterminator="\n")


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(*sys.argv[1:])
