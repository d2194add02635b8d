"""A plan's debt breakdown (rk_result_debt) and the per-handle error code (rk_request_errcode)."""

import ctypes
from decimal import Decimal

import pytest

import repaykernel as rk

LOAN = dict(principal="10000", rate="12%", term=12, start="2024-01-15")
COMPONENTS = ["principal", "overdue_principal", "overdue_interest", "accrued_interest", "penalty", "fees", "total"]


def components(d):
    return [getattr(d, name) for name in COMPONENTS]


def test_plan_debt_before_waived_after():
    p = rk.plan(**LOAN, as_of="2024-06-20", paid_through=3, waive_penalty="100%", waive_interest="150.00",
                installments=6)
    assert components(p.debt.before) == [Decimal(x) for x in
                                         ["5977.91", "1632.89", "144.09", "9.96", "16.67", "0.00", "7781.52"]]
    # 150.00 of interest: all 144.09 overdue, then 5.91 of the accrued
    assert components(p.debt.waived) == [Decimal(x) for x in
                                         ["0.00", "0.00", "144.09", "5.91", "16.67", "0.00", "166.67"]]
    assert components(p.debt.after) == [Decimal(x) for x in
                                        ["5977.91", "1632.89", "0.00", "4.05", "0.00", "0.00", "7614.85"]]
    assert p.debt.waived.penalty == p.summary.waived_penalty
    assert p.debt.waived.overdue_interest + p.debt.waived.accrued_interest == p.summary.waived_interest
    # the amount financed is what is left after the waivers
    assert p.summary.total_payable - p.summary.total_interest == p.debt.after.total


@pytest.mark.parametrize("waivers", [
    {}, {"waive_interest": "50%"}, {"waive_penalty": "10.00", "waive_fees": "100%", "fees": "35.20"},
    {"waive_interest": "100%", "waive_penalty": "100%", "capitalize": "all", "down_payment": "100"},
])
def test_debt_identities(waivers):
    p = rk.plan(**LOAN, as_of="2024-09-03", paid_through=4, installments=12, plan_rate="6%", **waivers)
    for name in COMPONENTS:
        assert getattr(p.debt.before, name) == getattr(p.debt.waived, name) + getattr(p.debt.after, name), name
    for d in (p.debt.before, p.debt.waived, p.debt.after):
        assert d.total == sum(components(d)[:-1])
    assert p.debt.waived.principal == 0 and p.debt.waived.overdue_principal == 0
    # the JSON entry point carries the same breakdown, as text
    doc = rk.run_json({**LOAN, "as_of": "2024-09-03", "paid_through": 4, "installments": 12, "plan_rate": "6%",
                       **waivers})
    for stage in ("before", "waived", "after"):
        assert doc["debt"][stage] == {name: str(getattr(getattr(p.debt, stage), name)) for name in COMPONENTS}


def test_loan_has_no_debt():
    loan = rk.schedule(**LOAN)
    assert loan.debt is None
    assert "debt" not in rk.run_json(LOAN)


def test_debt_getters_int64_and_misuse(raw_result):
    res = raw_result(**LOAN, as_of="2024-06-20", paid_through=3, waive_penalty="100%")
    loan = raw_result(**LOAN)
    out = ctypes.c_int64(-1)
    assert rk._lib.rk_result_debt_int64(res, 3, 17, ctypes.byref(out)) == rk.RK_OK and out.value == 776485
    assert rk._lib.rk_result_debt_int64(res, 2, 15, ctypes.byref(out)) == rk.RK_OK and out.value == 1667
    assert rk._lib.rk_result_debt(res, 0, 17) is None and rk._lib.rk_result_debt(res, 1, 18) is None
    assert rk._lib.rk_result_debt(res, 17, 1) is None                         # selectors swapped
    assert rk._lib.rk_result_debt_int64(res, 1, 11, None) == rk.RK_MISUSE
    assert rk._lib.rk_result_debt(loan, 1, 17) is None                        # a loan has no debt
    assert rk._lib.rk_result_debt_int64(loan, 1, 17, ctypes.byref(out)) == rk.RK_MISUSE and out.value == 0
    assert rk._lib.rk_result_debt(None, 1, 17) is None


def test_request_errcode():
    req = ctypes.c_void_p()
    assert rk._lib.rk_request_new(ctypes.byref(req)) == rk.RK_OK
    try:
        assert rk._lib.rk_request_errcode(req) == rk.RK_OK
        assert rk._lib.rk_request_set(req, b"principle", b"1") == rk.RK_INVALID
        assert rk._lib.rk_request_errcode(req) == rk.RK_INVALID
        for k, v in [(b"principal", b"10000"), (b"rate", b"12%"), (b"term", b"1201"), (b"start", b"2024-01-15")]:
            assert rk._lib.rk_request_set(req, k, v) == rk.RK_OK
        assert rk._lib.rk_request_errcode(req) == rk.RK_OK
        res = ctypes.c_void_p()
        assert rk._lib.rk_compute(req, ctypes.byref(res)) == rk.RK_RANGE and not res.value
        assert rk._lib.rk_request_errcode(req) == rk.RK_RANGE
    finally:
        rk._lib.rk_request_free(req)
    assert rk._lib.rk_request_errcode(None) == rk.RK_MISUSE
