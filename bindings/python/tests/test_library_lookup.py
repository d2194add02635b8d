"""Where the package finds librepaykernel.so, in the documented order:
REPAYKERNEL_LIB, next to the package, the checkout's .build/release/ (imported
from, then installed from), the system library path.

Each case imports the package in a fresh interpreter with a made-up layout in
a temporary directory; ``-S`` (no site-packages) keeps the installed copy out
of the cases that must not see it.
"""

import json
import os
import shutil
import subprocess
import sys
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

import repaykernel as rk

LIB = Path(rk.library_path).resolve()
PACKAGE = Path(rk.__file__).resolve().parent
PROBE = "import repaykernel; print(repaykernel.library_path)"


def probe(tmp_path: Path, env: dict, pythonpath: Path = None, isolated: bool = False):
    """Imports repaykernel in a fresh interpreter (cwd tmp_path) and returns the run;
    REPAYKERNEL_LIB is unset unless ``env`` sets it."""
    environment = {k: v for k, v in os.environ.items() if k not in ("REPAYKERNEL_LIB", "PYTHONPATH")}
    environment.update(env)
    if pythonpath is not None:
        environment["PYTHONPATH"] = str(pythonpath)
    command = [sys.executable] + (["-S"] if isolated else []) + ["-c", PROBE]
    return subprocess.run(command, cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=60)


def package_copy(site: Path, with_library: bool) -> Path:
    """The package's source copied to site/repaykernel (optionally with the library beside it)."""
    target = site / "repaykernel"
    target.mkdir(parents=True)
    shutil.copy(PACKAGE / "__init__.py", target / "__init__.py")
    if with_library:
        (target / rk.LIBRARY_NAME).symlink_to(LIB)
    return target


def test_env_variable_comes_first(tmp_path):
    package_copy(tmp_path / "site", with_library=True)
    run = probe(tmp_path, {"REPAYKERNEL_LIB": str(LIB)}, pythonpath=tmp_path / "site", isolated=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == str(LIB)


def test_env_variable_naming_no_file_fails_and_says_so(tmp_path):
    package_copy(tmp_path / "site", with_library=True)
    missing = tmp_path / "nowhere" / "librepaykernel.so"
    run = probe(tmp_path, {"REPAYKERNEL_LIB": str(missing)}, pythonpath=tmp_path / "site", isolated=True)
    assert run.returncode != 0
    assert f"REPAYKERNEL_LIB={missing}: no such file" in run.stderr


def test_next_to_the_package(tmp_path):
    package = package_copy(tmp_path / "site", with_library=True)
    run = probe(tmp_path, {}, pythonpath=tmp_path / "site", isolated=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == str(package / rk.LIBRARY_NAME)


def test_checkout_imported_from(tmp_path):
    checkout = tmp_path / "checkout"
    package_copy(checkout / "bindings" / "python", with_library=False)
    (checkout / "Package.swift").write_text("// a checkout\n")
    built = checkout / ".build" / "release" / rk.LIBRARY_NAME
    built.parent.mkdir(parents=True)
    built.symlink_to(LIB)
    run = probe(tmp_path, {}, pythonpath=checkout / "bindings" / "python", isolated=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == str(built)


def test_a_directory_that_is_no_checkout_is_not_used(tmp_path):
    # The same layout without Package.swift: nothing found, and the error says what to set.
    fake = tmp_path / "fake"
    package_copy(fake / "bindings" / "python", with_library=False)
    built = fake / ".build" / "release" / rk.LIBRARY_NAME
    built.parent.mkdir(parents=True)
    built.symlink_to(LIB)
    run = probe(tmp_path, {}, pythonpath=fake / "bindings" / "python", isolated=True)
    if run.returncode == 0:
        # Only the system library path may still have one.
        assert run.stdout.strip() != str(built)
        return
    assert "librepaykernel.so not found" in run.stderr and "REPAYKERNEL_LIB" in run.stderr


def test_checkout_installed_from(tmp_path):
    """After `pip install ./bindings/python`, the checkout pip recorded is used from any directory."""
    try:
        recorded = distribution("repaykernel").read_text("direct_url.json")
    except PackageNotFoundError:
        recorded = None
    if not recorded or not json.loads(recorded).get("url", "").startswith("file://"):
        pytest.skip("repaykernel was not pip-installed from a directory")
    if (PACKAGE / rk.LIBRARY_NAME).exists():
        pytest.skip("the installed package carries its own library (it comes first)")
    checkout = Path(unquote(urlparse(json.loads(recorded)["url"]).path)).resolve().parents[1]
    built = checkout / ".build" / "release" / rk.LIBRARY_NAME
    if not built.is_file():
        pytest.skip(f"{built} is not built")
    run = probe(tmp_path, {})
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == str(built)
