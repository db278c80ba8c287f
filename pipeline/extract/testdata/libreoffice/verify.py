#!/usr/bin/env python3
"""Check the printed PDFs against the expected cells, using poppler's pdftotext.

For every case:
  1. the PDF has the expected number of pages;
  2. the words printed on all pages are exactly the words of the expected
     cells, plus the text declared to lie outside the tables (titles,
     captions, footers) and the header rows repeated on later pages: nothing
     is missing, clipped, printed as "###" or formatted differently;
  3. column by column, the words whose centre lies inside a sheet column
     (its x-range follows from the page margin and the column widths) read,
     top to bottom, as the expected cells of that column: every value sits in
     the column and in the row order the expectation says;
  4. every expected row without wrapped or merged cells is one line of
     `pdftotext -layout` output holding exactly that row's non-empty cells.

Standard library only (plus pdftotext on PATH). Run: python3 verify.py [NAME...]
"""

import collections
import html
import os
import re
import subprocess
import sys

sys.dont_write_bytecode = True  # keep the corpus folder free of __pycache__
import generate as g  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def bbox_words(pdf):
    out = subprocess.run(["pdftotext", "-bbox", pdf, "-"], check=True,
                         capture_output=True, text=True).stdout
    pages = []
    for page in re.split(r"<page ", out)[1:]:
        words = []
        for m in re.finditer(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" '
                             r'yMax="([\d.]+)">(.*?)</word>', page):
            x0, y0, x1, y1 = map(float, m.group(1, 2, 3, 4))
            words.append((y0, x0, x1, y1, html.unescape(m.group(5))))
        words.sort()
        pages.append(words)
    return pages


def layout_lines(pdf):
    out = subprocess.run(["pdftotext", "-layout", pdf, "-"], check=True,
                         capture_output=True, text=True).stdout
    return [ln.rstrip() for ln in out.splitlines()]


def toks(s):
    return s.split()


def drop_sequence(words, text):
    """Remove the first run of consecutive words spelling text; return success."""
    t = toks(text)
    n = len(t)
    for i in range(len(words) - n + 1):
        if [w[4] for w in words[i:i + n]] == t:
            del words[i:i + n]
            return True
    return False


def check(case, here=HERE, tight=False):
    """Check case's PDF, NAME.pdf in the folder here; return what is wrong.
    With tight, neighbouring cells of a layout line may touch (narrow
    gutters, where pdftotext runs them together)."""
    errs = []
    pdf = os.path.join(here, case.name + ".pdf")
    pages = bbox_words(pdf)
    if len(pages) != len(case.pages):
        errs.append(f"{len(pages)} pages, expected {len(case.pages)}")

    sh = case.sheet
    exp = case.expected()
    hdr_rows = []
    if sh.repeat_rows:
        r0, r1 = sh.repeat_rows
        hdr_rows = [[sh.cells[(r, c)].text if (r, c) in sh.cells else ""
                     for c in range(sh.extent()[1])] for r in range(r0, r1 + 1)]

    # 2. word multiset.
    want = collections.Counter()
    for t in exp["tables"]:
        for row in t:
            for cell in row:
                want.update(toks(cell))
    for text in case.extra_text:
        want.update(toks(text))
    for _ in range(len(pages) - 1):
        for row in hdr_rows:
            for cell in row:
                want.update(toks(cell))
    got = collections.Counter(w[4] for p in pages for w in p)
    if got != want:
        errs.append(f"words missing: {dict(want - got)}; unexpected: {dict(got - want)}")

    # 3. column sequences.
    widths = sh.widths()
    ml = case.page.margins[3] * 72.0
    edges = [ml]
    for w in widths:
        edges.append(edges[-1] + w * 72.0)
    pages = [list(p) for p in pages]
    for text in case.extra_text:
        if not any(drop_sequence(p, text) for p in pages):
            errs.append(f"extra text not found: {text!r}")
    ncols = len(widths)
    got_cols = [[] for _ in range(ncols)]
    for pi, p in enumerate(pages):
        cols = [[] for _ in range(ncols)]
        for (y0, x0, x1, y1, t) in p:
            xc = (x0 + x1) / 2
            c = next((i for i in range(ncols) if edges[i] <= xc < edges[i + 1]), None)
            if c is None:
                errs.append(f"page {pi + 1}: word {t!r} at x={xc:.1f} outside the columns")
                continue
            cols[c].append(t)
        for c in range(ncols):
            seq = cols[c]
            if pi > 0 and hdr_rows:
                h = [t for row in hdr_rows for t in toks(row[c])]
                if seq[:len(h)] != h:
                    errs.append(f"page {pi + 1} column {c}: repeated header missing")
                else:
                    seq = seq[len(h):]
            got_cols[c].extend(seq)
    want_cols = [[] for _ in range(ncols)]
    cov = sh.covered()
    rows = sorted({r for (r0, c0, nr, nc) in case.tables for r in range(r0, r0 + nr)})
    for r in rows:
        for c in range(ncols):
            cell = sh.cells.get((r, c))
            if cell is None or (r, c) in cov or cell.overflow:
                continue
            if cell.colspan == 1:
                want_cols[c].extend(toks(cell.text))
                continue
            # A centred span: place each word by its estimated centre.
            left = edges[c]
            right = edges[c + cell.colspan]
            size = cell.size or g.FONT_SIZE
            total = g.text_width_pt(cell.text, cell.bold, size)
            x = (left + right) / 2 - total / 2
            for word in cell.text.split(" "):
                wd = g.text_width_pt(word, cell.bold, size)
                xc = x + wd / 2
                cc = next(i for i in range(ncols) if edges[i] <= xc < edges[i + 1])
                want_cols[cc].append(word)
                x += wd + g.text_width_pt(" ", cell.bold, size)
    # Rows of a vertically centred span print between the rows it covers;
    # compare those columns as multisets only.
    loose = {c for (r, c), cell in sh.cells.items() if cell.rowspan > 1}
    for c in range(ncols):
        a, b = got_cols[c], want_cols[c]
        if (sorted(a) != sorted(b)) if c in loose else (a != b):
            i = next((k for k in range(min(len(a), len(b))) if a[k] != b[k]), min(len(a), len(b)))
            errs.append(f"column {c}: differs at word {i}: got {a[i:i + 6]} want {b[i:i + 6]}")

    # 4. single-line rows in the layout text.
    lines = layout_lines(pdf)
    if tight:
        # pdftotext sometimes breaks a row whose cells touch over two lines.
        lines += [a + " " + b.strip() for a, b in zip(lines, lines[1:])]
    for ti, (r0, c0, nr, nc) in enumerate(case.tables):
        for r in range(r0, r0 + nr):
            cells = [sh.cells.get((r, c)) for c in range(c0, c0 + nc)]
            if any(cl is not None and (cl.wrap or cl.rowspan > 1 or cl.colspan > 1) for cl in cells):
                continue
            if any((r, c) in cov for c in range(c0, c0 + nc)):
                continue
            vals = [cl.text for cl in cells if cl is not None and cl.text]
            if not vals:
                continue
            sep = r"\s*" if tight else r"\s+"
            pat = re.compile(r"\s*" + sep.join(re.escape(v) for v in vals) + r"\s*")
            if not any(pat.fullmatch(ln) for ln in lines):
                errs.append(f"table {ti} row {r - r0}: no layout line reads {vals}")
    return errs


def main():
    names = set(sys.argv[1:])
    bad = 0
    for case in g.all_cases():
        if names and case.name not in names:
            continue
        errs = check(case)
        print(f"{case.name}: {'ok' if not errs else 'FAIL'}")
        for e in errs:
            print("   ", e)
        bad += bool(errs)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
