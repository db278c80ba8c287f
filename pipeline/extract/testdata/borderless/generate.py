#!/usr/bin/env python3
"""Generate the borderless spreadsheet corpus.

Spreadsheets print without gridlines unless their author turns them on, so
the common table in a printed sheet has no rules at all. Every case here is
such a sheet, drawn at random (fixed seeds) from the same building blocks:
text columns (left-aligned), number and date columns (right-aligned, in the
formats spreadsheets print: 1,234.50, (1,234), 12.5%, $1,234, dates), empty
cells, headers that wrap onto two lines, totals rows, titles above and notes
under the table, two tables on one page, tables continued over pages with
their header row repeated, portrait and landscape, several fonts and sizes.

The sheet model and the flat ODF writer are those of ../libreoffice
(generate.py there); the expected cells come from the same source cells as
the spreadsheet, never from an extractor's output.

Standard library only. Rebuild the corpus with `sh build.sh`: it runs this
script, prints the sheets with LibreOffice, runs it again (the second run
reads the page counts LibreOffice printed into "pages" and the page
footers) and checks the PDFs with ../libreoffice/verify.py.
"""

import datetime as dt
import json
import os
import random
import re
import subprocess
import sys

sys.dont_write_bytecode = True  # keep the corpus folders free of __pycache__
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "libreoffice"))
import generate as g  # noqa: E402
from generate import Case, Cell, PageSetup, Sheet  # noqa: E402

CASES = 44
FONTS = ["Liberation Sans", "Liberation Serif", "Liberation Mono", "DejaVu Sans", "DejaVu Serif"]
SIZES = [9, 8, 10, 11, 9, 8.5]

TYPES = ["Oil", "Gas", "Dry Hole", "SWD", "Injection", "Oil & Gas"]
REMARKS = [
    "Shut in pending pipeline connection.",
    "OK",
    "Rod pump replaced; back on production after four days.",
    "Annual test passed.",
    "Recompleted into the upper Spraberry, initial potential test pending.",
    "No issues found.",
    "Waiting on workover rig.",
    "Leak at the stuffing box repaired on site.",
]


def kinds():
    """Column kinds: name -> (class, number format, header choices, value)."""
    d = dt.date
    return {
        "lease": ("text", None, ["Lease", "Lease Name"], lambda r, w: w["lease"]),
        "well": ("text", None, ["Well", "Well Name"], lambda r, w: w["name"]),
        "operator": ("text", None, ["Operator", "Operator of Record"], lambda r, w: w["operator"]),
        "county": ("text", None, ["County"], lambda r, w: w["county"]),
        "status": ("text", None, ["Status", "Well Status"], lambda r, w: w["status"]),
        "type": ("text", None, ["Type", "Well Type"], lambda r, w: r.choice(TYPES)),
        "formation": ("text", None, ["Formation", "Target Formation"], lambda r, w: w["formation"]),
        "api": ("text", None, ["API Number", "API No."], lambda r, w: w["api"]),
        "wells": ("num", "general", ["Wells", "Producing Wells"], lambda r, w: r.randint(1, 64)),
        "oil": ("num", "int", ["Oil (bbl)", "Oil Production (bbl)"], lambda r, w: r.randint(0, 2500000)),
        "gas": ("num", "int", ["Gas (mcf)", "Casinghead Gas (mcf)"], lambda r, w: r.randint(10, 9000000)),
        "depth": ("num", "int", ["Depth (ft)", "Total Depth (ft)"], lambda r, w: w["depth"]),
        "net": ("num", "paren0", ["Net (bbl)", "Net Change (bbl)"], lambda r, w: r.randint(-90000, 250000)),
        "amount": ("num", "paren2", ["Amount", "Net Amount (acct.)"],
                   lambda r, w: round(r.uniform(-50000, 150000), 2)),
        "rate": ("num", "dec2", ["Rate", "Average Rate (bbl/d)"], lambda r, w: round(r.uniform(0, 9999), 2)),
        "gor": ("num", "dec1", ["GOR", "Gas-Oil Ratio"], lambda r, w: round(r.uniform(100, 40000), 1)),
        "change": ("num", "pct1", ["Change", "Annual Decline Rate"], lambda r, w: round(r.uniform(-0.4, 0.6), 3)),
        "share": ("num", "pct0", ["WI", "Working Interest"], lambda r, w: round(r.uniform(0.01, 1), 2)),
        "revenue": ("num", "usd0", ["Revenue", "Gross Revenue"], lambda r, w: r.randint(-5000, 4000000)),
        "price": ("num", "usd", ["Price", "Realized Price"], lambda r, w: round(r.uniform(0.5, 120), 2)),
        "spud": ("date", "date_mdy", ["Spud Date", "Date Spudded"], lambda r, w: w["spud"]),
        "completed": ("date", "date_iso", ["Completed", "Completion Date"],
                      lambda r, w: w["spud"] + dt.timedelta(days=r.randint(30, 300))),
        "permit": ("date", "date_dmy", ["Permit", "Permit Approved"],
                   lambda r, w: d(2024, 1, 1) + dt.timedelta(days=r.randint(0, 360))),
        "report": ("date", "date_long", ["Reported", "Report Date"],
                   lambda r, w: d(2023, 1, 1) + dt.timedelta(days=r.randint(0, 700))),
        "remarks": ("wrap", None, ["Remarks", "Inspector Remarks"], lambda r, w: r.choice(REMARKS)),
    }


FIRST = ["lease", "well", "api", "operator", "county"]
TEXT = ["operator", "county", "status", "type", "formation", "well"]
NUMBERS = ["wells", "oil", "gas", "depth", "net", "amount", "rate", "gor", "change", "share",
           "revenue", "price"]
DATES = ["spud", "completed", "permit", "report"]
SUMMED = {"general", "int", "paren0", "paren2", "dec2", "usd0"}

NOTES = [
    "Note: volumes are as reported by the operator and may be revised.",
    "Source: district production reports.",
    "Figures in parentheses are negative.",
    "* Includes shut-in wells.",
    "Prepared for internal review only.",
]
TITLES = ["Lease Production Summary", "Well Status Report", "Monthly Revenue by Lease",
          "Permits and Completions", "Field Operations Review"]


def pick_columns(rng, n):
    cols = [rng.choice(FIRST)]
    pool = TEXT + NUMBERS + NUMBERS + DATES
    while len(cols) < n:
        k = rng.choice(pool)
        if k not in cols:
            cols.append(k)
    if sum(kinds()[k][0] == "num" for k in cols) < 2:
        cols[-1], cols[-2] = "oil", "change"
    return cols


def header_cell(text, cls, style, size, wrap):
    if style == "center":
        align = "center"
    elif style == "left":
        align = "start"
    else:
        align = "start" if cls in ("text", "wrap") else "end"
    return Cell(text, bold=True, align=align, size=size, wrap=wrap)


def body_cell(kind, value, size, valign):
    cls, fmt = kind[0], kind[1]
    if cls == "wrap":
        return Cell(value, wrap=True, size=size, valign=valign)
    if cls == "text":
        return Cell(value, size=size, valign=valign)
    return Cell(value, fmt, align="end", size=size, valign=valign)


class Plan:
    """One table to put on the sheet."""

    def __init__(self, rng, cols, nrows, header_style, wrap_header, blank_rate, totals):
        self.cols = cols
        self.nrows = nrows
        self.header_style = header_style
        self.wrap_header = wrap_header
        self.blank_rate = blank_rate
        self.totals = totals
        k = kinds()
        self.headers = [rng.choice(k[c][2]) if wrap_header else k[c][2][0] for c in cols]


def put_table(sh, rng, r0, plan, size, valign):
    """Write plan's table at row r0; return its (row0, col0, nrows, ncols)."""
    k = kinds()
    sh.row(r0, 0, [header_cell(h, k[c][0], plan.header_style, size, plan.wrap_header and " " in h)
                   for h, c in zip(plan.headers, plan.cols)])
    sums = [0] * len(plan.cols)
    for i in range(plan.nrows):
        w = g.well_rows(rng, 1)[0]
        cells = []
        for j, c in enumerate(plan.cols):
            v = k[c][3](rng, w)
            blank = rng.random() < (plan.blank_rate / 3 if j == 0 else plan.blank_rate)
            if blank:
                v = None
            elif k[c][1] in SUMMED:
                sums[j] += v
            cells.append(v)
        if sum(v is not None for v in cells) < 2:
            cells[0] = cells[0] if cells[0] is not None else w["lease"]
            j = len(cells) - 1
            cells[j] = k[plan.cols[j]][3](rng, w)
            if k[plan.cols[j]][1] in SUMMED:
                sums[j] += cells[j]
        sh.row(r0 + 1 + i, 0, [body_cell(k[c], v, size, valign) for c, v in zip(plan.cols, cells)])
    n = plan.nrows + 1
    if plan.totals:
        row = [Cell("Total", bold=True, size=size)]
        for j, c in enumerate(plan.cols[1:], start=1):
            fmt = k[c][1]
            if fmt in SUMMED:
                v = round(sums[j], 2) if fmt in ("paren2", "dec2") else sums[j]
                row.append(Cell(v, fmt, bold=True, align="end", size=size))
            else:
                row.append(Cell(None))
        sh.row(r0 + n, 0, row)
        n += 1
    return (r0, 0, n, len(plan.cols))


def fit_widths(sh, plans, printable):
    """Fix the widths of columns whose header is wider than their values,
    so the header wraps; drop trailing columns until the sheet fits."""
    size = sh.font_size
    for plan in plans:
        if not plan.wrap_header:
            continue
        for j, h in enumerate(plan.headers):
            need = 0.0
            for (r, c), cell in sh.cells.items():
                if c == j and not (cell.bold and cell.wrap) and not cell.overflow and cell.value is not None:
                    need = max(need, g.text_width_pt(cell.text, False, cell.size or size, sh.font))
            head = g.text_width_pt(h, True, size, sh.font)
            if head + sh.pad <= need + sh.pad or " " not in h:
                continue
            longest = max(g.text_width_pt(wd, True, size, sh.font) for wd in h.split())
            # Wide enough for the values and the longest header word, and
            # for the header in two lines.
            width = max(need + sh.pad, longest + 10, head / 2 + 14)
            sh.col_widths[j] = max(sh.col_widths.get(j, 0), round(width / 72.0 + 0.005, 2))
    for c in range(sh.extent()[1]):
        if any(cell.wrap and not cell.bold for (r, cc), cell in sh.cells.items() if cc == c):
            sh.col_widths[c] = 1.6 if size <= 9 else 1.9
    return sum(sh.widths()) <= printable - 0.05


def page_count(pdf):
    try:
        out = subprocess.run(["pdfinfo", pdf], check=True, capture_output=True, text=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    m = re.search(r"^Pages:\s+(\d+)", out, re.M)
    return int(m.group(1)) if m else None


def make_case(i):
    rng = random.Random(1600 + i)
    sh = Sheet()
    sh.font = FONTS[i % len(FONTS)]
    sh.font_size = SIZES[(i // len(FONTS)) % len(SIZES)]
    sh.pad = rng.choice([6.0, 9.0, 14.0, 22.0])
    landscape = i % 3 == 2
    multipage = i % 7 == 4
    two = not multipage and i % 7 == 1
    printable = 10.0 if landscape else 7.5
    size = None  # cells use the sheet's font size
    valign = rng.choice([None, None, "top"])
    feats = []

    ncols = rng.randint(6, 11) if landscape else rng.randint(4, 8)
    while True:
        cols = pick_columns(rng, ncols)
        if rng.random() < 0.25 and "remarks" not in cols and ncols >= 4:
            cols[rng.randrange(1, len(cols))] = "remarks"
        nrows = rng.randint(70, 125) if multipage else rng.randint(5, 12) if two else rng.randint(6, 32)
        plans = [Plan(rng, cols, nrows, rng.choice(["match", "match", "center", "left"]),
                      rng.random() < 0.5, rng.choice([0.0, 0.05, 0.15]), rng.random() < 0.5)]
        if two:
            cols2 = pick_columns(rng, rng.randint(3, len(cols)))
            plans.append(Plan(rng, cols2, rng.randint(4, 10), plans[0].header_style,
                              rng.random() < 0.5, rng.choice([0.0, 0.1]), rng.random() < 0.5))
        trial = Sheet()
        trial.font, trial.font_size, trial.pad = sh.font, sh.font_size, sh.pad
        title = rng.random() < 0.6
        notes = rng.sample(NOTES, rng.choice([0, 1, 1, 2]))
        r = 0
        extra, tables = [], []
        if title:
            t = rng.choice(TITLES) + (" - " + str(2020 + i % 5) if rng.random() < 0.5 else "")
            trial.put(r, 0, Cell(t, bold=True, size=sh.font_size + 3, overflow=True))
            extra.append(t)
            r += 1 + rng.randint(0, 1)
        for pi, plan in enumerate(plans):
            if two:
                cap = f"Table {pi + 1}. " + rng.choice(TITLES)
                trial.put(r, 0, Cell(cap, bold=True, overflow=True))
                extra.append(cap)
                r += 1
            head = r
            tables.append(put_table(trial, rng, r, plan, size, valign))
            r += tables[-1][2] + (rng.randint(1, 3) if pi == 0 and two else 0)
            if multipage:
                trial.repeat_rows = (head, head)
        if notes:
            r += 1
            for n in notes:
                trial.put(r, 0, Cell(n, italic=True, size=max(7, sh.font_size - 1), overflow=True))
                extra.append(n)
                r += 1
        if fit_widths(trial, plans, printable):
            total = sum(trial.widths()) * 72.0
            if all(g.text_width_pt(t, True, sh.font_size + 3, sh.font) < total - 8 for t in extra):
                break
        ncols = max(3, ncols - 1)
    sh = trial
    feats.append(f"{sh.font} {sh.font_size:g} pt, {'landscape' if landscape else 'portrait'}")
    footer = multipage and rng.random() < 0.6
    name = f"sheet{i + 1:02d}"
    pdf = os.path.join(HERE, name + ".pdf")
    pages = page_count(pdf) or 1
    if footer:
        extra += [f"Page {p} of {pages}" for p in range(1, pages + 1)]
    if multipage:
        feats.append(f"{tables[0][2]} rows over {pages} pages, header row repeated")
    if two:
        feats.append("two tables with captions")
    if title:
        feats.append("title")
    if notes:
        feats.append("notes under the table")
    if any(p.wrap_header and any(c in sh.col_widths for c in range(len(p.cols))) for p in plans):
        feats.append("wrapped header")
    if any(p.totals for p in plans):
        feats.append("totals row")
    if any(p.blank_rate for p in plans):
        feats.append("empty cells")
    if any("remarks" in p.cols for p in plans):
        feats.append("wrapped text column")
    feats.append(f"header {plans[0].header_style}")
    feats.append(f"gutter {sh.pad:g} pt")
    page = PageSetup(landscape=landscape, footer="page_of" if footer else None)
    return Case(name, "stream", list(range(1, pages + 1)), sh, tables, "; ".join(feats),
                "borderless", page=page, extra_text=extra)


def all_cases():
    return [make_case(i) for i in range(CASES)]


def main():
    rows = []
    for case in all_cases():
        g.write_fods(case, os.path.join(HERE, case.name + ".fods"))
        with open(os.path.join(HERE, case.name + ".expected.json"), "w", encoding="utf-8") as f:
            json.dump(case.expected(), f, indent=1, ensure_ascii=False)
            f.write("\n")
        rows.append(f"| `{case.name}` | {len(case.pages)} | {case.about} |")
    with open(os.path.join(HERE, "CASES.md"), "w", encoding="utf-8") as f:
        f.write("# Cases\n\nWritten by generate.py.\n\n| case | pages | what |\n|---|---|---|\n")
        f.write("\n".join(rows) + "\n")


if __name__ == "__main__":
    main()
