#!/usr/bin/env python3
"""Run the end-to-end tests: every test_*.py module beside this file.

usage: run.py [-k SUBSTRING] [--list]
Prints one line per test and closes with "e2e: N passed, N failed"."""
import argparse
import glob
import importlib
import os
import shutil
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-k", default="", help="run only tests whose name contains this")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    args = ap.parse_args()

    here = os.path.dirname(os.path.abspath(__file__))
    for path in sorted(glob.glob(os.path.join(here, "test_*.py"))):
        importlib.import_module(os.path.basename(path)[:-3])
    tests = [t for t in harness.TESTS if args.k in f"{t.__module__}.{t.__name__}"]
    if args.list:
        for t in tests:
            print(f"{t.__module__}.{t.__name__}")
        return 0
    if not os.access(harness.BIN, os.X_OK):
        print(f"e2e: {harness.BIN} is not built", file=sys.stderr)
        return 2

    passed = failed = skipped = 0
    for t in tests:
        name = f"{t.__module__}.{t.__name__}"
        t0 = time.time()
        try:
            t()
            passed += 1
            print(f"PASS {name} ({time.time() - t0:.1f}s)", flush=True)
        except harness.Skip as e:
            skipped += 1
            print(f"SKIP {name}: {e}", flush=True)
        except Exception as e:  # noqa: BLE001 - report every failure and go on
            failed += 1
            print(f"FAIL {name}: {e}", flush=True)
            if not isinstance(e, AssertionError):
                traceback.print_exc()
    if not args.keep:
        shutil.rmtree(harness.WORK, ignore_errors=True)
    print(f"e2e: {passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
