#!/usr/bin/env bash
# Keeps README.md true: every ```console block whose first line is `$ repay ...`
# is run with .build/release/repay and its output compared with the block.
#   bash Tests/readme.sh            # check
#   bash Tests/readme.sh --update   # rewrite the outputs in README.md
# Every `.build/release/repay ...` command of a ```sh block (the set-up
# command) is run from a scratch copy of the checkout's layout and must exit 0.
# Swift snippets marked <!-- snippet: NAME --> must appear verbatim in
# Tests/RepaymentKernelTests/ReadmeSnippetTests.swift (which `swift test` runs);
# <!-- snippet: NAME file: PATH --> blocks verbatim in PATH. Every ```python
# block of README.md and bindings/README.md must be marked
# <!-- python example --> and followed by a ```text block: the pytest suite
# (bindings/python/tests/test_readme.py) runs it and compares what it prints.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 - "$@" <<'PY'
import re, subprocess, sys
update = "--update" in sys.argv
text = open("README.md", encoding="utf-8").read()
blocks = list(re.finditer(r"```console\n\$ (repay [^\n]*(?:\\\n[^\n]*)*)\n(.*?)```", text, re.S))
passed = failed = 0
out = text
for m in reversed(blocks):
    command = m.group(1).replace("\\\n", " ")
    args = command.split()
    # Run through the shell so a `| head -n N` works; `repay` is the built binary.
    shell = re.sub(r"(^|\| )repay ", lambda m: m.group(1) + ".build/release/repay ", command)
    r = subprocess.run(["bash", "-o", "pipefail", "-c", shell], capture_output=True, text=True)
    got = r.stdout + r.stderr
    if got == m.group(2):
        passed += 1
    elif update:
        out = out[:m.start(2)] + got + out[m.end(2):]
        print(f"updated: {command[:70]}")
        passed += 1
    else:
        failed += 1
        print(f"FAIL: {command}")
        import difflib
        for line in list(difflib.unified_diff(m.group(2).splitlines(), got.splitlines(), "README", "actual", lineterm=""))[:20]:
            print("   ", line)
tests = open("Tests/RepaymentKernelTests/ReadmeSnippetTests.swift", encoding="utf-8").read()
for m in re.finditer(r"<!-- snippet: (\w+) -->\n```swift\n(.*?)```", text, re.S):
    body = m.group(2)
    indented = "\n".join(("        " + l) if l else "" for l in body.rstrip("\n").split("\n"))
    if indented in tests:
        passed += 1
    else:
        failed += 1
        print(f"FAIL: swift snippet '{m.group(1)}' is not in ReadmeSnippetTests.swift (indented 8 spaces)")
def stripped(lines):
    return [l.strip() for l in lines if l.strip()]
for m in re.finditer(r"<!-- snippet: (\w+) file: (\S+) -->\n```\w+\n(.*?)```", text, re.S):
    name, path, body = m.groups()
    want = stripped(body.split("\n"))
    have = stripped(open(path, encoding="utf-8").read().split("\n"))
    if any(have[i:i + len(want)] == want for i in range(len(have) - len(want) + 1)):
        passed += 1
    else:
        failed += 1
        print(f"FAIL: snippet '{name}' is not verbatim in {path}")
# The set-up commands: run as written (in a scratch directory laid out like the checkout), exit status 0.
import os, tempfile
for block in re.findall(r"```sh\n(.*?)```", text, re.S):
    for line in block.replace("\\\n", " ").split("\n"):
        at = line.find(".build/release/repay ")
        if at < 0:
            continue
        command = line[at:]
        with tempfile.TemporaryDirectory() as scratch:
            for name in ("fixtures", ".build"):
                os.symlink(os.path.abspath(name), os.path.join(scratch, name))
            r = subprocess.run(["bash", "-o", "pipefail", "-c", command], cwd=scratch, capture_output=True, text=True)
        if r.returncode == 0:
            passed += 1
        else:
            failed += 1
            print(f"FAIL: {command}: exit status {r.returncode}\n    {r.stderr.strip()[:300]}")
# Python blocks: each one marked, with its output, for test_readme.py.
for doc in ("README.md", "bindings/README.md"):
    body = open(doc, encoding="utf-8").read()
    for m in re.finditer(r"```python\n", body):
        marked = body[:m.start()].endswith("<!-- python example -->\n")
        rest = body[body.index("```\n", m.end()) + 4:]
        has_output = re.match(r"(?:(?!```).*\n|\n)*?```text\n", rest) is not None
        if marked and has_output:
            passed += 1
        else:
            failed += 1
            line = body.count("\n", 0, m.start()) + 1
            print(f"FAIL: {doc}:{line}: a ```python block needs <!-- python example --> above it and its ```text output below")
if update and out != text:
    open("README.md", "w", encoding="utf-8").write(out)
print(f"readme: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
PY
