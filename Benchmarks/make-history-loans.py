#!/usr/bin/env python3
"""Plan rows replayed from a payment history (SPEC §9.2), for timing `repay batch`.

    python3 Benchmarks/make-history-loans.py 1000000 -o /tmp/history.csv

Each row is a 12-month annuity (principal 1,000.00 to 50,000.00, rate 5% to
24%, start in 2023-2024) carrying 12 payments, one per installment, of 8.5% of
the principal: below the installment at most rates (a partial payment, the
rest stays overdue and bears penalty) and above it at some (credit for the
next one). Every fourth payment is 5 days late and every seventh is split in
two halves 10 days apart. `as_of` is 20 days after the 12th due date; the plan
re-spreads what is left over 6 installments at 10%. Deterministic (--seed).
"""
import argparse
import calendar
import datetime
import random


def add_months(d: datetime.date, months: int, anchor: int) -> datetime.date:
    m = d.month - 1 + months
    y, m = d.year + m // 12, m % 12 + 1
    return datetime.date(y, m, min(anchor, calendar.monthrange(y, m)[1]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("n", type=int)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("-o", "--out", required=True)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    day = datetime.timedelta(days=1)
    with open(a.out, "w", newline="") as f:
        f.write("id,principal,rate,term,start,as_of,payments,installments,plan_rate\n")
        for i in range(a.n):
            cents = rng.randrange(100_000, 5_000_001)
            rate = rng.randrange(500, 2401)  # basis points
            start = datetime.date(2023, 1, 1) + rng.randrange(730) * day
            pay = cents * 85 // 1000
            items = []
            for k in range(1, 13):
                due = add_months(start, k, start.day)
                when = due + (5 * day if k % 4 == 0 else 0 * day)
                if k % 7 == 0:
                    half = pay // 2
                    items.append(f"{when} {half // 100}.{half % 100:02d}")
                    rest = pay - half
                    items.append(f"{when + 10 * day} {rest // 100}.{rest % 100:02d}")
                else:
                    items.append(f"{when} {pay // 100}.{pay % 100:02d}")
            as_of = add_months(start, 12, start.day) + 20 * day
            f.write(f"H{i + 1:07d},{cents // 100}.{cents % 100:02d},{rate // 100}.{rate % 100:02d}%,12,"
                    f"{start},{as_of},{';'.join(items)},6,10%\n")


if __name__ == "__main__":
    main()
