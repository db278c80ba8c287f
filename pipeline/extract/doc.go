// Package extract finds the tables in PDF files, in particular PDFs printed
// from spreadsheets, and returns them as rows of cell strings with their
// spans, page numbers and bounding boxes; writers render them as CSV, JSON
// and XLSX.
//
// # Pipeline
//
// A document is parsed with pdfcpu (internal/pdf). Each page's content
// streams are interpreted (internal/content) into positioned glyphs, whose
// Unicode text and advances come from the fonts (internal/font,
// internal/cmap), and into horizontal and vertical line segments. Glyphs
// become words and lines (internal/layout). Tables are found from the grid
// the rules draw (ruled tables, with cells spanning rows and columns) and,
// in the remaining text, from alignment (unruled tables)
// (internal/table). A table that continues on the next page with the same
// columns is stitched into one, its repeated header rows dropped; a table
// there under a header of its own is the next table, not a continuation.
//
// # Coordinates
//
// Bounding boxes are in PDF points on the page as displayed (after the crop
// box and /Rotate are applied), with the origin at the bottom-left corner
// and y growing upwards, as [x0, y0, x1, y1].
//
// # Limits and errors
//
// Hostile files are bounded by [Limits]: decoded stream size, object count,
// nesting depth (q/Q and Form XObjects) and time per page. Exceeding one
// fails with a [*LimitError] naming it. A page that fails is reported in
// [Result.PageErrors] and the other pages still extract; a panic inside a
// page is recovered and reported as that page's error. A file that cannot
// be opened, or that is encrypted with a non-empty user password, fails
// the whole call ([ErrEncrypted]).
package extract
