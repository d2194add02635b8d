"""Issue 12 (reliability) in the Python binding: NUL characters never reach a C string,
RepayKernelError survives pickling (process pools), documents are type-checked."""

import pickle
import time
from concurrent.futures import ProcessPoolExecutor

import pytest

import repaykernel as rk

LOAN = dict(principal="10000", rate="12%", term=12, start="2024-01-15")


@pytest.mark.parametrize("key,value", [
    ("principal", "100\x0000"),       # was computed as a loan of 100
    ("id", "ab\x00cd"),               # came back as "ab"
    ("rate", "12%\x00"),
    ("start", b"2024-01-15\x00junk"),
])
def test_nul_in_a_value_is_refused(key, value):
    with pytest.raises(ValueError, match=f"^{key}: .*NUL"):
        rk.schedule(**{**LOAN, key: value})


def test_nul_in_a_key_is_refused():
    with pytest.raises(ValueError, match="NUL"):
        rk.compute(**LOAN, **{"principal\x00x": "5"})


def test_values_without_nul_still_work():
    loan = rk.schedule(**LOAN, id="ab cd")
    assert loan.id == "ab cd" and loan.summary.total_payable == rk.schedule(**LOAN).summary.total_payable


def _fail_in_worker(principal):
    rk.schedule(**{**LOAN, "principal": principal})


def test_error_pickles():
    try:
        rk.schedule(**{**LOAN, "principal": "-3.20"})
    except rk.RepayKernelError as e:
        error = e
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is rk.RepayKernelError
    assert (copy.status, copy.name, copy.field, copy.message) == (error.status, error.name, error.field, error.message)
    assert str(copy) == str(error) and repr(copy) == repr(error)


def test_error_crosses_a_process_pool():
    """A worker's RepayKernelError reaches the parent (it used to end in BrokenProcessPool)."""
    with ProcessPoolExecutor(max_workers=1) as pool:
        future = pool.submit(_fail_in_worker, "1.005")
        with pytest.raises(rk.RepayKernelError) as info:
            future.result(timeout=60)
    assert info.value.status == rk.RK_INVALID and info.value.field == "principal"
    assert "more than 2 decimals" in info.value.message


@pytest.mark.parametrize("bad", [300_000_000, None, 3.5, ["id"], {"id": "x"}])
def test_run_csv_type_checks(bad):
    start = time.monotonic()
    with pytest.raises(TypeError, match="run_csv: expected str or bytes"):
        rk.run_csv(bad)
    assert time.monotonic() - start < 1   # no 300 MB of NULs built first


@pytest.mark.parametrize("bad", [300_000_000, None, 3.5])
def test_run_json_type_checks(bad):
    with pytest.raises(TypeError, match="run_json: expected str or bytes"):
        rk.run_json(bad)


def test_bytes_like_documents_are_accepted():
    doc = b"id,principal,rate,term,start\na,10000,12%,12,2024-01-15\n"
    want = rk.run_csv(doc)
    assert rk.run_csv(bytearray(doc)) == want
    assert rk.run_csv(memoryview(doc)) == want
    assert rk.run_csv(doc.decode()) == want
