#!/usr/bin/env python3
"""Check the printed PDFs of this corpus with ../libreoffice/verify.py's
checks (words, columns, layout lines). Run: python3 verify.py [NAME...]"""

import os
import sys

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "libreoffice"))
import generate  # noqa: E402,F401  (the sheet model verify.py reads)
import verify as v  # noqa: E402
sys.path.insert(0, HERE)
sys.modules.pop("generate")
import importlib.util  # noqa: E402

spec = importlib.util.spec_from_file_location("borderless_generate", os.path.join(HERE, "generate.py"))
bg = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bg)


def main():
    names = set(sys.argv[1:])
    bad = 0
    for case in bg.all_cases():
        if names and case.name not in names:
            continue
        errs = v.check(case, HERE, tight=True)
        print(f"{case.name}: {'ok' if not errs else 'FAIL'}")
        for e in errs:
            print("   ", e)
        bad += bool(errs)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
