"""Payments (SPEC §9) through the C API: ledger(), plan(payments=...), schedule(prepayments=...),
the ledger getters, days past due, and the JSON payments array."""

import ctypes
import datetime
import random
from decimal import ROUND_HALF_UP, Decimal, localcontext

import pytest

import repaykernel as rk

EXCEL = dict(principal="10000", rate="8%", term=10, start="2024-03-15")
LATE = [("2024-04-15", Decimal("518.52")), ("2024-04-20", Decimal("519.37"))]


def cents(x: Decimal) -> Decimal:
    return x.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def test_worked_example_by_hand():
    """SPEC §9.2 by hand: 10,000.00 at 8% over 10 months from 2024-03-15; installment 1 (due 04-15) paid
    518.52 on time and 519.37 five days late; the position on 2024-04-25."""
    P, rate, n = Decimal("10000"), Decimal("0.08"), 10
    with localcontext() as exact:
        exact.prec = 50
        i = rate / 12
        A = cents(P * i / (1 - (1 + i) ** -n))                      # §3 annuity: 1037.03
    interest1 = cents(P * rate / 12)                                 # one whole month: 66.67
    principal1 = A - interest1                                       # 970.36
    unpaid = principal1 - (Decimal("518.52") - interest1)            # the first payment: interest, then principal
    penalty = cents(unpaid * rate * Decimal("1.5") * 5 / 360)        # §4 penalty rate, 04-15 -> 04-20
    balance = P - principal1                                         # principal not yet due
    accrued = cents(balance * rate * 10 / 360)                       # 04-15 -> 04-25: 10 leftover days
    assert (A, interest1, unpaid, penalty, accrued) == (Decimal("1037.03"), Decimal("66.67"), Decimal("518.51"),
                                                        Decimal("0.86"), Decimal("20.07"))
    # the second payment pays the 0.86 penalty first, then the 518.51 principal: nothing left, nothing over
    assert Decimal("519.37") == penalty + unpaid

    book = rk.ledger(**EXCEL, as_of="2024-04-25", payments=LATE)
    assert [e.kind for e in book] == ["due", "payment", "penalty", "payment", "as_of"]
    due, first, pen, second, as_of = book.events
    assert (due.date, due.installment, due.amount, due.interest, due.principal) == \
        (datetime.date(2024, 4, 15), 1, A, interest1, principal1)
    assert (first.interest, first.principal, first.overdue) == (interest1, Decimal("518.52") - interest1, unpaid)
    assert (pen.date, pen.installment, pen.amount, pen.penalty, pen.days_past_due) == \
        (datetime.date(2024, 4, 20), 1, penalty, penalty, 5)
    assert (second.penalty, second.interest, second.principal, second.overdue, second.credit) == \
        (penalty, Decimal("0.00"), unpaid, Decimal("0.00"), Decimal("0.00"))
    assert (as_of.date, as_of.balance, as_of.overdue, as_of.days_past_due) == \
        (datetime.date(2024, 4, 25), balance, Decimal("0.00"), 0)
    assert book.days_past_due == 0 and book.credit == Decimal("0.00")
    assert book.arrears == rk.DebtComponents(principal=balance, overdue_principal=Decimal("0.00"),
                                             overdue_interest=Decimal("0.00"), accrued_interest=accrued,
                                             penalty=Decimal("0.00"), fees=Decimal("0.00"), total=balance + accrued)
    assert book.debt.before == book.arrears and book.plan.summary.total_payable == balance + accrued
    # every amount is a Decimal, every date a datetime.date
    assert all(isinstance(e.date, datetime.date) and isinstance(e.amount, Decimal) for e in book)


def test_grace_days_and_allocation():
    # 5 grace days: the late half was paid within grace, no penalty; the 0.86 stays as credit.
    graced = rk.ledger(**EXCEL, as_of="2024-04-25", payments=LATE, grace_days=5)
    assert "penalty" not in [e.kind for e in graced] and graced.credit == Decimal("0.86")
    # the credit enters the plan as part of its down payment
    assert graced.plan.summary.total_payable == graced.arrears.total
    # Nothing paid until 06-20: installment order pays installment 1 in full (41 days past due from 05-15),
    # component order spreads the payment (71 days from 04-15).
    history = [("2024-06-20", "1100")]
    by_installment = rk.ledger(**EXCEL, as_of="2024-06-25", payments=history)
    by_component = rk.ledger(**EXCEL, as_of="2024-06-25", payments=history, allocation="component")
    assert (by_installment.days_past_due, by_component.days_past_due) == (41, 71)
    pay = [e for e in by_component if e.kind == "payment"][0]
    assert pay.interest == Decimal("180.56") and pay.penalty + pay.interest + pay.principal == Decimal("1100")


def test_items_in_every_form_give_the_same_ledger():
    forms = [
        LATE,
        "2024-04-15 518.52; 2024-04-20 519.37",
        ["2024-04-15 518.52", "2024-04-20 519.37"],
        [{"date": datetime.date(2024, 4, 15), "amount": Decimal("518.52")},
         {"date": "2024-04-20", "amount": "519.37", "prepay": False}],
        [(datetime.date(2024, 4, 15), "518.52", None), ["2024-04-20", Decimal("519.37")]],
    ]
    ledgers = [rk.ledger(**EXCEL, as_of="2024-04-25", payments=f).events for f in forms]
    assert all(ledger == ledgers[0] for ledger in ledgers)
    # plan(payments=...) carries the same ledger and days past due
    p = rk.plan(**EXCEL, as_of="2024-04-25", payments=LATE, installments=3)
    assert p.ledger == ledgers[0] and p.days_past_due == 0
    # a prepayment item: pays what is due, then interest accrued and principal
    pre = rk.ledger(**EXCEL, as_of="2024-06-15", payments=[("2024-04-15", "1037.03"), ("2024-05-15", "1037.03"),
                                                           ("2024-06-01", 3000, "prepay")])
    event = [e for e in pre if e.kind == "prepayment"][0]
    assert event.amount == Decimal("3000.00") and event.interest + event.principal == Decimal("3000.00")


def test_json_payments_array_and_ledger():
    doc = rk.run_json({**EXCEL, "as_of": "2024-04-25", "payments": LATE})
    book = rk.ledger(**EXCEL, as_of="2024-04-25", payments=LATE)
    assert doc["days_past_due"] == 0
    assert doc["ledger"] == [{"date": e.date.isoformat(), "kind": e.kind, "installment": e.installment,
                              "amount": str(e.amount), "penalty": str(e.penalty), "interest": str(e.interest),
                              "principal": str(e.principal), "credit": str(e.credit), "overdue": str(e.overdue),
                              "balance": str(e.balance), "days_past_due": e.days_past_due} for e in book]
    # a JSON number with a fraction is refused (it may come from a binary float)
    out = rk.run_json('{"principal": "10000", "rate": "8%", "term": 10, "start": "2024-03-15", '
                      '"as_of": "2024-04-25", "payments": [{"date": "2024-04-15", "amount": 518.52}]}')
    assert out["status"] == "error" and out["error"]["field"] == "payments"
    assert out["error"]["message"].startswith("payments: item 1: amount 518.52 is a JSON number with a fraction")
    # paid_through: days past due, no ledger; direct arrears: null; a loan: neither
    assert rk.run_json({**EXCEL, "as_of": "2024-06-20", "paid_through": 1})["days_past_due"] == 36
    direct = rk.run_json({"as_of": "2024-06-20", "overdue_principal": "100"})
    assert direct["days_past_due"] is None and "ledger" not in direct
    assert "days_past_due" not in rk.run_json(EXCEL)


def test_days_past_due_by_source():
    assert rk.plan(**EXCEL, as_of="2024-06-20", paid_through=1).days_past_due == 36
    assert rk.plan(**EXCEL, as_of="2024-06-20", paid_through=1).ledger == []
    assert rk.plan(as_of="2024-06-20", overdue_principal="100").days_past_due is None
    assert rk.schedule(**EXCEL).days_past_due is None and rk.schedule(**EXCEL).ledger == []


def test_schedule_with_prepayments():
    a = rk.schedule(**EXCEL, prepayments=[("2024-06-01", Decimal("3000"))], prepayment="reduce-term")
    b = rk.schedule(**EXCEL, payments="2024-06-01 3000 prepay", prepayment="reduce-term")
    c = rk.schedule(**EXCEL, prepayments="2024-06-01 3000", prepayment="reduce-term")
    assert list(a) == list(b) == list(c)
    assert [r.kind for r in a].count("prepay") == 1 and a[2].kind == "prepay" and a[2].payment == Decimal("3000.00")
    assert len(a) < len(rk.schedule(**EXCEL)) + 1           # reduce-term ends early
    assert a.summary.total_interest < rk.schedule(**EXCEL).summary.total_interest
    with pytest.raises(TypeError):
        rk.schedule(**EXCEL, prepayments=[("2024-06-01", "3000")], payments="2024-06-01 3000 prepay")
    with pytest.raises(rk.RepayKernelError) as e:            # a loan takes only prepay items
        rk.schedule(**EXCEL, payments=[("2024-06-01", "3000")])
    assert e.value.field == "payments" and e.value.message.startswith("payments: item 1: ")


@pytest.mark.parametrize("payments,item", [
    ([("2024-04-15", "518.52"), ("2024-13-01", "5")], 2),
    ([("2024-04-15", "518.52"), ("2024-04-10", "5")], 2),           # dates go backwards
    ([("2024-04-15", "0")], 1),
    ([("2024-04-15", "-5")], 1),
    ([("2024-04-15", "5.123")], 1),
    (["2024-04-15 5", "2024-04-16 5 prepaid"], 2),
    (["2024-04-15 5", "2024-04-16"], 2),
    (["2024-04-15 5", "2024-04-16 5; 2024-04-17 5"], 2),
    (["2024-04-15 5", ""], 2),
    ([("2024-04-15", "5"), ("2024-04-26", "5")], 2),                 # after as_of
    ([("2024-03-01", "5")], 1),                                      # before the start
    ([("2024-04-15 5", "prepay")], 1),                               # a date with a space
    ([("2024-04-15", "5", "later")], 1),
    ([{"date": "2024-04-15", "amount": "5", "note": "x"}], 1),
])
def test_bad_items_are_named(payments, item):
    with pytest.raises(rk.RepayKernelError) as e:
        rk.ledger(**EXCEL, as_of="2024-04-25", payments=payments)
    assert e.value.status == rk.RK_INVALID and e.value.field == "payments"
    assert e.value.message.startswith(f"payments: item {item}: "), e.value.message


@pytest.mark.parametrize("payments", [
    [("2024-04-15", 518.52)], [("2024-04-15", 5.0, "prepay")], [{"date": "2024-04-15", "amount": 1.5}],
    [(20240415.0, "5")],
])
def test_float_amounts_are_refused(payments):
    with pytest.raises(TypeError):
        rk.ledger(**EXCEL, as_of="2024-04-25", payments=payments)
    with pytest.raises(TypeError):
        rk.plan(**EXCEL, as_of="2024-04-25", payments=payments)


def test_ledger_needs_payments():
    for missing in (None, [], ""):
        with pytest.raises(rk.RepayKernelError) as e:
            rk.ledger(**EXCEL, as_of="2024-04-25", payments=missing)
        assert e.value.field == "payments"
    with pytest.raises(rk.RepayKernelError) as e:           # payments with paid_through
        rk.ledger(**EXCEL, as_of="2024-04-25", payments=LATE, paid_through=1)
    assert e.value.field == "payments"


def _day(d: datetime.date, months: int) -> datetime.date:
    """addMonths of SPEC §1 (day of month kept, clamped to the month's end)."""
    y, m = divmod(d.month - 1 + months, 12)
    y, m = d.year + y, m + 1
    last = (datetime.date(y + (m == 12), m % 12 + 1, 1) - datetime.timedelta(days=1)).day
    return datetime.date(y, m, min(d.day, last))


def test_on_time_payments_equal_paid_through():
    """SPEC §9.2: replaying on-time payments of installments 1..p gives exactly the arrears of paid_through = p,
    and so the same plan, over a few hundred random loans through the C API."""
    rng = random.Random(9092)
    compared = 0
    for _ in range(400):
        method = rng.choice(["annuity", "annuity", "equal-principal", "interest-only", "bullet"])
        start = datetime.date(2020, 1, 1) + datetime.timedelta(days=rng.randrange(2000))
        if rng.random() < 0.2:
            start = _day(start.replace(day=28), 0) + datetime.timedelta(days=3)  # around month ends
        loan = dict(principal=str(Decimal(rng.randrange(100, 10_000_000)) / 100), term=rng.randint(1, 48),
                    rate=f"{rng.randrange(0, 3000) / 100}%", method=method, start=start,
                    basis=rng.choice(["monthly", "act/360", "act/365", "30/360"]))
        rows = rk.schedule(**loan)
        as_of = start + datetime.timedelta(days=rng.randrange((rows[-1].due_date - start).days + 90))
        payable = sum(1 for r in rows if r.due_date <= as_of)
        p = rng.randint(0, payable)
        history = [(r.due_date, r.payment) for r in rows[:p] if r.payment != 0]
        if not history:
            continue  # no payments at all: that is a plan from direct arrears, not a history
        settings = dict(markup=rng.choice([None, "0%", "50%", "120%"]), compound=rng.random() < 0.4,
                        installments=rng.randint(1, 12), plan_rate=f"{rng.randrange(0, 13)}%")
        replayed = rk.plan(**loan, as_of=as_of, payments=history, **settings)
        derived = rk.plan(**loan, as_of=as_of, paid_through=p, **settings)
        assert replayed.debt == derived.debt, (loan, as_of, p)
        assert replayed.days_past_due == derived.days_past_due, (loan, as_of, p)
        assert list(replayed) == list(derived) and replayed.summary == derived.summary
        # the ledger ends with the position the arrears report
        last = replayed.ledger[-1]
        assert last.kind == "as_of" and last.date == as_of and last.days_past_due == derived.days_past_due
        assert (last.balance, last.principal, last.interest, last.penalty) == \
            (derived.debt.before.principal, derived.debt.before.overdue_principal,
             derived.debt.before.overdue_interest, derived.debt.before.penalty)
        assert [e.kind for e in replayed.ledger].count("payment") == len(history)
        compared += 1
    assert compared > 250


def test_ledger_getters_int64_and_misuse(raw_result):
    plan = raw_result(**EXCEL, as_of="2024-04-25", payments="2024-04-15 518.52; 2024-04-20 519.37")
    direct = raw_result(as_of="2024-06-20", overdue_principal="100")
    loan = raw_result(**EXCEL)
    out = ctypes.c_int64(-1)
    assert rk._lib.rk_result_ledger_count(plan) == 5
    assert rk._lib.rk_ledger_amount_int64(plan, 2, 202, ctypes.byref(out)) == rk.RK_OK and out.value == 86
    assert rk._lib.rk_ledger_amount_int64(plan, 5, 202, ctypes.byref(out)) == rk.RK_MISUSE and out.value == 0
    assert rk._lib.rk_ledger_amount_int64(plan, 0, 1, ctypes.byref(out)) == rk.RK_MISUSE   # a row selector
    assert rk._lib.rk_ledger_amount_int64(plan, 0, 201, None) == rk.RK_MISUSE
    assert rk._lib.rk_ledger_amount(plan, 0, 208) is None and rk._lib.rk_ledger_date(plan, 5) is None
    assert rk._lib.rk_ledger_installment(plan, 1) == 0 and rk._lib.rk_ledger_installment(plan, 5) == -1
    assert rk._lib.rk_ledger_days_past_due(plan, 2) == 5 and rk._lib.rk_ledger_days_past_due(None, 0) == -1
    assert rk._lib.rk_result_days_past_due(plan, ctypes.byref(out)) == rk.RK_OK and out.value == 0
    out.value = 7
    assert rk._lib.rk_result_days_past_due(direct, ctypes.byref(out)) == rk.RK_NODATA and out.value == 0
    assert rk._lib.rk_result_days_past_due(loan, ctypes.byref(out)) == rk.RK_MISUSE
    assert rk._lib.rk_result_days_past_due(plan, None) == rk.RK_MISUSE
    assert rk._lib.rk_result_ledger_count(direct) == 0 and rk._lib.rk_result_ledger_count(loan) == 0
    assert rk._lib.rk_result_ledger_count(None) == 0
    assert ctypes.string_at(rk._lib.rk_errstr(rk.RK_NODATA)).startswith(b"RK_NODATA")
