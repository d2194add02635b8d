#!/usr/bin/env python3
"""Writes the raw seed inputs of every fuzz target into OUT/<Target>/, from the
repository's fixtures (fixtures/, fixtures/conformance = ../shared/conformance)
and the payment histories of the reference fixtures (git show ref:...), for
Tests/fuzz.sh --seed to minimise into Tests/Fuzz/Corpus/<Target>/ (-merge=1).

    python3 Tests/Fuzz/make-seeds.py OUT
"""
import csv, hashlib, io, json, os, subprocess, sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
OUT = sys.argv[1]


def write(target, data):
    if isinstance(data, str):
        data = data.encode('utf-8')
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, hashlib.sha1(data).hexdigest()), 'wb') as f:
        f.write(data)


def documents():
    """(name, bytes) of every input CSV of the fixtures, and of the reference branch's payment fixtures."""
    seen = set()
    for sub in ('fixtures', 'fixtures/golden', 'fixtures/conformance'):
        for name in sorted(os.listdir(os.path.join(ROOT, sub))):
            if name.endswith('.csv') and not name.endswith(('.schedule.csv', '.summary.csv')):
                data = open(os.path.join(ROOT, sub, name), 'rb').read()
                if data not in seen:
                    seen.add(data)
                    yield name, data
    for path in ('fixtures/golden/payments.csv', 'fixtures/golden/history.csv'):
        try:
            data = subprocess.run(['git', '-C', ROOT, 'show', 'ref:' + path], capture_output=True, check=True).stdout
        except (subprocess.CalledProcessError, FileNotFoundError):
            continue
        if data and data not in seen:
            seen.add(data)
            yield os.path.basename(path), data


def rows(data):
    text = data.decode('utf-8-sig', errors='replace')
    recs = [r for r in csv.reader(io.StringIO(text)) if r]
    return recs[0], recs[1:]


def line(cells):
    out = io.StringIO()
    csv.writer(out, lineterminator='\n').writerow(cells)
    return out.getvalue()


cells = {'amount': set(), 'rate': set(), 'date': set(), 'whole': set(), 'bool': set(), 'payments': set()}
AMOUNT = {'principal', 'overdue_principal', 'overdue_interest', 'accrued_interest', 'penalty', 'fees', 'down_payment'}
RATE = {'rate', 'daily_rate', 'fee_rate', 'markup', 'plan_rate', 'waive_penalty', 'waive_interest', 'waive_fees'}
DATE = {'start', 'first_due', 'as_of'}
WHOLE = {'term', 'scale', 'paid_through', 'defer_months', 'installments', 'max_term', 'grace_days'}

for name, data in documents():
    header, body = rows(data)
    # FuzzCSV: small whole documents and slices of the big ones.
    write('FuzzCSV', data[:4096])
    for k in range(0, min(len(body), 40), 8):
        doc = line(header) + ''.join(line(r) for r in body[k:k + 8])
        write('FuzzCSV', doc)
    # FuzzBatchRow: the header with each row on its own (and a few pairs).
    for k, r in enumerate(body[:300]):
        write('FuzzBatchRow', line(header) + line(r))
        if k % 25 == 0:
            write('FuzzBatchRow', line(header) + ''.join(line(x) for x in body[k:k + 3]))
    # FuzzJSON: each row as a request object (its non-empty cells), and small arrays.
    objects = []
    for r in body[:300]:
        obj = {h: v for h, v in zip(header, r) if v != ''}
        objects.append(obj)
        write('FuzzJSON', json.dumps(obj, ensure_ascii=False))
    for k in range(0, min(len(objects), 60), 6):
        write('FuzzJSON', json.dumps(objects[k:k + 3]))
    # Cells for the parser and payments targets.
    for r in body:
        for h, v in zip(header, r):
            if h in AMOUNT: cells['amount'].add(v)
            elif h in RATE: cells['rate'].add(v)
            elif h in DATE: cells['date'].add(v)
            elif h in WHOLE: cells['whole'].add(v)
            elif h == 'compound': cells['bool'].add(v)
            elif h == 'payments': cells['payments'].add(v)

# FuzzParsers: selector byte (parser, and an amount's scale) + the cell.
for scale in range(8):
    for v in sorted(cells['amount'])[:40] + ['0', '007.50', '1' + '0' * 40, '9' * 1000, '1.5', '-3.20', '1e5']:
        write('FuzzParsers', bytes([scale * 5]) + v.encode())
for v in sorted(cells['rate'])[:80] + ['14.4%', '0.' + '3' * 100, '100000000000000000000%', '007%', '0.1234565']:
    write('FuzzParsers', b'\x01' + v.encode())
for v in sorted(cells['date'])[:60] + ['2024-02-29', '2023-02-29', '9999-12-31', '0001-01-01']:
    write('FuzzParsers', b'\x02' + v.encode())
for v in sorted(cells['whole']) + ['0000000000000000000012', '999999999999999', '1234567890123456']:
    write('FuzzParsers', b'\x03' + v.encode())
for v in ['true', 'false', 'yes', 'no', 'on', 'off', '1', '0', 'maybe']:
    write('FuzzParsers', b'\x04' + v.encode())

# FuzzPayments: scale and settings bytes + a payments cell.
histories = sorted(cells['payments']) + [
    '2024-02-15 1037.03; 2024-03-20 500; 2024-04-01 2000 prepay',
    '2024-01-01 1; 2024-02-01 2;', '2024-02-01 5 prepay; 2024-02-01 5 prepay', '2024-03-15 100.5',
]
for k, h in enumerate(histories):
    write('FuzzPayments', bytes([2, k * 37 % 256, k * 11 % 256, k * 5 % 256, k * 3 % 256]) + h.encode())
    write('FuzzPayments', bytes([0, k % 256, 7, 1, 0]) + h.encode())
