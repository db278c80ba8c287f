package extract

import (
	"encoding/csv"
	"fmt"
	"io"
)

// WriteCSV writes the rows of one table as CSV (RFC 4180, "\n" line
// ends). Cells covered by a span are empty.
func WriteCSV(w io.Writer, t Table) error {
	cw := csv.NewWriter(w)
	for _, r := range t.Rows {
		if err := cw.Write(r); err != nil {
			return fmt.Errorf("extract: write csv: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("extract: write csv: %w", err)
	}
	return nil
}
