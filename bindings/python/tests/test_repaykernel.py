"""Tests of the repaykernel package (bindings/python/repaykernel) against the library and the conformance fixtures."""

import csv
import decimal
import datetime
import importlib.metadata
import io
import re
import subprocess
import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

import pytest

import repaykernel as rk

ROOT = Path(__file__).resolve().parents[3]
FIXTURES = ROOT / "fixtures" / "conformance"
CASES = sorted(p.stem for p in FIXTURES.glob("*.csv")
               if not p.stem.endswith((".schedule", ".summary")) and (FIXTURES / f"{p.stem}.rc").exists())
LOAN = dict(principal="10000", rate="12%", term=12, start="2024-01-15")


def strip_error_text(summary: bytes) -> bytes:
    """The summary without the wording of error messages (free per the contract)."""
    return re.sub(rb"(?m)^([^,\n]*,error),.*$", rb"\1", summary)


def test_fixtures_present():
    assert {"classic", "bad", "bad_header", "empty", "random"} <= set(CASES)


@pytest.mark.parametrize("name", CASES)
def test_conformance_run_csv(name):
    """The whole-request entry point reproduces `repay batch` byte for byte."""
    data = (FIXTURES / f"{name}.csv").read_bytes()
    want_rc = int((FIXTURES / f"{name}.rc").read_text().strip())
    if want_rc == 2:
        with pytest.raises(rk.RepayKernelError) as e:
            rk.run_csv(data)
        assert e.value.status == rk.RK_FORMAT and e.value.message
        return
    out = rk.run_csv(data)
    assert out.status == (rk.RK_OK if want_rc == 0 else rk.RK_PARTIAL)
    assert out.schedule == (FIXTURES / f"{name}.schedule.csv").read_bytes()
    want_summary = (FIXTURES / f"{name}.summary.csv").read_bytes()
    if name == "bad":
        assert strip_error_text(out.summary) == strip_error_text(want_summary)
    else:
        assert out.summary == want_summary


def fixture_rows(name):
    with open(FIXTURES / f"{name}.csv", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def format_rows(result):
    """A Result as lines of the batch schedule CSV (amounts printed back from Decimal)."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    for r in result:
        w.writerow([result.id, r.period, r.due_date.isoformat(), r.kind, r.payment, r.principal, r.interest,
                    r.carried, r.balance])
    return out.getvalue()


@pytest.mark.parametrize("name", ["classic", "random"])
def test_key_value_path_matches_fixtures(name):
    """schedule()/plan() with the CSV cells as keyword arguments give the fixture's rows and summary."""
    schedule_lines = (FIXTURES / f"{name}.schedule.csv").read_text().splitlines(keepends=True)[1:]
    summary_lines = (FIXTURES / f"{name}.summary.csv").read_text().splitlines()[1:]
    by_id = {}
    for line in schedule_lines:
        by_id.setdefault(line.split(",", 1)[0], []).append(line)
    summaries = {line.split(",", 1)[0]: line for line in summary_lines}
    for cells in fixture_rows(name):
        terms = {k: v for k, v in cells.items() if v != ""}
        entry = rk.plan if "as_of" in terms else rk.schedule
        status = summaries[cells["id"]].split(",")[1]
        if status == "error":
            with pytest.raises(rk.RepayKernelError):
                entry(**terms)
            continue
        result = entry(**terms)
        assert format_rows(result) == "".join(by_id.get(cells["id"], []))
        s = result.summary
        line = ",".join([result.id, "ok", str(s.payments), str(s.total_payable), str(s.total_interest),
                         str(s.waived_penalty), str(s.waived_interest), str(s.waived_fees),
                         s.last_due.isoformat() if s.last_due else "", str(s.apr), str(s.effective_apr), ""])
        assert line == summaries[cells["id"]]


def test_schedule_values():
    loan = rk.schedule(id="car", **LOAN)
    assert loan.id == "car" and not loan.is_plan and loan.scale == 2 and len(loan) == 12
    first = loan[0]
    assert first == rk.Row(1, datetime.date(2024, 2, 15), "installment", Decimal("888.49"), Decimal("788.49"),
                           Decimal("100.00"), Decimal("0.00"), Decimal("9211.51"))
    assert all(isinstance(r.payment, Decimal) for r in loan)
    assert sum(r.principal for r in loan) == Decimal("10000")
    assert loan[-1].balance == 0
    assert loan.summary.total_payable == Decimal("10661.86") == sum(r.payment for r in loan)
    assert loan.summary.total_interest == Decimal("661.86")
    assert loan.summary.apr == Decimal("0.120001") and loan.summary.effective_apr == Decimal("0.126826")
    assert loan.summary.last_due == datetime.date(2025, 1, 15)
    assert str(loan.summary.apr) == "0.120001"


def test_value_types():
    a = rk.schedule(principal=Decimal("10000"), rate=Decimal("0.12"), term=12, start=datetime.date(2024, 1, 15))
    b = rk.schedule(**LOAN)
    assert a.rows == b.rows and a.summary == b.summary
    c = rk.schedule(principal=Decimal("1E+4"), rate="0.12", term=12, start="2024-01-15")  # no exponent reaches the kernel
    assert c.rows == b.rows
    with pytest.raises(TypeError):
        rk.schedule(principal=10000.0, rate="0.12", term=12, start="2024-01-15")
    with pytest.raises(TypeError):
        rk.run_json({"principal": 0.1})


def test_plan():
    p = rk.plan(**LOAN, as_of="2024-06-20", paid_through=3, waive_penalty="100%", down_payment="500",
                defer_months=2, installments=6, plan_rate="6%")
    assert p.is_plan and p.id == "plan"
    assert [r.kind for r in p] == ["down"] + ["installment"] * 6
    assert p[0].period == 0 and p[0].payment == Decimal("500.00")
    assert p.summary.waived_penalty == Decimal("16.67")
    assert p.summary.total_payable == sum(r.payment for r in p)
    assert p[-1].balance == 0
    # compute() picks the plan path from as_of.
    assert rk.compute(**LOAN, as_of="2024-06-20", paid_through=3).is_plan
    # a payoff quote with nothing left is an empty plan
    q = rk.plan(as_of="2024-06-20", principal="0")
    assert len(q) == 0 and q.summary.last_due is None and q.summary.payments == 0


def test_errors_name_the_field():
    with pytest.raises(rk.RepayKernelError) as e:
        rk.schedule(principal="-3.20", rate="0.12", term=12, start="2024-01-15")
    assert e.value.field == "principal" and e.value.status == rk.RK_INVALID and e.value.name == "RK_INVALID"
    assert "principal" in str(e.value) and "negative" in e.value.message
    with pytest.raises(rk.RepayKernelError) as e:
        rk.schedule(principle="10000", rate="0.12", term=12, start="2024-01-15")
    assert e.value.field == "principle" and "did you mean 'principal'" in e.value.message
    with pytest.raises(rk.RepayKernelError) as e:
        rk.schedule(**{**LOAN, "term": 1201})
    assert e.value.status == rk.RK_RANGE and e.value.field == "term"
    with pytest.raises(rk.RepayKernelError) as e:
        rk.schedule(**LOAN, as_of="2024-06-20")
    assert e.value.field == "as_of"
    with pytest.raises(rk.RepayKernelError) as e:
        rk.plan(**LOAN)
    assert e.value.field == "as_of" and "required" in e.value.message
    with pytest.raises(rk.RepayKernelError) as e:
        rk.schedule(**{**LOAN, "start": "2025-02-30"})
    assert e.value.field == "start"
    with pytest.raises(rk.RepayKernelError) as e:
        rk.schedule(**{**LOAN, "principal": "\udcff"})  # not valid UTF-8 once encoded
    assert e.value.field == "principal" and e.value.status == rk.RK_INVALID
    with pytest.raises(rk.RepayKernelError) as e:
        rk.schedule(**{**LOAN, "rate": "NaN"})
    assert e.value.field == "rate"


def test_huge_principal_is_exact():
    big = rk.schedule(**{**LOAN, "principal": "1" + "0" * 40})
    # The Decimals are exact; arithmetic on them needs a context with enough digits (the default has 28).
    assert big[0].principal == Decimal("788487886783417073399878312278865289804.49")
    with decimal.localcontext() as ctx:
        ctx.prec = 100
        assert sum(r.principal for r in big) == Decimal(10) ** 40
    assert big.summary.total_payable == Decimal("10661854641401004880798539747346383477653.84")


def test_run_json_matches_schedule():
    loan = rk.schedule(**LOAN)
    doc = rk.run_json({"principal": Decimal("10000"), "rate": "12%", "term": 12, "start": "2024-01-15"})
    assert doc["status"] == "ok" and doc["plan"] is False and doc["id"] == "loan"
    assert [Decimal(r["payment"]) for r in doc["rows"]] == [r.payment for r in loan]
    assert doc["summary"]["total_payable"] == "10661.86" and doc["summary"]["payments"] == 12
    # a JSON number is taken as its literal text
    doc = rk.run_json('{"principal": 10000.50, "rate": 0.12, "term": 12, "start": "2024-01-15"}')
    assert doc["rows"][0]["interest"] == "100.01"
    many = rk.run_json([{"principal": "1", "rate": "0", "term": 1, "start": "2024-01-15", "id": "a"},
                        {"principal": "-1", "rate": "0", "term": 1, "start": "2024-01-15", "id": "b"}])
    assert [m["status"] for m in many] == ["ok", "error"]
    assert many[1]["error"]["field"] == "principal" and many[1]["error"]["name"] == "RK_INVALID"
    with pytest.raises(rk.RepayKernelError) as e:
        rk.run_json('{"principal": ')
    assert e.value.status == rk.RK_FORMAT


def test_run_csv_unusable():
    with pytest.raises(rk.RepayKernelError) as e:
        rk.run_csv("id,principle\nx,1\n")
    assert e.value.status == rk.RK_FORMAT and "principle" in e.value.message
    with pytest.raises(rk.RepayKernelError):
        rk.run_csv(b"")
    with pytest.raises(rk.RepayKernelError):
        rk.run_csv('id,principal\n"x,1\n')


def test_threads_give_the_same_answers():
    terms = [dict(LOAN, term=t, principal=str(1000 * t)) for t in range(1, 61)]
    serial = [rk.schedule(**t).summary for t in terms]
    with ThreadPoolExecutor(max_workers=4) as pool:
        for _ in range(3):
            assert list(pool.map(lambda t: rk.schedule(**t).summary, terms)) == serial


def test_version():
    """rk_version(), rk_version_number(), the installed package's version and `repay --version` agree."""
    assert re.fullmatch(r"\d+\.\d+\.\d+", rk.version())
    major, minor, patch = (int(p) for p in rk.version().split("."))
    assert rk._lib.rk_version_number() == major * 1000000 + minor * 1000 + patch
    try:
        assert importlib.metadata.version("repaykernel") == rk.version(), "bindings/python/pyproject.toml's version"
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("the package is not installed (imported from the source tree)")
    repay = Path(rk.library_path).resolve().parent / "repay"
    if repay.exists():
        assert subprocess.run([repay, "--version"], capture_output=True, text=True).stdout == rk.version() + "\n"
