"""Python binding of RepaymentKernel's C API (librepaykernel.so), with ctypes only.

Exact repayment schedules and negotiated plans; every amount is a
``decimal.Decimal`` (no binary float anywhere)::

    from decimal import Decimal
    import repaykernel as rk

    loan = rk.schedule(principal="10000", rate="12%", term=12, start="2024-01-15")
    for row in loan:
        print(row.period, row.due_date, row.payment)   # 1 2024-02-15 888.49
    print(loan.summary.total_payable)                   # 10661.86

    quote = rk.plan(principal="10000", rate="12%", term=12, start="2024-01-15",
                    as_of="2024-06-20", paid_through=3, waive_penalty="100%",
                    installments=6)
    quote.debt.before.penalty       # Decimal('16.67'): owed on as_of
    quote.debt.waived.penalty       # Decimal('16.67')
    quote.debt.after.total          # Decimal('7764.85'): what the plan repays
    quote.summary.apr               # Decimal('0.000000')

    try:
        rk.schedule(principal="-3.20", rate="12%", term=12, start="2024-01-15")
    except rk.RepayKernelError as e:
        print(e.field, e.message)   # principal  principal: must not be negative: '-3.20'

    # What was actually paid (SPEC §9.2): the arrears replayed from the payments, and the ledger.
    book = rk.ledger(principal="10000", rate="8%", term=10, start="2024-03-15", as_of="2024-04-25",
                     payments=[("2024-04-15", Decimal("518.52")), ("2024-04-20", Decimal("519.37"))])
    book.events[2]                  # LedgerEvent(date(2024, 4, 20), 'penalty', installment=1, amount=Decimal('0.86'), ...)
    book.days_past_due              # 0
    book.arrears.accrued_interest   # Decimal('20.07')

Keyword arguments are the columns of the batch CSV contract (SPEC §7); values
may be ``str`` (the cell text), ``int``, ``Decimal``, ``bool``,
``datetime.date`` or ``None`` (the default). A ``float`` is refused, and so
is a NUL character in a key or value (ValueError: a C string would end there).
``RepayKernelError`` pickles, so it crosses process pools.
``payments`` may also be a list of items: ``(date, amount)``, ``(date,
amount, "prepay")``, ``{"date": ..., "amount": ..., "prepay": True}`` or
``"DATE AMOUNT [prepay]"`` strings.

The library is looked up when the package is imported, in this order (the
first that applies wins; ``library_path`` says which was loaded):

1. ``$REPAYKERNEL_LIB``, the path of ``librepaykernel.so`` (when set, it
   must exist: no fallback);
2. ``librepaykernel.so`` next to this file, inside the ``repaykernel``
   package directory (a copy shipped with the package);
3. ``.build/release/librepaykernel.so`` of the RepaymentKernel checkout the
   package is imported from (``bindings/python`` on ``sys.path``), then of
   the checkout it was pip-installed from (pip records that directory);
4. the system library path (``ctypes.util.find_library``, i.e. ldconfig).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import datetime
import decimal
import json as _json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Optional, Sequence, Union, overload

__all__ = [
    "RepayKernelError", "Row", "Summary", "DebtComponents", "Debt", "LedgerEvent", "Result", "Ledger",
    "BatchOutput", "schedule", "plan", "compute", "ledger", "run_csv", "run_json", "version", "library_path",
    "LIBRARY_NAME", "RK_OK", "RK_ERROR", "RK_INVALID", "RK_RANGE", "RK_FORMAT", "RK_MISUSE", "RK_NOMEM",
    "RK_PARTIAL", "RK_NODATA",
]

# Status codes (pinned in repaykernel.h).
RK_OK, RK_ERROR, RK_INVALID, RK_RANGE, RK_FORMAT, RK_MISUSE, RK_NOMEM, RK_PARTIAL, RK_NODATA = range(9)
_STATUS_NAMES = {0: "RK_OK", 1: "RK_ERROR", 2: "RK_INVALID", 3: "RK_RANGE", 4: "RK_FORMAT",
                 5: "RK_MISUSE", 6: "RK_NOMEM", 7: "RK_PARTIAL", 8: "RK_NODATA"}

# Selectors (repaykernel.h).
_ROW_COLUMNS = {"payment": 1, "principal": 2, "interest": 3, "carried": 4, "balance": 5}
_SUMMARY_FIELDS = {"total_payable": 101, "total_interest": 102, "waived_penalty": 103, "waived_interest": 104,
                   "waived_fees": 105, "last_due": 106, "apr": 107, "effective_apr": 108}
_DEBT_STAGES = {"before": 1, "waived": 2, "after": 3}
_DEBT_COMPONENTS = {"principal": 11, "overdue_principal": 12, "overdue_interest": 13, "accrued_interest": 14,
                    "penalty": 15, "fees": 16, "total": 17}
_LEDGER_COLUMNS = {"amount": 201, "penalty": 202, "interest": 203, "principal": 204, "credit": 205, "overdue": 206,
                   "balance": 207}


LIBRARY_NAME = "librepaykernel.so"


def _checkouts() -> list[Path]:
    """RepaymentKernel checkouts this package comes from, nearest first: the one
    it is imported from (``<checkout>/bindings/python/repaykernel/``), then the
    one pip installed it from (``direct_url.json`` names ``<checkout>/bindings/python``)."""
    here = Path(__file__).resolve()
    found = [here.parents[3]] if len(here.parents) > 3 else []
    try:
        from importlib.metadata import PackageNotFoundError, distribution
        from urllib.parse import unquote, urlparse
        try:
            recorded = distribution("repaykernel").read_text("direct_url.json")
        except PackageNotFoundError:
            recorded = None
        url = _json.loads(recorded).get("url", "") if recorded else ""
        if url.startswith("file://"):
            found.append(Path(unquote(urlparse(url).path)).resolve().parents[1])
    except (ImportError, OSError, ValueError, IndexError):
        pass  # no usable record: the installed copy says nothing about a checkout
    return [c for c in found if (c / "Package.swift").is_file() and (c / "bindings" / "python").is_dir()]


def _find_library() -> str:
    """The path of librepaykernel.so, looked up in the order of the module's docstring."""
    env = os.environ.get("REPAYKERNEL_LIB")
    if env:
        path = Path(env).expanduser()
        if not path.is_file():
            raise OSError(f"REPAYKERNEL_LIB={env}: no such file; set it to the path of {LIBRARY_NAME} "
                          f"(built by `swift build -c release` in .build/release/), or unset it")
        return str(path.resolve())
    tried = []
    beside = Path(__file__).resolve().parent / LIBRARY_NAME
    if beside.is_file():
        return str(beside)
    tried.append(str(beside))
    for checkout in _checkouts():
        built = checkout / ".build" / "release" / LIBRARY_NAME
        if built.is_file():
            return str(built)
        tried.append(f"{built} (run `swift build -c release` in {checkout})")
    found = ctypes.util.find_library("repaykernel")
    if found:
        return found
    tried.append("the system library path")
    raise OSError(f"{LIBRARY_NAME} not found; looked in: " + "; ".join(tried) +
                  f". Set REPAYKERNEL_LIB to the path of {LIBRARY_NAME}, e.g. "
                  f"export REPAYKERNEL_LIB=/path/to/RepaymentKernel/.build/release/{LIBRARY_NAME}")


library_path = _find_library()
_lib = ctypes.CDLL(library_path)

_vp = ctypes.c_void_p           # handles and returned strings: c_void_p, never c_char_p (see TOOLCHAIN.md)
_vpp = ctypes.POINTER(ctypes.c_void_p)
_sz = ctypes.c_size_t
_szp = ctypes.POINTER(ctypes.c_size_t)
_i64p = ctypes.POINTER(ctypes.c_int64)
_int = ctypes.c_int


def _declare(name: str, restype, *argtypes) -> None:
    f = getattr(_lib, name)
    f.restype = restype
    f.argtypes = list(argtypes)


_declare("rk_version_number", _int)
_declare("rk_version", _vp)
_declare("rk_errstr", _vp, _int)
_declare("rk_free", None, _vp)
_declare("rk_request_new", _int, _vpp)
_declare("rk_request_free", None, _vp)
_declare("rk_request_set", _int, _vp, ctypes.c_char_p, ctypes.c_char_p)
_declare("rk_request_clear", _int, _vp)
_declare("rk_request_errmsg", _vp, _vp)
_declare("rk_request_errfield", _vp, _vp)
_declare("rk_request_errcode", _int, _vp)
_declare("rk_compute", _int, _vp, _vpp)
_declare("rk_schedule", _int, _vp, _vpp)
_declare("rk_plan", _int, _vp, _vpp)
_declare("rk_result_free", None, _vp)
_declare("rk_result_is_plan", _int, _vp)
_declare("rk_result_id", _vp, _vp)
_declare("rk_result_scale", _int, _vp)
_declare("rk_result_row_count", _sz, _vp)
_declare("rk_row_period", ctypes.c_int64, _vp, _sz)
_declare("rk_row_due_date", _vp, _vp, _sz)
_declare("rk_row_kind", _vp, _vp, _sz)
_declare("rk_row_amount", _vp, _vp, _sz, _int)
_declare("rk_row_amount_int64", _int, _vp, _sz, _int, _i64p)
_declare("rk_result_summary", _vp, _vp, _int)
_declare("rk_result_summary_int64", _int, _vp, _int, _i64p)
_declare("rk_result_debt", _vp, _vp, _int, _int)
_declare("rk_result_debt_int64", _int, _vp, _int, _int, _i64p)
_declare("rk_result_days_past_due", _int, _vp, _i64p)
_declare("rk_result_ledger_count", _sz, _vp)
_declare("rk_ledger_date", _vp, _vp, _sz)
_declare("rk_ledger_kind", _vp, _vp, _sz)
_declare("rk_ledger_installment", ctypes.c_int64, _vp, _sz)
_declare("rk_ledger_days_past_due", ctypes.c_int64, _vp, _sz)
_declare("rk_ledger_amount", _vp, _vp, _sz, _int)
_declare("rk_ledger_amount_int64", _int, _vp, _sz, _int, _i64p)
_declare("rk_run_csv", _int, ctypes.c_char_p, _sz, _vpp, _szp, _vpp, _szp, _vpp)
_declare("rk_run_json", _int, ctypes.c_char_p, _sz, _vpp, _szp)


def _text(ptr: Optional[int]) -> str:
    """A borrowed C string (owned by a handle or static) as str."""
    if not ptr:
        raise RepayKernelError(RK_MISUSE, "", "the library returned NULL")
    return ctypes.string_at(ptr).decode("utf-8", errors="replace")


def _take(ptr: ctypes.c_void_p, length: Optional[int] = None) -> bytes:
    """An owned buffer from a char** parameter: copied, then released with rk_free."""
    if not ptr.value:
        return b""
    try:
        return ctypes.string_at(ptr.value, length) if length is not None else ctypes.string_at(ptr.value)
    finally:
        _lib.rk_free(ptr)


def version() -> str:
    """The library's version, "MAJOR.MINOR.PATCH"."""
    return _text(_lib.rk_version())


class RepayKernelError(Exception):
    """A request the kernel refused: ``status`` (RK_INVALID, RK_RANGE, ...),
    ``name`` ("RK_INVALID"), ``field`` (the key at fault, may be ""), and
    ``message`` ("principal: must not be negative: '-3.20'")."""

    def __init__(self, status: int, field: str, message: str):
        super().__init__(message)
        self.status = status
        self.name = _STATUS_NAMES.get(status, "RK_UNKNOWN")
        self.field = field
        self.message = message

    def __repr__(self) -> str:
        return f"RepayKernelError({self.name}, field={self.field!r}, message={self.message!r})"

    def __reduce__(self):
        # Picklable (multiprocessing, concurrent.futures.ProcessPoolExecutor): rebuilt from its fields.
        return (type(self), (self.status, self.field, self.message))


@dataclass(frozen=True)
class Row:
    """One payment."""
    period: int
    due_date: datetime.date
    kind: str  # installment, down, deferral, lump
    payment: decimal.Decimal
    principal: decimal.Decimal
    interest: decimal.Decimal
    carried: decimal.Decimal
    balance: decimal.Decimal


@dataclass(frozen=True)
class Summary:
    """The batch summary's figures."""
    payments: int
    total_payable: decimal.Decimal
    total_interest: decimal.Decimal
    waived_penalty: decimal.Decimal
    waived_interest: decimal.Decimal
    waived_fees: decimal.Decimal
    last_due: Optional[datetime.date]
    apr: decimal.Decimal
    effective_apr: decimal.Decimal


@dataclass(frozen=True)
class DebtComponents:
    """A debt by component; ``total`` is the sum of the six others."""
    principal: decimal.Decimal          # not yet due
    overdue_principal: decimal.Decimal
    overdue_interest: decimal.Decimal
    accrued_interest: decimal.Decimal
    penalty: decimal.Decimal
    fees: decimal.Decimal
    total: decimal.Decimal


@dataclass(frozen=True)
class Debt:
    """A plan's debt on ``as_of`` (rk_result_debt): ``before`` the waivers, what
    was ``waived`` and what is left ``after`` (what the plan repays), so that
    ``before == waived + after`` component by component. Principal is never
    waived; an interest waiver comes off overdue interest first, then accrued."""
    before: DebtComponents
    waived: DebtComponents
    after: DebtComponents


@dataclass(frozen=True)
class LedgerEvent:
    """One event of a payment replay (SPEC §9.2), and where things stood after it.

    ``kind``: ``due`` (an installment falls due: ``amount`` its payment,
    ``interest`` and ``principal`` what it owes), ``penalty`` (penalty on an
    installment becomes owed), ``credit`` (credit settles what fell due),
    ``payment``, ``prepayment`` (``amount`` received, split into ``penalty``,
    ``interest``, ``principal`` paid; the rest becomes credit), ``as_of`` (the
    position at as_of: ``penalty``, ``interest``, ``principal`` overdue).
    ``installment`` is the period for ``due`` and ``penalty``, else None;
    ``credit``, ``overdue`` (penalty + interest + principal due and unpaid),
    ``balance`` (principal not yet due) and ``days_past_due`` are after the event."""
    date: datetime.date
    kind: str
    installment: Optional[int]
    amount: decimal.Decimal
    penalty: decimal.Decimal
    interest: decimal.Decimal
    principal: decimal.Decimal
    credit: decimal.Decimal
    overdue: decimal.Decimal
    balance: decimal.Decimal
    days_past_due: int


class Result(Sequence[Row]):
    """A computed schedule or plan: a sequence of ``Row``, plus ``summary``,
    ``id``, ``is_plan``, ``scale`` and, for a plan, ``debt`` (None for a loan),
    ``days_past_due`` (None for a loan and for arrears given directly) and
    ``ledger`` (the ``LedgerEvent`` list of a plan replayed from its payments;
    empty otherwise)."""

    def __init__(self, id: str, is_plan: bool, scale: int, rows: list[Row], summary: Summary,
                 debt: Optional[Debt] = None, days_past_due: Optional[int] = None,
                 ledger: Optional[list[LedgerEvent]] = None):
        self.id, self.is_plan, self.scale, self.rows, self.summary = id, is_plan, scale, rows, summary
        self.debt = debt
        self.days_past_due = days_past_due
        self.ledger = ledger if ledger is not None else []

    @overload
    def __getitem__(self, i: int) -> Row: ...
    @overload
    def __getitem__(self, i: slice) -> list[Row]: ...
    def __getitem__(self, i):
        return self.rows[i]

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[Row]:
        return iter(self.rows)

    def __repr__(self) -> str:
        kind = "plan" if self.is_plan else "schedule"
        return f"<{kind} {self.id!r}: {len(self.rows)} payments, total {self.summary.total_payable}>"


@dataclass(frozen=True)
class Ledger:
    """What ``ledger()`` returns: a loan's payments replayed to ``as_of``.

    ``events``: the ``LedgerEvent`` list, the last one the position at as_of;
    ``days_past_due`` on as_of; ``arrears``: the debt on as_of by component
    (``DebtComponents``: principal not yet due, overdue principal and interest,
    accrued interest, penalty, fees, total); ``credit``: what was paid ahead,
    left on as_of (a plan takes it as part of its down payment); ``plan``: the
    ``Result`` of the plan computed from these arrears (a payoff quote when no
    plan step is given), with ``plan.debt`` before and after waivers.
    Iterating a Ledger iterates its events."""
    events: list[LedgerEvent]
    days_past_due: int
    arrears: DebtComponents
    credit: decimal.Decimal
    plan: Result

    @property
    def debt(self) -> Debt:
        """The plan's debt before, waived and after (``plan.debt``)."""
        assert self.plan.debt is not None
        return self.plan.debt

    def __iter__(self) -> Iterator[LedgerEvent]:
        return iter(self.events)

    def __len__(self) -> int:
        return len(self.events)


def _payments_cell(items: Any, prepay_all: bool = False) -> Optional[bytes]:
    """Payments as the ``payments`` cell (SPEC §9): a ``str`` as it is (the
    ``;``-separated items), or a list of items, each ``(date, amount)``,
    ``(date, amount, "prepay")`` (or ``True`` as the third element), a dict
    ``{"date", "amount", "prepay"}`` or a ``"DATE AMOUNT [prepay]"`` string.
    ``prepay_all`` marks every item ``prepay`` (``schedule(prepayments=...)``).
    What the text form cannot carry (a ``;`` in an item, a date or amount with
    a space) raises RepayKernelError naming the item, as the C API does."""
    if items is None:
        return None
    if isinstance(items, (str, bytes)):
        if not prepay_all:
            return _cell("payments", items)
        text = items.decode("utf-8", errors="surrogatepass") if isinstance(items, bytes) else items
        items = text.split(";")
        if items and not items[-1].strip():
            items = items[:-1]  # a trailing ';'
    if not isinstance(items, (list, tuple)):
        raise TypeError(f"payments: expected a list of items or a str, not {type(items).__name__}")
    texts = []
    for n, item in enumerate(items, start=1):
        def bad(problem: str) -> RepayKernelError:
            return RepayKernelError(RK_INVALID, "payments", f"payments: item {n}: {problem}")

        def word(value: Any, name: str) -> str:
            if isinstance(value, float):
                raise TypeError(f"payments: item {n}: a float {name} cannot be exact; pass a str or decimal.Decimal")
            if isinstance(value, bool) or not isinstance(value, (str, int, decimal.Decimal, datetime.date)):
                raise TypeError(f"payments: item {n}: unsupported {name} type {type(value).__name__}")
            text = (_cell(name, value) or b"").decode("utf-8", errors="surrogatepass")
            if not text or any(c in text for c in " ;\t\r\n"):
                raise bad(f"{name} {text!r} is not a single word")
            return text

        if isinstance(item, str):
            if ";" in item:
                raise bad(f"{item!r}: contains ';' (give one item per list element)")
            if not item.strip():
                raise bad("empty (expected DATE AMOUNT or DATE AMOUNT prepay)")
            words = item.split()
            texts.append(item + (" prepay" if prepay_all and len(words) == 2 else ""))
            continue
        if isinstance(item, dict):
            unknown = set(item) - {"date", "amount", "prepay"}
            if unknown:
                raise bad(f"unknown key {sorted(unknown)[0]!r} (expected date, amount, prepay)")
            if "date" not in item or "amount" not in item:
                raise bad("expected {'date': ..., 'amount': ...}")
            date, amount, flag = item["date"], item["amount"], item.get("prepay", False)
        elif isinstance(item, (tuple, list)) and len(item) in (2, 3):
            date, amount = item[0], item[1]
            flag = item[2] if len(item) == 3 else False
        else:
            raise TypeError(f"payments: item {n}: expected (date, amount[, 'prepay']), a dict or a str, "
                            f"not {item!r}")
        if flag is None or isinstance(flag, bool):
            prepay = bool(flag)
        elif flag == "prepay":
            prepay = True
        else:
            raise bad(f"unknown flag {flag!r} (expected 'prepay' or a bool)")
        text = f"{word(date, 'date')} {word(amount, 'amount')}"
        texts.append(text + " prepay" if prepay or prepay_all else text)
    return "; ".join(texts).encode("utf-8", errors="surrogatepass")


def _cell(key: str, value: Any) -> Optional[bytes]:
    """A Python value as the cell text of the CSV contract."""
    if key == "payments" and isinstance(value, (list, tuple)):
        return _payments_cell(value)
    if value is None:
        return None
    if isinstance(value, bool):
        return b"true" if value else b"false"
    if isinstance(value, float):
        raise TypeError(f"{key}: a float cannot carry an exact amount; pass a str or decimal.Decimal")
    if isinstance(value, int):
        return str(value).encode()
    if isinstance(value, decimal.Decimal):
        return (format(value, "f") if value.is_finite() else str(value)).encode()
    if isinstance(value, (datetime.date,)):
        return value.isoformat().encode()
    if isinstance(value, str):
        return value.encode("utf-8", errors="surrogatepass")
    if isinstance(value, bytes):
        return value
    raise TypeError(f"{key}: unsupported value type {type(value).__name__}")


def _date(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)


def _read_result(res: int) -> Result:
    n = _lib.rk_result_row_count(res)
    rows = []
    for i in range(n):
        amounts = {name: decimal.Decimal(_text(_lib.rk_row_amount(res, i, col))) for name, col in _ROW_COLUMNS.items()}
        rows.append(Row(period=_lib.rk_row_period(res, i), due_date=_date(_text(_lib.rk_row_due_date(res, i))),
                        kind=_text(_lib.rk_row_kind(res, i)), **amounts))
    s = {name: _text(_lib.rk_result_summary(res, f)) for name, f in _SUMMARY_FIELDS.items()}
    summary = Summary(
        payments=n,
        last_due=_date(s.pop("last_due")) if s["last_due"] else None,
        **{k: decimal.Decimal(v) for k, v in s.items() if k != "last_due"},
    )
    is_plan = bool(_lib.rk_result_is_plan(res))
    debt = None
    if is_plan:
        debt = Debt(**{stage: DebtComponents(**{name: decimal.Decimal(_text(_lib.rk_result_debt(res, s, c)))
                                                for name, c in _DEBT_COMPONENTS.items()})
                       for stage, s in _DEBT_STAGES.items()})
    days = ctypes.c_int64()
    days_past_due = days.value if _lib.rk_result_days_past_due(res, ctypes.byref(days)) == RK_OK else None
    events = []
    for i in range(_lib.rk_result_ledger_count(res)):
        installment = _lib.rk_ledger_installment(res, i)
        events.append(LedgerEvent(
            date=_date(_text(_lib.rk_ledger_date(res, i))), kind=_text(_lib.rk_ledger_kind(res, i)),
            installment=installment if installment > 0 else None,
            days_past_due=_lib.rk_ledger_days_past_due(res, i),
            **{name: decimal.Decimal(_text(_lib.rk_ledger_amount(res, i, col))) for name, col in _LEDGER_COLUMNS.items()}))
    return Result(id=_text(_lib.rk_result_id(res)), is_plan=is_plan, scale=_lib.rk_result_scale(res), rows=rows,
                  summary=summary, debt=debt, days_past_due=days_past_due, ledger=events)


def _compute(entry, terms: dict[str, Any]) -> Result:
    req = ctypes.c_void_p()
    if _lib.rk_request_new(ctypes.byref(req)) != RK_OK:
        raise MemoryError("rk_request_new failed")
    try:
        def fail(status: int) -> RepayKernelError:
            return RepayKernelError(status, _text(_lib.rk_request_errfield(req)), _text(_lib.rk_request_errmsg(req)))

        for key, value in terms.items():
            cell = _cell(key, value)
            name = key.encode("utf-8", errors="surrogatepass")
            # A C string ends at its first NUL: "100\x0000" would reach the kernel as "100".
            if b"\0" in name:
                raise ValueError(f"{key!r}: a key must not contain a NUL character")
            if cell is not None and b"\0" in cell:
                raise ValueError(f"{key}: the value must not contain a NUL character (C strings end at one)")
            status = _lib.rk_request_set(req, name, cell)
            if status != RK_OK:
                raise fail(status)
        res = ctypes.c_void_p()
        status = entry(req, ctypes.byref(res))
        if status != RK_OK:
            raise fail(status)
        try:
            return _read_result(res)
        finally:
            _lib.rk_result_free(res)
    finally:
        _lib.rk_request_free(req)


def schedule(*, prepayments: Any = None, **terms: Any) -> Result:
    """A loan's repayment schedule (SPEC §3). Keys: principal, rate | daily_rate |
    fee_rate, term, method, start, first_due, basis, rounding, scale, id.

    With prepayments (提前还款, SPEC §9.1): ``prepayments=[(date, amount), ...]``
    (every item is a prepayment; ``payments=`` takes the same items marked
    ``"prepay"`` one by one) and ``prepayment="reduce-payment"`` (the default)
    or ``"reduce-term"``; the schedule then has rows of kind ``prepay``.
    Raises RepayKernelError naming the field on bad input."""
    if prepayments is not None:
        if terms.get("payments") is not None:
            raise TypeError("schedule: give prepayments or payments, not both")
        terms["payments"] = _payments_cell(prepayments, prepay_all=True)
    return _compute(_lib.rk_schedule, terms)


def plan(**terms: Any) -> Result:
    """A negotiated repayment plan (SPEC §5) at ``as_of``: the loan keys plus
    paid_through, or the payments actually made (``payments=[(date, amount),
    ...]``, SPEC §9.2, with allocation, grace_days, prepayment), or the arrears
    directly (overdue_principal, ...), and the plan's steps (waive_*,
    capitalize, down_payment, defer_months, installments, ...). A plan from
    payments has ``ledger`` and ``days_past_due``; see also ``ledger()``.
    Raises RepayKernelError naming the field on bad input."""
    return _compute(_lib.rk_plan, terms)


def ledger(**terms: Any) -> Ledger:
    """A loan's payments replayed against its contract up to ``as_of`` (SPEC §9.2).

    Keys as ``plan()``: the loan (principal, rate, term, start, ...), ``as_of``,
    ``payments`` (required: a list of ``(date, amount)`` / ``(date, amount,
    "prepay")`` tuples, dicts or ``"DATE AMOUNT [prepay]"`` strings, or the
    ``;``-separated text), ``allocation`` (``"installment"`` or
    ``"component"``), ``grace_days``, ``prepayment`` (``"reduce-payment"`` or
    ``"reduce-term"``), ``markup``, ``compound``, ``fees``, and optionally plan
    steps. Amounts are ``Decimal``, ``int`` or ``str``; a float raises
    TypeError. Returns a ``Ledger`` (events, days_past_due, arrears, credit,
    plan). Raises RepayKernelError naming the field (for a bad item:
    ``payments: item N: ...``)."""
    missing = RepayKernelError(RK_INVALID, "payments", "payments: required for a ledger (the history to replay)")
    if not terms.get("payments"):
        raise missing
    result = _compute(_lib.rk_plan, terms)
    if result.debt is None or result.days_past_due is None or not result.ledger:
        raise missing
    return Ledger(events=result.ledger, days_past_due=result.days_past_due, arrears=result.debt.before,
                  credit=result.ledger[-1].credit, plan=result)


def compute(**terms: Any) -> Result:
    """A schedule, or a plan when ``as_of`` is given."""
    return _compute(_lib.rk_compute, terms)


@dataclass(frozen=True)
class BatchOutput:
    """What ``run_csv`` returns for a usable document.

    ``schedule`` and ``summary`` are the two CSV outputs of ``repay batch``,
    byte for byte (``bytes``, header line included). ``status`` is ``RK_OK``
    when every row is ok (the CLI's exit status 0) or ``RK_PARTIAL`` when some
    rows failed (exit status 1): each failed row has ``status=error`` and its
    message in its summary line, and no schedule lines; the other rows are
    computed as usual. An unusable document gives no BatchOutput: ``run_csv``
    raises."""
    schedule: bytes
    summary: bytes
    status: int


def run_csv(document: Union[str, bytes]) -> BatchOutput:
    """Runs a whole batch CSV document (``str`` or UTF-8 ``bytes``) exactly as
    ``repay batch`` does and returns a BatchOutput (status RK_OK or RK_PARTIAL).

    Raises RepayKernelError when the document is unusable (the CLI's exit
    status 2): ``status`` RK_FORMAT for no header, no ``id`` column, an
    unknown, duplicate or empty column name, broken quoting or text that is
    not UTF-8; ``field`` is where it is (``"header"`` or ``"input"``) and
    ``message`` says what is wrong (``"header: unknown column 'principle' (did
    you mean 'principal'?); ..."``). Any other failure of the library
    (RK_NOMEM) raises too. A document that is neither ``str`` nor bytes-like
    raises TypeError."""
    data = _document_bytes(document, "run_csv")
    sched, summ, err = ctypes.c_void_p(), ctypes.c_void_p(), ctypes.c_void_p()
    slen, mlen = ctypes.c_size_t(), ctypes.c_size_t()
    status = _lib.rk_run_csv(data, len(data), ctypes.byref(sched), ctypes.byref(slen),
                             ctypes.byref(summ), ctypes.byref(mlen), ctypes.byref(err))
    s, m = _take(sched, slen.value), _take(summ, mlen.value)
    message = _take(err).decode("utf-8", errors="replace")
    if status not in (RK_OK, RK_PARTIAL):
        field = message.split(":", 1)[0] if ":" in message else ""
        raise RepayKernelError(status, field, message)
    return BatchOutput(schedule=s, summary=m, status=status)


def run_json(request: Union[dict, list, str, bytes]) -> Any:
    """Runs a JSON request (an object or a list of objects; a dict/list is
    encoded first) and returns the decoded JSON result. Failed requests are
    entries with "status": "error"; an unusable document raises RepayKernelError."""
    if isinstance(request, (dict, list)):
        _refuse_floats(request)
        data = _json.dumps(_json_payments(request), default=_json_default).encode()
    else:
        data = _document_bytes(request, "run_json")
    out, out_len = ctypes.c_void_p(), ctypes.c_size_t()
    status = _lib.rk_run_json(data, len(data), ctypes.byref(out), ctypes.byref(out_len))
    text = _take(out, out_len.value)
    if status == RK_MISUSE or status == RK_NOMEM:
        raise RepayKernelError(status, "", _text(_lib.rk_errstr(status)))
    result = _json.loads(text)
    if status == RK_FORMAT:
        e = result["error"]
        raise RepayKernelError(status, e["field"], e["message"])
    return result


def _document_bytes(document: Any, function: str) -> bytes:
    """A whole document as bytes: ``str`` (encoded as UTF-8) or a bytes-like object.
    Anything else is a TypeError (``bytes(300_000_000)`` would be 300 MB of NULs)."""
    if isinstance(document, str):
        return document.encode("utf-8")
    if isinstance(document, (bytes, bytearray, memoryview)):
        return bytes(document)
    raise TypeError(f"{function}: expected str or bytes, not {type(document).__name__}")


def _refuse_floats(value: Any, key: str = "request") -> None:
    if isinstance(value, float):
        raise TypeError(f"{key}: a float cannot carry an exact amount; pass a str or decimal.Decimal")
    if isinstance(value, dict):
        for k, v in value.items():
            _refuse_floats(v, str(k))
    elif isinstance(value, list):
        for v in value:
            _refuse_floats(v, key)


def _json_payments(request: Any) -> Any:
    """A request (or list of them) whose ``payments`` tuples become JSON objects
    ``{"date", "amount", "prepay"}`` (a tuple would be encoded as an array,
    which rk_run_json refuses as an item)."""
    if isinstance(request, list):
        return [_json_payments(r) for r in request]
    items = request.get("payments") if isinstance(request, dict) else None
    if not isinstance(items, (list, tuple)):
        return request
    converted = []
    for item in items:
        if isinstance(item, tuple) and len(item) in (2, 3):
            flag = item[2] if len(item) == 3 else False
            converted.append({"date": item[0], "amount": item[1], "prepay": flag is True or flag == "prepay"})
        else:
            converted.append(item)
    return {**request, "payments": converted}


def _json_default(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        return format(value, "f")
    if isinstance(value, datetime.date):
        return value.isoformat()
    raise TypeError(f"cannot encode {type(value).__name__}")
