"""An independent high-precision APR (SPEC §6) for loan rows, to derive expected values
for APRs far outside a double's range (ReliabilityTests: a principal of 10^307 and more,
APRs and effective rates of 10^24 and more, a rate of 10^20 %):

    python3 Tests/Reliability/apr_high_precision.py Tests/Reliability/apr-extremes.csv [PREC]

prints `id apr effective_apr` per row. It takes the schedule rows and payment times
from fixtures/golden/reference.py and solves for the monthly IRR itself with Python's
decimal at PREC digits (default 1200), stopping on a *relative* step of 10^-(PREC-20)
(reference.py stops at an absolute 1e-50, too coarse for an effective rate of
10^200), then rounds 12x and (1+x)^12 - 1 half-even to 6 decimals.
"""
import sys, csv, decimal
from decimal import Decimal as D
import os
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'fixtures', 'golden'))
import reference as R
from fractions import Fraction as Q
PREC = int(sys.argv[2]) if len(sys.argv) > 2 else 1200
decimal.getcontext().prec = PREC

def solve(flows, F):
    # f(x) = sum a (1+x)^-t - F, decreasing in x
    def f(x): return sum(a * (1 + x) ** (-t) for a, t in flows) - F
    def fp(x): return sum(-t * a * (1 + x) ** (-t - 1) for a, t in flows)
    lo, hi = D('-0.999'), D(1)
    while f(hi) > 0: hi *= 2
    x = hi
    for _ in range(100000):
        fx = f(x)
        if fx > 0: lo = x
        else: hi = x
        nx = x - fx / fp(x)
        if not (lo < nx < hi): nx = (lo + hi) / 2
        if abs(nx - x) <= abs(x) * D(10) ** (-(PREC - 20)):
            return nx
        x = nx

def fmt(v):
    k = (v * 1000000).to_integral_value(rounding=decimal.ROUND_HALF_EVEN)
    return R.fmt_units(int(k), 6)

with open(sys.argv[1], newline='') as fh:
    data = [r for r in csv.reader(fh) if r]
h = data[0]
for cells in data[1:]:
    c = dict(zip(h, cells))
    rows, summ = R.compute_row(c)
    scale = int(c.get('scale') or 2)
    ref = R.Date.parse(c['as_of']) if c.get('as_of') else R.Date.parse(c['start'])
    Dday = R.anchor_day({'start': R.Date.parse(c['start']), 'first_due': R.Date.parse(c['first_due']) if c.get('first_due') else None}) if not c.get('as_of') else ref.d
    flows = []
    for r in rows:
        pay = r['principal'] + r['interest'] + r['carried']
        k, d = R.whole_months(ref, r['due'], Dday)
        if pay: flows.append((D(pay), D(k) + D(d) / 30))
    # financed: the loan's principal in minor units
    F = D(R.parse_amount(c['principal'], scale)) if not c.get('as_of') else None
    x = solve(flows, F)
    print(c['id'], fmt(12 * x), fmt((1 + x) ** 12 - 1))
