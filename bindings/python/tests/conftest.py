"""Shared fixtures of the repaykernel tests."""

import ctypes

import pytest

import repaykernel as rk


@pytest.fixture
def raw_result():
    """A factory of raw rk_result handles computed from key/value terms, for the C getters' edge
    cases; every handle it made is released with rk_result_free after the test."""
    made = []

    def make(**terms):
        req, res = ctypes.c_void_p(), ctypes.c_void_p()
        assert rk._lib.rk_request_new(ctypes.byref(req)) == rk.RK_OK
        try:
            for k, v in terms.items():
                assert rk._lib.rk_request_set(req, k.encode(), str(v).encode()) == rk.RK_OK
            assert rk._lib.rk_compute(req, ctypes.byref(res)) == rk.RK_OK
        finally:
            rk._lib.rk_request_free(req)
        made.append(res)
        return res

    yield make
    for res in made:
        rk._lib.rk_result_free(res)
