"""The Python example of README.md, verbatim (Tests/readme.sh checks it is here)."""
from decimal import Decimal


def test_readme_python_example():
    from repaykernel import schedule, plan, RepayKernelError

    loan = schedule(principal="10000", rate="8%", term=10, start="2024-01-01")
    assert loan[0].payment == Decimal("1037.03")
    assert loan.summary.total_interest == Decimal("370.34")

    arrears = plan(principal="50000", rate="12%", term=24, start="2024-01-10",
                   paid_through=3, as_of="2024-05-25", waive_penalty="100%",
                   defer_months=3, installments=24)
    assert arrears.summary.waived_penalty == Decimal("14.32")
    assert str(arrears[0].due_date) == "2024-09-25"

    try:
        schedule(principal="100.005", rate="8%", term=10, start="2024-01-01")
    except RepayKernelError as e:
        assert e.field == "principal"
