#!/usr/bin/env python3
"""Generate the LibreOffice table-extraction corpus.

Every case is a one-sheet spreadsheet written as flat ODF (NAME.fods) plus the
cells it prints (NAME.expected.json). `sh convert.sh` prints the spreadsheets
to PDF with LibreOffice; `python3 verify.py` checks the PDFs against the
expectations with poppler's pdftotext.

The expected cells are the texts as displayed: numbers formatted the way the
cell's number format prints them, a wrapped cell's lines joined by one space,
the cells a merged span covers left empty with the text in the span's
top-left cell. Column widths are computed from the text (Liberation Sans,
metric-compatible with Helvetica/Arial) with room to spare, so no value
prints as "###" and no text is clipped.

Standard library only. Run: python3 generate.py [OUTDIR]
"""

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
import json
import os
import random
import sys
from xml.sax.saxutils import escape, quoteattr

FONT = "Liberation Sans"
FONT_SIZE = 9.0  # pt

# Helvetica widths (1/1000 em) for ASCII 32..126; Liberation Sans shares them.
_HELV = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278,
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556,
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778,
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556,
    333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556,
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
]
# Helvetica-Bold widths for the same range.
_HELV_BOLD = [
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278,
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611,
    975, 722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833, 722, 778,
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 333, 278, 333, 584, 556,
    333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889, 611, 611,
    611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584,
]


# How much wider than Helvetica a font's text may print, at most: the
# monospaced fonts are measured per character instead.
_FONT_SCALE = {"Liberation Sans": 1.0, "Liberation Serif": 1.05, "DejaVu Sans": 1.2,
               "DejaVu Serif": 1.25, "DejaVu Sans Condensed": 1.08}


def text_width_pt(s, bold=False, size=FONT_SIZE, font=FONT):
    if "Mono" in font:
        return 0.602 * len(s) * size
    table = _HELV_BOLD if bold else _HELV
    w = 0
    for ch in s:
        o = ord(ch)
        w += table[o - 32] if 32 <= o <= 126 else 1000
    return w * size / 1000.0 * _FONT_SCALE[font]


# ---------------------------------------------------------------------------
# Number formats: the ODF data style and the Python rendering of a value.

MONTHS = ["January", "February", "March", "April", "May", "June", "July",
          "August", "September", "October", "November", "December"]


def _round(x, decimals):
    """Round half away from zero on the decimal value, as LibreOffice does."""
    q = Decimal(1).scaleb(-decimals)
    d = x if isinstance(x, Decimal) else Decimal(repr(x))
    return d.quantize(q, rounding=ROUND_HALF_UP)


def _grouped(x, decimals):
    return f"{_round(x, decimals):,.{decimals}f}"


def fmt_value(fmt, v):
    """Display text of value v under number format fmt (en-US)."""
    if fmt == "general":        # integers as plain digits
        return str(v)
    if fmt == "int":            # #,##0
        return _grouped(v, 0)
    if fmt == "dec1":           # #,##0.0
        return _grouped(v, 1)
    if fmt == "dec2":           # #,##0.00
        return _grouped(v, 2)
    if fmt == "paren0":         # #,##0;(#,##0)
        return f"({_grouped(-v, 0)})" if v < 0 else _grouped(v, 0)
    if fmt == "paren2":         # #,##0.00;(#,##0.00)
        return f"({_grouped(-v, 2)})" if v < 0 else _grouped(v, 2)
    if fmt == "pct1":           # 0.0% (a value rounding to zero prints unsigned)
        return f"{abs(_round(Decimal(repr(v)) * 100, 1)) or 0:.1f}%" if _round(Decimal(repr(v)) * 100, 1) == 0 \
            else f"{_round(Decimal(repr(v)) * 100, 1)}%"
    if fmt == "pct0":           # 0%
        return f"{_round(Decimal(repr(v)) * 100, 0)}%"
    if fmt == "usd":            # $#,##0.00;-$#,##0.00
        return f"-${_grouped(-v, 2)}" if v < 0 else f"${_grouped(v, 2)}"
    if fmt == "usd0":           # $#,##0;-$#,##0
        return f"-${_grouped(-v, 0)}" if v < 0 else f"${_grouped(v, 0)}"
    if fmt == "date_mdy":       # MM/DD/YYYY
        return v.strftime("%m/%d/%Y")
    if fmt == "date_iso":       # YYYY-MM-DD
        return v.strftime("%Y-%m-%d")
    if fmt == "date_dmy":       # DD-MMM-YYYY
        return f"{v.day:02d}-{MONTHS[v.month - 1][:3]}-{v.year}"
    if fmt == "date_long":      # MMMM D, YYYY
        return f"{MONTHS[v.month - 1]} {v.day}, {v.year}"
    raise ValueError(fmt)


_NUM = ('<number:number number:decimal-places="{d}" number:min-decimal-places="{d}" '
        'number:min-integer-digits="1"{g}/>')


def _num(d, grouping):
    return _NUM.format(d=d, g=' number:grouping="true"' if grouping else "")


_LANG = 'number:language="en" number:country="US"'
DATA_STYLES = {
    "general": f'<number:number-style style:name="N_general" {_LANG}>'
               '<number:number number:min-integer-digits="1"/></number:number-style>',
    "int": f'<number:number-style style:name="N_int" {_LANG}>{_num(0, True)}</number:number-style>',
    "dec1": f'<number:number-style style:name="N_dec1" {_LANG}>{_num(1, True)}</number:number-style>',
    "dec2": f'<number:number-style style:name="N_dec2" {_LANG}>{_num(2, True)}</number:number-style>',
    "paren2": (f'<number:number-style style:name="N_paren2P0" style:volatile="true" {_LANG}>'
               f'{_num(2, True)}</number:number-style>'
               f'<number:number-style style:name="N_paren2" {_LANG}><number:text>(</number:text>'
               f'{_num(2, True)}<number:text>)</number:text>'
               '<style:map style:condition="value()&gt;=0" style:apply-style-name="N_paren2P0"/>'
               '</number:number-style>'),
    "paren0": (f'<number:number-style style:name="N_paren0P0" style:volatile="true" {_LANG}>'
               f'{_num(0, True)}</number:number-style>'
               f'<number:number-style style:name="N_paren0" {_LANG}><number:text>(</number:text>'
               f'{_num(0, True)}<number:text>)</number:text>'
               '<style:map style:condition="value()&gt;=0" style:apply-style-name="N_paren0P0"/>'
               '</number:number-style>'),
    "usd0": (f'<number:currency-style style:name="N_usd0P0" style:volatile="true" {_LANG}>'
             '<number:currency-symbol number:language="en" number:country="US">$</number:currency-symbol>'
             f'{_num(0, True)}</number:currency-style>'
             f'<number:currency-style style:name="N_usd0" {_LANG}><number:text>-</number:text>'
             '<number:currency-symbol number:language="en" number:country="US">$</number:currency-symbol>'
             f'{_num(0, True)}'
             '<style:map style:condition="value()&gt;=0" style:apply-style-name="N_usd0P0"/>'
             '</number:currency-style>'),
    "pct1": f'<number:percentage-style style:name="N_pct1" {_LANG}>{_num(1, False)}'
            '<number:text>%</number:text></number:percentage-style>',
    "pct0": f'<number:percentage-style style:name="N_pct0" {_LANG}>{_num(0, False)}'
            '<number:text>%</number:text></number:percentage-style>',
    "usd": (f'<number:currency-style style:name="N_usdP0" style:volatile="true" {_LANG}>'
            '<number:currency-symbol number:language="en" number:country="US">$</number:currency-symbol>'
            f'{_num(2, True)}</number:currency-style>'
            f'<number:currency-style style:name="N_usd" {_LANG}><number:text>-</number:text>'
            '<number:currency-symbol number:language="en" number:country="US">$</number:currency-symbol>'
            f'{_num(2, True)}'
            '<style:map style:condition="value()&gt;=0" style:apply-style-name="N_usdP0"/>'
            '</number:currency-style>'),
    "date_mdy": (f'<number:date-style style:name="N_date_mdy" {_LANG}>'
                 '<number:month number:style="long"/><number:text>/</number:text>'
                 '<number:day number:style="long"/><number:text>/</number:text>'
                 '<number:year number:style="long"/></number:date-style>'),
    "date_iso": (f'<number:date-style style:name="N_date_iso" {_LANG}>'
                 '<number:year number:style="long"/><number:text>-</number:text>'
                 '<number:month number:style="long"/><number:text>-</number:text>'
                 '<number:day number:style="long"/></number:date-style>'),
    "date_dmy": (f'<number:date-style style:name="N_date_dmy" {_LANG}>'
                 '<number:day number:style="long"/><number:text>-</number:text>'
                 '<number:month number:textual="true"/><number:text>-</number:text>'
                 '<number:year number:style="long"/></number:date-style>'),
    "date_long": (f'<number:date-style style:name="N_date_long" {_LANG}>'
                  '<number:month number:style="long" number:textual="true"/><number:text> </number:text>'
                  '<number:day/><number:text>, </number:text>'
                  '<number:year number:style="long"/></number:date-style>'),
}


# ---------------------------------------------------------------------------
# Sheet model.

class Cell:
    """One printed sheet cell. value is str (text), int/float or a date."""

    def __init__(self, value, fmt=None, bold=False, align=None, valign=None,
                 border=False, wrap=False, fill=None, italic=False, size=None,
                 rowspan=1, colspan=1, rule_top=None, rule_bottom=None,
                 overflow=False):
        self.value = value
        self.fmt = fmt
        self.bold = bold
        self.align = align
        self.valign = valign
        self.border = border
        self.wrap = wrap
        self.fill = fill
        self.italic = italic
        self.size = size
        self.rowspan = rowspan
        self.colspan = colspan
        self.rule_top = rule_top        # e.g. "1pt solid #000000"
        self.rule_bottom = rule_bottom
        self.overflow = overflow        # text may run into empty cells to its right

    @property
    def text(self):
        if self.value is None:
            return ""
        if isinstance(self.value, str):
            return self.value
        return fmt_value(self.fmt or "general", self.value)

    def style_key(self):
        return (self.fmt, self.bold, self.align, self.valign, self.border, self.wrap,
                self.fill, self.italic, self.size, self.rule_top, self.rule_bottom)


class Sheet:
    def __init__(self, name="Sheet1"):
        self.name = name
        self.cells = {}          # (row, col) -> Cell; covered positions are absent
        self.col_widths = {}     # col -> inches (fixed); others are computed
        self.repeat_rows = None  # (first, last) rows printed on every page
        self.pad = 9.0           # pt added to the widest text of a column
        self.font = FONT         # default font of every cell
        self.font_size = FONT_SIZE

    def put(self, r, c, cell):
        self.cells[(r, c)] = cell
        return cell

    def row(self, r, c0, values, **style):
        for i, v in enumerate(values):
            if isinstance(v, Cell):
                self.put(r, c0 + i, v)
            else:
                self.put(r, c0 + i, Cell(v, **style))

    def covered(self):
        cov = set()
        for (r, c), cell in self.cells.items():
            for dr in range(cell.rowspan):
                for dc in range(cell.colspan):
                    if dr or dc:
                        cov.add((r + dr, c + dc))
        return cov

    def extent(self):
        rows = max(r + cl.rowspan - 1 for (r, c), cl in self.cells.items()) + 1
        cols = max(c + cl.colspan - 1 for (r, c), cl in self.cells.items()) + 1
        return rows, cols

    def widths(self):
        """Column widths in inches: fixed ones as given, others fit to text."""
        _, ncols = self.extent()
        out = []
        for c in range(ncols):
            if c in self.col_widths:
                out.append(self.col_widths[c])
                continue
            need = 0.0
            for (r, cc), cell in self.cells.items():
                if cc != c or cell.colspan != 1 or cell.overflow or cell.wrap:
                    continue
                w = text_width_pt(cell.text, cell.bold, cell.size or self.font_size, self.font)
                need = max(need, w)
            # LibreOffice pads a cell by about 1.4 pt each side.
            out.append(round(max(need + self.pad, 28.0) / 72.0 + 0.005, 2))
        # Check text that must fit as is: spans and wrapped words.
        for (r, c), cell in self.cells.items():
            if cell.overflow:
                continue
            avail = sum(out[c:c + cell.colspan]) * 72.0 - 6.0
            size = cell.size or self.font_size
            if cell.wrap:
                longest = max((text_width_pt(w, cell.bold, size, self.font) for w in cell.text.split()),
                              default=0)
                assert longest <= avail, (self.name, r, c, cell.text)
            else:
                assert text_width_pt(cell.text, cell.bold, size, self.font) <= avail, (r, c, cell.text, avail)
        return out


class PageSetup:
    def __init__(self, landscape=False, footer=None, margins=(0.75, 0.5, 0.75, 0.5),
                 center_h=False):
        self.landscape = landscape
        self.footer = footer            # "page_of" prints "Page N of M" centred
        self.margins = margins          # top, right, bottom, left (inches)
        self.center_h = center_h


class Case:
    def __init__(self, name, mode, pages, sheet, tables, about, tests,
                 page=None, extra_text=()):
        self.name = name
        self.mode = mode
        self.pages = pages
        self.sheet = sheet
        self.tables = tables            # [(row0, col0, nrows, ncols)], reading order
        self.about = about
        self.tests = tests
        self.page = page or PageSetup()
        self.extra_text = list(extra_text)  # printed text outside every table

    def expected(self):
        cov = self.sheet.covered()
        out_tables, out_spans = [], []
        for (r0, c0, nr, nc) in self.tables:
            grid, spans = [], []
            for r in range(r0, r0 + nr):
                row = []
                for c in range(c0, c0 + nc):
                    cell = self.sheet.cells.get((r, c))
                    if cell is None or (r, c) in cov:
                        row.append("")
                        continue
                    row.append(" ".join(cell.text.split()))
                    if cell.rowspan > 1 or cell.colspan > 1:
                        assert r + cell.rowspan <= r0 + nr and c + cell.colspan <= c0 + nc
                        spans.append([r - r0, c - c0, cell.rowspan, cell.colspan])
                grid.append(row)
            out_tables.append(grid)
            out_spans.append(spans)
        doc = {"source": "libreoffice", "pages": self.pages, "mode": self.mode,
               "complete": True, "tables": out_tables}
        if any(out_spans):
            doc["spans"] = out_spans
        return doc


# ---------------------------------------------------------------------------
# Flat ODF writer.

NS = {
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "style": "urn:oasis:names:tc:opendocument:xmlns:style:1.0",
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "fo": "urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0",
    "number": "urn:oasis:names:tc:opendocument:xmlns:datastyle:1.0",
    "svg": "urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0",
}

BORDER = "0.75pt solid #000000"


def col_letter(c):
    s = ""
    c += 1
    while c:
        c, rem = divmod(c - 1, 26)
        s = chr(65 + rem) + s
    return s


def cell_style_xml(name, key):
    (fmt, bold, align, valign, border, wrap, fill, italic, size, rule_top, rule_bottom) = key
    ds = f' style:data-style-name="N_{fmt}"' if fmt else ""
    tcp = []
    if border:
        tcp.append(f'fo:border="{BORDER}"')
    else:
        if rule_top:
            tcp.append(f'fo:border-top="{rule_top}"')
        if rule_bottom:
            tcp.append(f'fo:border-bottom="{rule_bottom}"')
    if wrap:
        tcp.append('fo:wrap-option="wrap"')
    if fill:
        tcp.append(f'fo:background-color="{fill}"')
    tcp.append(f'style:vertical-align="{valign or "bottom"}"')
    if align:
        tcp.append('style:text-align-source="fix" style:repeat-content="false"')
    out = [f'<style:style style:name="{name}" style:family="table-cell" '
           f'style:parent-style-name="Default"{ds}>',
           f'<style:table-cell-properties {" ".join(tcp)}/>']
    if align:
        out.append(f'<style:paragraph-properties fo:text-align="{align}" fo:margin-left="0in"/>')
    tp = []
    if bold:
        tp.append('fo:font-weight="bold" style:font-weight-asian="bold" style:font-weight-complex="bold"')
    if italic:
        tp.append('fo:font-style="italic" style:font-style-asian="italic" style:font-style-complex="italic"')
    if size:
        tp.append(f'fo:font-size="{size}pt" style:font-size-asian="{size}pt" style:font-size-complex="{size}pt"')
    if tp:
        out.append(f'<style:text-properties {" ".join(tp)}/>')
    out.append("</style:style>")
    return "".join(out)


def cell_xml(cell, style):
    attrs = [f'table:style-name="{style}"']
    if cell.rowspan > 1:
        attrs.append(f'table:number-rows-spanned="{cell.rowspan}"')
    if cell.colspan > 1:
        attrs.append(f'table:number-columns-spanned="{cell.colspan}"')
    v = cell.value
    if v is None:
        return f'<table:table-cell {" ".join(attrs)}/>'
    if isinstance(v, str):
        attrs.append('office:value-type="string"')
    elif isinstance(v, dt.date):
        attrs.append(f'office:value-type="date" office:date-value="{v.isoformat()}"')
    elif cell.fmt in ("pct0", "pct1"):
        attrs.append(f'office:value-type="percentage" office:value="{v!r}"')
    elif cell.fmt in ("usd", "usd0"):
        attrs.append(f'office:value-type="currency" office:currency="USD" office:value="{v!r}"')
    else:
        attrs.append(f'office:value-type="float" office:value="{v!r}"')
    return f'<table:table-cell {" ".join(attrs)}><text:p>{escape(cell.text)}</text:p></table:table-cell>'


def write_fods(case, path):
    sh, page = case.sheet, case.page
    nrows, ncols = sh.extent()
    widths = sh.widths()
    cov = sh.covered()

    styles = {}

    def style_of(cell):
        key = cell.style_key()
        if key not in styles:
            styles[key] = f"ce{len(styles) + 1}"
        return styles[key]

    body = []
    body.append(f'<table:table table:name="{sh.name}" table:style-name="ta1" '
                f'table:print-ranges="{sh.name}.A1:{sh.name}.{col_letter(ncols - 1)}{nrows}">')
    for c, w in enumerate(widths):
        body.append(f'<table:table-column table:style-name="co{c + 1}" '
                    'table:default-cell-style-name="Default"/>')
    for r in range(nrows):
        if sh.repeat_rows and r == sh.repeat_rows[0]:
            body.append("<table:table-header-rows>")
        body.append('<table:table-row table:style-name="ro1">')
        for c in range(ncols):
            if (r, c) in cov:
                # Covered cells carry the style of the span that covers them.
                anchor = next(cl for (ar, ac), cl in sh.cells.items()
                              if ar <= r < ar + cl.rowspan and ac <= c < ac + cl.colspan)
                body.append(f'<table:covered-table-cell table:style-name="{style_of(anchor)}"/>')
            elif (r, c) in sh.cells:
                cell = sh.cells[(r, c)]
                body.append(cell_xml(cell, style_of(cell)))
            else:
                body.append("<table:table-cell/>")
        body.append("</table:table-row>")
        if sh.repeat_rows and r == sh.repeat_rows[1]:
            body.append("</table:table-header-rows>")
    body.append("</table:table>")

    pw, ph = (11, 8.5) if page.landscape else (8.5, 11)
    mt, mr, mb, ml = page.margins
    auto = []
    for c, w in enumerate(widths):
        auto.append(f'<style:style style:name="co{c + 1}" style:family="table-column">'
                    f'<style:table-column-properties fo:break-before="auto" style:column-width="{w:.3f}in"/>'
                    '</style:style>')
    auto.append('<style:style style:name="ro1" style:family="table-row">'
                '<style:table-row-properties fo:break-before="auto" style:use-optimal-row-height="true"/>'
                '</style:style>')
    auto.append('<style:style style:name="ta1" style:family="table" style:master-page-name="PageStyle1">'
                '<style:table-properties table:display="true" style:writing-mode="lr-tb"/></style:style>')
    used_fmts = sorted({k[0] for k in styles if k[0]})
    for f in used_fmts:
        auto.append(DATA_STYLES[f])
    for key, name in styles.items():
        auto.append(cell_style_xml(name, key))
    center = ' style:table-centering="horizontal"' if page.center_h else ""
    auto.append(
        '<style:page-layout style:name="pm1"><style:page-layout-properties '
        f'fo:page-width="{pw}in" fo:page-height="{ph}in" style:num-format="1" '
        f'style:print-orientation="{"landscape" if page.landscape else "portrait"}" '
        f'fo:margin-top="{mt}in" fo:margin-bottom="{mb}in" fo:margin-left="{ml}in" fo:margin-right="{mr}in" '
        'style:print-page-order="ttb" style:first-page-number="continue" style:scale-to="100%" '
        f'style:writing-mode="lr-tb" style:print="charts drawings objects zero-values"{center}/>'
        '<style:header-style/>'
        '<style:footer-style><style:header-footer-properties fo:min-height="0.2in" '
        'fo:margin-left="0in" fo:margin-right="0in" fo:margin-top="0.1in"/></style:footer-style>'
        '</style:page-layout>')

    if page.footer == "page_of":
        footer = ('<style:header style:display="false"/><style:footer><style:region-center>'
                  '<text:p>Page <text:page-number>1</text:page-number> of '
                  '<text:page-count>1</text:page-count></text:p></style:region-center></style:footer>')
    else:
        footer = '<style:header style:display="false"/><style:footer style:display="false"/>'

    font, font_size = sh.font, sh.font_size
    nsdecl = " ".join(f'xmlns:{k}="{v}"' for k, v in NS.items())
    doc = f'''<?xml version="1.0" encoding="UTF-8"?>
<office:document {nsdecl} office:version="1.3" office:mimetype="application/vnd.oasis.opendocument.spreadsheet">
<office:font-face-decls><style:font-face style:name="{font}" svg:font-family="&apos;{font}&apos;" style:font-family-generic="{"roman" if "Serif" in font else "modern" if "Mono" in font else "swiss"}" style:font-pitch="{"fixed" if "Mono" in font else "variable"}"/></office:font-face-decls>
<office:styles>
<style:default-style style:family="table-cell"><style:paragraph-properties style:tab-stop-distance="0.5in"/><style:text-properties style:font-name="{font}" fo:font-size="{font_size:g}pt" fo:language="en" fo:country="US" style:font-name-asian="{font}" style:font-name-complex="{font}"/></style:default-style>
<style:style style:name="Default" style:family="table-cell"><style:text-properties style:font-name="{font}" fo:font-size="{font_size:g}pt"/></style:style>
</office:styles>
<office:automatic-styles>
{chr(10).join(auto)}
</office:automatic-styles>
<office:master-styles><style:master-page style:name="PageStyle1" style:page-layout-name="pm1">{footer}</style:master-page></office:master-styles>
<office:body><office:spreadsheet>
{chr(10).join(body)}
</office:spreadsheet></office:body>
</office:document>
'''
    with open(path, "w", encoding="utf-8") as f:
        f.write(doc)


# ---------------------------------------------------------------------------
# Data. Fictional Texas well records (API numbers 42-CCC-NNNNN).

COUNTIES = [("Midland", 329), ("Reeves", 389), ("Loving", 301), ("Martin", 317),
            ("Howard", 227), ("Andrews", 3), ("Ector", 135), ("Karnes", 255),
            ("Upton", 461), ("Glasscock", 173)]
OPERATORS = ["Caprock Energy LLC", "Pecos Basin Oper. Co.", "Lone Mesa Resources",
             "Red Draw Petroleum", "Sandhill Expl. LP", "Tascosa Oil & Gas",
             "Mustang Creek Oper.", "Wolfcamp Royalty LP"]
LEASES = ["Hawkins", "Cowden Ranch", "Bledsoe", "Tom Bell", "Pinnacle State", "Salt Flat",
          "Mesquite Draw", "Hutto", "Blue Jay Unit", "Canyon Wren", "Dollarhide", "Emma Lou",
          "Frying Pan", "Garden City", "Hackberry", "Iatan", "Jal Draw", "Kermit North",
          "Longhorn", "Monahans", "Nolan", "Odessa Gap", "Penwell", "Quito West"]
FIELDS = ["Spraberry (Trend Area)", "Phantom (Wolfcamp)", "Wolfbone", "Eagleford",
          "Garden City, S. (Wolfcamp)", "Fuhrman-Mascho", "Goldsmith", "Sugarkane"]
STATUSES = ["Producing", "Shut-in", "Plugged", "Permitted", "Drilling", "Inactive"]
FORMATIONS = ["Wolfcamp A", "Wolfcamp B", "Spraberry", "Bone Spring", "Eagle Ford", "Dean"]


def well_rows(rng, n):
    rows = []
    for i in range(n):
        county, code = rng.choice(COUNTIES)
        api = f"42-{code:03d}-{rng.randint(30000, 43999):05d}"
        lease = rng.choice(LEASES)
        name = f"{lease} {rng.randint(1, 48)}{rng.choice(['', '-1H', '-2H', 'H', ' #3'])}"
        spud = dt.date(2015, 1, 1) + dt.timedelta(days=rng.randint(0, 3100))
        depth = rng.randint(5200, 21500)
        rows.append(dict(api=api, name=name, lease=lease, operator=rng.choice(OPERATORS),
                         county=county, field=rng.choice(FIELDS), spud=spud, depth=depth,
                         status=rng.choice(STATUSES), formation=rng.choice(FORMATIONS),
                         type=rng.choice(["Oil", "Oil", "Gas", "SWD", "Injection"])))
    return rows


def hdr(text, **kw):
    kw.setdefault("bold", True)
    kw.setdefault("border", True)
    kw.setdefault("align", "center")
    kw.setdefault("valign", "middle")
    return Cell(text, **kw)


def td(value, fmt=None, **kw):
    kw.setdefault("border", True)
    if fmt and "align" not in kw:
        kw["align"] = "end"
    return Cell(value, fmt=fmt, **kw)


# ---------------------------------------------------------------------------
# Cases.

def case_bordered_grid():
    rng = random.Random(101)
    sh = Sheet()
    head = ["API Number", "Well Name", "Operator", "County", "Type", "Spud Date",
            "Depth (ft)", "Status"]
    sh.row(0, 0, [hdr(h) for h in head])
    for i, w in enumerate(well_rows(rng, 20), start=1):
        sh.row(i, 0, [td(w["api"]), td(w["name"]), td(w["operator"]), td(w["county"]),
                      td(w["type"]), td(w["spud"], "date_mdy"), td(w["depth"], "int"),
                      td(w["status"])])
    return Case("bordered_grid", "lattice", [1], sh, [(0, 0, 21, 8)],
                "Well records: 8 columns x 20 rows plus a bold header row, every cell ruled.",
                "The basic ruled (lattice) table: grid lines, text/number/date columns, "
                "numbers right-aligned, header centred.")


def case_merged_header():
    rng = random.Random(202)
    sh = Sheet()
    # Two header rows: "Well" and "Status" span both; "Location" spans 3 columns,
    # "Production (2023)" spans 2 columns.
    sh.put(0, 0, hdr("Well", rowspan=2))
    sh.put(0, 1, hdr("Location", colspan=3))
    sh.put(0, 4, hdr("Production (2023)", colspan=2))
    sh.put(0, 6, hdr("Status", rowspan=2))
    sh.row(1, 1, [hdr(h) for h in ["County", "Field", "Section", "Oil (bbl)", "Gas (mcf)"]])
    for i, w in enumerate(well_rows(rng, 12), start=2):
        sh.row(i, 0, [td(w["name"]), td(w["county"]), td(w["field"]),
                      td(f"{rng.randint(1, 36)}-{rng.choice('ABCDT')}{rng.randint(1, 9)}"),
                      td(rng.randint(1500, 185000), "int"), td(rng.randint(4000, 990000), "int"),
                      td(w["status"])])
    return Case("merged_header", "lattice", [1], sh, [(0, 0, 14, 7)],
                "Production table with a two-row header: 'Location' spans 3 columns, "
                "'Production (2023)' spans 2, 'Well' and 'Status' span both header rows.",
                "Merged cells (column and row spans) in a ruled table; spans reported in "
                "\"spans\" as [row, col, rowspan, colspan].")


REMARKS = [
    "Surface casing set at 1,850 ft and cemented to surface; no returns lost.",
    "Well shut in pending pipeline connection.",
    "Operator reported a stuck pipe incident at 9,420 ft; fished and resumed drilling after two days.",
    "OK",
    "Annual mechanical integrity test passed. Tubing pressure 0 psi, casing pressure 35 psi.",
    "Plugged and abandoned; location restored and inspected. Final report filed with the district office.",
    "Minor leak at the stuffing box repaired on site.",
    "Completion report late; notice of violation issued.",
    "Recompleted into the upper Spraberry. Initial potential test scheduled for next month.",
    "No issues found.",
]


def case_wrapped_cells():
    rng = random.Random(303)
    sh = Sheet()
    head = ["Report No.", "Well Name", "Inspection Remarks", "Inspector", "Date",
            "Follow-up Required"]
    sh.row(0, 0, [hdr(h, wrap=True) for h in head])
    inspectors = ["J. Alvarez", "M. Okafor", "S. Lindqvist", "R. Patel", "D. Whitehorse"]
    for i, remark in enumerate(REMARKS, start=1):
        w = well_rows(rng, 1)[0]
        sh.row(i, 0, [td(f"IR-2024-{rng.randint(100, 999)}", valign="top"),
                      td(w["name"] + " (" + w["operator"] + ")", wrap=True, valign="top"),
                      td(remark, wrap=True, valign="top"),
                      td(rng.choice(inspectors), valign="top"),
                      td(dt.date(2024, 1, 8) + dt.timedelta(days=9 * i), "date_mdy", valign="top"),
                      td(rng.choice(["Yes", "No"]), valign="top", align="center")])
    sh.col_widths.update({1: 1.35, 2: 2.3, 5: 0.8})
    return Case("wrapped_cells", "lattice", [1], sh, [(0, 0, 11, 6)],
                "Inspection log whose well-name and remarks columns wrap long text over "
                "several lines; the header's 'Follow-up Required' wraps too.",
                "Multi-line cells: lines of one cell must be joined (with one space) and "
                "not split into extra rows; cells top-aligned next to taller neighbours.")


def case_numbers_dates():
    sh = Sheet()
    head = ["Item", "Amount", "Net (acct.)", "Share", "Unit Price",
            "Invoice Date", "Due Date", "Paid On"]
    sh.row(0, 0, [hdr(h) for h in head])
    data = [
        ("Lease bonus", 1234567.89, -1875.25, 0.125, 4250.0,
         dt.date(2024, 1, 15), dt.date(2024, 2, 14), dt.date(2024, 2, 9)),
        ("Royalty, oil", 987654.32, 30012.4, 0.1875, 78.42,
         dt.date(2024, 2, 1), dt.date(2024, 3, 2), dt.date(2024, 3, 1)),
        ("Royalty, gas", 45210.0, -0.75, 0.0625, 2.87,
         dt.date(2024, 2, 29), dt.date(2024, 3, 30), dt.date(2024, 4, 2)),
        ("Shut-in payment", 12.0, 0.0, 0.0, 12.0,
         dt.date(2024, 3, 31), dt.date(2024, 4, 30), dt.date(2024, 4, 30)),
        ("Severance tax", -98765.43, -1234567.89, -0.046, -1.05,
         dt.date(2024, 4, 10), dt.date(2024, 5, 10), dt.date(2024, 5, 20)),
        ("Transportation", 3005000.0, 1000000.0, 1.0, 0.35,
         dt.date(2024, 6, 30), dt.date(2024, 7, 30), dt.date(2024, 7, 1)),
        ("Water disposal", 7890.1, -12.34, 0.333, 0.6,
         dt.date(2024, 10, 5), dt.date(2024, 11, 4), dt.date(2024, 11, 4)),
        ("Adjustment", -0.01, 5.0, -0.125, -1250000.0,
         dt.date(2024, 12, 31), dt.date(2025, 1, 30), dt.date(2025, 1, 2)),
    ]
    fmts = [None, "dec2", "paren2", "pct1", "usd", "date_mdy", "date_dmy", "date_long"]
    for i, row in enumerate(data, start=1):
        sh.row(i, 0, [td(v, f) for v, f in zip(row, fmts)])
    total = round(sum(r[1] for r in data), 2)
    sh.row(len(data) + 1, 0, [hdr("Total", align="start"), td(total, "dec2", bold=True)]
           + [td(None) for _ in range(6)])
    return Case("numbers_dates", "lattice", [1], sh, [(0, 0, len(data) + 2, 8)],
                "Ledger with #,##0.00 amounts (1,234,567.89), negatives with a minus sign "
                "and in accounting parentheses, 0.0% percentages, $ currency, and dates as "
                "MM/DD/YYYY, DD-MMM-YYYY and 'Month D, YYYY'; a bold total row with empty cells.",
                "Formatted values must come back exactly as printed (separators, signs, "
                "parentheses, %, $); text with commas and spaces stays in one cell.")


def case_empty_cells():
    rng = random.Random(505)
    sh = Sheet()
    head = ["Lease", "Well No.", "Oil (bbl)", "Gas (mcf)", "Water (bbl)", "Days On", "Remarks"]
    sh.row(0, 0, [hdr(h) for h in head])
    rows = []
    for i in range(14):
        w = well_rows(rng, 1)[0]
        rows.append([w["lease"],
                     f"{rng.randint(1, 30)}H", rng.randint(0, 25000), rng.randint(0, 90000),
                     rng.randint(0, 40000), rng.randint(1, 31), rng.choice(["", "", "Rod pump", "ESP", "Flowing"])])
    # Holes, as (data row, column): blank lease cells (3, 4 and 12, read as "same
    # lease as above"), a whole blank row (7), a row with only its first and last
    # cells (8), scattered blanks, a blank last cell in the last row (13).
    blanks = {(3, 0), (4, 0), (2, 3), (5, 2), (5, 4), (9, 5), (10, 1), (10, 2), (10, 3),
              (11, 4), (13, 6), (12, 0), (12, 3)}
    rows[7] = [None] * 7
    rows[8] = [rows[8][0], None, None, None, None, None, "Well down all month"]
    for r, row in enumerate(rows, start=1):
        cells = []
        for c, v in enumerate(row):
            if (r - 1, c) in blanks or v == "":
                v = None
            fmt = "int" if c in (2, 3, 4, 5) else None
            cells.append(td(v, fmt))
        sh.row(r, 0, cells)
    return Case("empty_cells", "lattice", [1], sh, [(0, 0, 15, 7)],
                "Monthly production report with blank cells: blank first-column cells, "
                "a completely blank ruled row in the middle, rows with only one or two "
                "values, blanks in the last column.",
                "Empty cells keep their position (\"\"), an empty ruled row is kept as a "
                "row of empty strings, and values are not shifted left into gaps.")


def case_multipage():
    rng = random.Random(606)
    sh = Sheet()
    head = ["#", "API Number", "Well Name", "Operator", "Test Date", "Oil (bbl/d)",
            "Gas (mcf/d)", "GOR"]
    sh.row(0, 0, [hdr(h, fill="#D9D9D9") for h in head])
    n = 150
    for i, w in enumerate(well_rows(rng, n), start=1):
        oil = round(rng.uniform(2, 1400), 1)
        gas = rng.randint(5, 4800)
        sh.row(i, 0, [td(i, "general"), td(w["api"]), td(w["name"]), td(w["operator"]),
                      td(dt.date(2023, 1, 1) + dt.timedelta(days=rng.randint(0, 364)),
                                          "date_mdy"),
                      td(oil, "dec1"), td(gas, "int"), td(round(gas * 1000 / oil), "int")])
    sh.repeat_rows = (0, 0)
    return Case("multipage", "lattice", [1, 2, 3], sh, [(0, 0, n + 1, 8)],
                "Well test table of 150 rows printed over 3 pages; the shaded header row "
                "is repeated at the top of every page ('rows to repeat') and each page "
                "has a 'Page N of 3' footer.",
                "Stitching a table continued over pages into ONE table with the header "
                "once (repeated headers dropped) and the page footers left out.",
                page=PageSetup(footer="page_of"), extra_text=["Page 1 of 3", "Page 2 of 3", "Page 3 of 3"])


def case_two_tables():
    rng = random.Random(707)
    sh = Sheet()
    sh.put(0, 0, Cell("Table 1. Active wells by county", bold=True, overflow=True))
    head1 = ["County", "Wells", "Oil (bbl)", "Gas (mcf)"]
    sh.row(1, 0, [hdr(h) for h in head1])
    for i, (county, _) in enumerate(COUNTIES[:6], start=2):
        sh.row(i, 0, [td(county), td(rng.randint(40, 900), "int"),
                      td(rng.randint(100000, 9000000), "int"), td(rng.randint(300000, 30000000), "int")])
    r0 = 2 + 6 + 3
    sh.put(r0, 0, Cell("Table 2. Permits issued, 2024", bold=True, overflow=True))
    head2 = ["Permit No.", "Operator", "Lease", "Well", "Type", "Approved"]
    sh.row(r0 + 1, 0, [hdr(h) for h in head2])
    for i in range(9):
        w = well_rows(rng, 1)[0]
        sh.row(r0 + 2 + i, 0, [td(f"{rng.randint(880000, 899999)}"), td(w["operator"]),
                               td(w["lease"]), td(f"{rng.randint(1, 20)}H"),
                               td(rng.choice(["New drill", "Re-entry", "Recompletion"])),
                               td(dt.date(2024, 1, 1) + dt.timedelta(days=rng.randint(0, 360)), "date_mdy")])
    return Case("two_tables", "lattice", [1], sh, [(1, 0, 7, 4), (r0 + 1, 0, 10, 6)],
                "Two ruled tables on one page, one under the other with three blank rows "
                "between them: 4 columns x 7 rows and 6 columns x 10 rows, each under a "
                "bold caption line (not part of the tables).",
                "Several tables on one page kept apart, in reading order; captions outside "
                "the rules are not table cells. The tables share the sheet's column grid, "
                "so their column boundaries partly coincide.",
                extra_text=["Table 1. Active wells by county", "Table 2. Permits issued, 2024"])


def case_borderless():
    rng = random.Random(808)
    sh = Sheet()
    sh.pad = 22.0  # unruled: keep a clear gutter between columns
    head = ["Lease", "Operator", "County", "Wells", "Oil (bbl)", "Gas (mcf)", "Change"]
    sh.row(0, 0, [Cell(h, bold=True, align="end" if i >= 3 else "start") for i, h in enumerate(head)])
    for i in range(1, 19):
        w = well_rows(rng, 1)[0]
        sh.row(i, 0, [Cell(w["lease"] if w["lease"].endswith("Unit") else w["lease"] + " Unit"), Cell(w["operator"]), Cell(w["county"]),
                      Cell(rng.randint(1, 64), "int", align="end"),
                      Cell(rng.randint(800, 2500000), "int", align="end"),
                      Cell(rng.randint(1000, 9000000), "int", align="end"),
                      Cell(round(rng.uniform(-0.35, 0.6), 3), "pct1", align="end")])
    return Case("borderless", "stream", [1], sh, [(0, 0, 19, 7)],
                "Lease production summary without any rules or grid lines: text columns "
                "left-aligned, number columns right-aligned, bold header row.",
                "Unruled (stream) detection: rows from baselines, columns from alignment "
                "and gaps; right-aligned numbers of different widths in one column.")


def case_landscape():
    rng = random.Random(909)
    sh = Sheet()
    head = ["API Number", "Lease / Well", "Operator", "County", "Formation", "Spud Date",
            "Completed", "TD (ft)", "Lateral (ft)", "Oil (bbl)", "Gas (mcf)", "Status"]
    sh.row(0, 0, [hdr(h) for h in head])
    for i, w in enumerate(well_rows(rng, 16), start=1):
        comp = w["spud"] + dt.timedelta(days=rng.randint(40, 200))
        sh.row(i, 0, [td(w["api"]), td(w["name"]), td(w["operator"]), td(w["county"]),
                      td(w["formation"]), td(w["spud"], "date_mdy"), td(comp, "date_mdy"),
                      td(w["depth"], "int"), td(rng.randint(4500, 15000), "int"),
                      td(rng.randint(20000, 900000), "int"), td(rng.randint(50000, 3000000), "int"),
                      td(w["status"])])
    return Case("landscape", "lattice", [1], sh, [(0, 0, 17, 12)],
                "Completion report 12 columns wide on a landscape US Letter page "
                "(11 x 8.5 in), too wide for portrait.",
                "Landscape page geometry (the page is printed with a landscape MediaBox); "
                "many narrow columns.",
                page=PageSetup(landscape=True, margins=(0.6, 0.5, 0.6, 0.5)))


def case_price_list():
    sh = Sheet()
    sh.put(0, 0, Cell("Permian Supply Co. - Wellsite Price List", bold=True, size=14, overflow=True))
    sh.put(1, 0, Cell("Effective March 1, 2024. Prices in USD, FOB Midland, TX.", italic=True,
                      overflow=True))
    head = ["Part No.", "Description", "Unit", "List Price", "Discount", "Net Price"]
    sh.row(3, 0, [hdr(h, fill="#DDEBF7") for h in head])
    items = [
        ("SR-0875-22", "Sucker rod, 7/8 in x 25 ft, grade D", "ea", 96.50, 0.10),
        ("SR-1000-22", "Sucker rod, 1 in x 25 ft, grade D", "ea", 128.00, 0.10),
        ("TB-2375-J55", "Tubing 2-3/8 in J-55 EUE 8rd", "ft", 6.85, 0.05),
        ("TB-2875-L80", "Tubing 2-7/8 in L-80 EUE 8rd", "ft", 11.40, 0.05),
        ("PK-AS1X-55", "Packer, AS1-X 5-1/2 in", "ea", 3450.00, 0.15),
        ("PJ-1062-RHB", "Rod pump 25-106-RHBC-20-4", "ea", 2875.00, 0.12),
        ("CH-0200-SS", "Chemical injection pump, stainless", "ea", 1199.99, 0.0),
        ("VL-0200-BV", "Ball valve 2 in, 3000 psi", "ea", 214.75, 0.08),
        ("MT-FLOW-01", "Flow meter, turbine, 2 in", "ea", 1620.00, 0.0),
        ("SV-CALL-HR", "Service call, per hour", "hr", 145.00, 0.0),
        ("SV-MILE", "Mileage, beyond 50 mi", "mi", 2.25, 0.0),
        ("HT-TRTR-500", "Heater treater 4 ft x 20 ft, 500 psi", "ea", 48500.00, 0.20),
    ]
    for i, (pn, desc, unit, price, disc) in enumerate(items, start=4):
        sh.row(i, 0, [td(pn), td(desc), td(unit, align="center"), td(price, "usd"),
                      td(disc, "pct0"), td(round(price * (1 - disc), 2), "usd")])
    last = 4 + len(items)
    sh.put(last + 1, 0, Cell("* Discounts apply to orders placed before May 31, 2024. "
                             "Freight billed separately.", italic=True, size=8, overflow=True))
    return Case("price_list", "lattice", [1], sh, [(3, 0, len(items) + 1, 6)],
                "Supplier price list: 14 pt title and an italic subtitle above a ruled "
                "table with a shaded header, an 8 pt footnote below it; $ prices and % "
                "discounts.",
                "Text outside the ruled area (title, subtitle, footnote) must not join the "
                "table; fills behind the header are not rules.",
                extra_text=["Permian Supply Co. - Wellsite Price List",
                            "Effective March 1, 2024. Prices in USD, FOB Midland, TX.",
                            "* Discounts apply to orders placed before May 31, 2024. "
                            "Freight billed separately."])


def case_shaded_rows():
    rng = random.Random(1111)
    sh = Sheet()
    sh.pad = 22.0  # unruled: keep a clear gutter between columns
    head = ["Sample ID", "Well Name", "Lithology", "Depth (ft)", "Porosity", "Perm. (mD)", "Sw"]
    sh.row(0, 0, [Cell(h, bold=True, fill="#BDD7EE", align="end" if i >= 3 else "start")
                  for i, h in enumerate(head)])
    for i in range(1, 17):
        w = well_rows(rng, 1)[0]
        fill = "#F2F2F2" if i % 2 == 0 else None
        lith = rng.choice(["Sandstone", "Shale", "Limestone", "Dolomite", "Siltstone"])
        sh.row(i, 0, [Cell(f"C-{rng.randint(1000, 9999)}", fill=fill), Cell(w["name"], fill=fill),
                      Cell(lith, fill=fill),
                      Cell(round(rng.uniform(6000, 11000), 1), "dec1", fill=fill, align="end"),
                      Cell(round(rng.uniform(0.02, 0.16), 3), "pct1", fill=fill, align="end"),
                      Cell(round(rng.uniform(0.01, 25), 2), "dec2", fill=fill, align="end"),
                      Cell(round(rng.uniform(0.15, 0.9), 2), "dec2", fill=fill, align="end")])
    return Case("shaded_rows", "stream", [1], sh, [(0, 0, 17, 7)],
                "Core analysis results with no rules: a blue header fill and light grey "
                "fills on every other row (banded rows) instead of borders.",
                "Tables delimited by cell fills only: filled rectangles are not cell "
                "rules, so the table is found by text alignment (or by the fill bands).")


def case_header_rules():
    rng = random.Random(1212)
    sh = Sheet()
    sh.pad = 22.0  # unruled: keep a clear gutter between columns
    rule = "0.75pt solid #000000"
    head = ["Month", "Wells", "Oil (bbl)", "Gas (mcf)", "Water (bbl)", "Avg. Price ($/bbl)"]
    sh.row(0, 0, [Cell(h, bold=True, rule_top=rule, rule_bottom=rule,
                       align="start" if i == 0 else "end") for i, h in enumerate(head)])
    for m in range(12):
        last = m == 11
        rb = rule if last else None
        sh.row(m + 1, 0, [Cell(MONTHS[m] + " 2023", rule_bottom=rb),
                          Cell(rng.randint(180, 240), "int", align="end", rule_bottom=rb),
                          Cell(rng.randint(350000, 520000), "int", align="end", rule_bottom=rb),
                          Cell(rng.randint(900000, 1400000), "int", align="end", rule_bottom=rb),
                          Cell(rng.randint(600000, 1100000), "int", align="end", rule_bottom=rb),
                          Cell(round(rng.uniform(68, 92), 2), "usd", align="end", rule_bottom=rb)])
    return Case("header_rules", "stream", [1], sh, [(0, 0, 13, 6)],
                "Monthly totals with horizontal rules only: above and below the header "
                "and under the last row, no vertical lines (a common 'table style' print).",
                "Partly ruled table: the horizontal rules do not form cells, so columns "
                "must come from text alignment; the rules bound the table.")


CASES = [case_bordered_grid, case_merged_header, case_wrapped_cells, case_numbers_dates,
         case_empty_cells, case_multipage, case_two_tables, case_borderless, case_landscape,
         case_price_list, case_shaded_rows, case_header_rules]


def all_cases():
    return [f() for f in CASES]


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    for case in all_cases():
        write_fods(case, os.path.join(outdir, case.name + ".fods"))
        with open(os.path.join(outdir, case.name + ".expected.json"), "w", encoding="utf-8") as f:
            json.dump(case.expected(), f, indent=1, ensure_ascii=False)
            f.write("\n")
        print(case.name)


if __name__ == "__main__":
    main()
