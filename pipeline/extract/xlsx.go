package extract

import (
	"fmt"
	"io"

	"github.com/xuri/excelize/v2"
)

// maxSheetRows is the row limit of an Excel worksheet.
const maxSheetRows = 1_048_576

// WriteXLSX writes a workbook with one worksheet per table ("Table 1",
// "Table 2", …; one empty sheet when there are none). Cell texts are
// written as strings, exactly as printed; spans become merged cells.
func WriteXLSX(w io.Writer, r Result) (err error) {
	f := excelize.NewFile()
	defer func() {
		if cerr := f.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("extract: write xlsx: %w", cerr)
		}
	}()
	for i, t := range r.Tables {
		name := fmt.Sprintf("Table %d", i+1)
		if i == 0 {
			if err := f.SetSheetName("Sheet1", name); err != nil {
				return fmt.Errorf("extract: write xlsx: %w", err)
			}
		} else if _, err := f.NewSheet(name); err != nil {
			return fmt.Errorf("extract: write xlsx: %w", err)
		}
		if len(t.Rows) > maxSheetRows {
			return fmt.Errorf("extract: write xlsx: table %d has %d rows, more than a worksheet holds", i+1, len(t.Rows))
		}
		for ri, row := range t.Rows {
			for ci, v := range row {
				if v == "" {
					continue
				}
				cell, err := excelize.CoordinatesToCellName(ci+1, ri+1)
				if err != nil {
					return fmt.Errorf("extract: write xlsx: %w", err)
				}
				if err := f.SetCellStr(name, cell, v); err != nil {
					return fmt.Errorf("extract: write xlsx: %w", err)
				}
			}
		}
		for _, s := range t.Spans {
			tl, err1 := excelize.CoordinatesToCellName(s.Col+1, s.Row+1)
			br, err2 := excelize.CoordinatesToCellName(s.Col+s.ColSpan, s.Row+s.RowSpan)
			if err1 != nil || err2 != nil {
				continue
			}
			if err := f.MergeCell(name, tl, br); err != nil {
				return fmt.Errorf("extract: write xlsx: merge %s:%s: %w", tl, br, err)
			}
		}
	}
	if _, err := f.WriteTo(w); err != nil {
		return fmt.Errorf("extract: write xlsx: %w", err)
	}
	return nil
}
