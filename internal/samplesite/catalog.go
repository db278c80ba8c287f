package samplesite

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
)

// The catalog's documents are spreadsheets printed to PDF by LibreOffice
// Calc (copies of the extractor's golden cases in
// pipeline/extract/testdata/libreoffice), so a fetched document holds real
// tables: ruled and borderless, wrapped cells, merged headers, several
// pages, two tables on a page.
//
//go:embed documents/*.pdf
var documents embed.FS

// Documents returns the catalog's PDFs, by file name, for [Config.Documents].
func Documents() fs.FS {
	sub, err := fs.Sub(documents, "documents")
	if err != nil {
		panic(err) // the embedded folder is fixed at build time
	}
	return sub
}

// catalogOperators name the operators of catalog records, in turn.
var catalogOperators = []string{
	"Permian Basin Oil Co", "Andrews Energy LLC", "Eddy County Resources",
	"Howard Petroleum", "Midland Royalty Trust", "Pecos Valley Operating",
}

// catalogDocuments are the document types of catalog records, in turn.
var catalogDocuments = []string{"Completion Report", "Well Log", "Production Report", "Plugging Record"}

// CatalogRecords returns n records filed with the catalog's documents in
// turn, one record per API number: 42-100-00000, 42-100-00001, and so on
// (n at most 100000). Use them with [Documents].
func CatalogRecords(n int) []Record {
	if n < 0 || n > 100_000 {
		panic(fmt.Sprintf("samplesite: CatalogRecords(%d): want 0 to 100000", n))
	}
	files, err := fs.Glob(documents, "documents/*.pdf")
	if err != nil || len(files) == 0 {
		panic("samplesite: the catalog has no documents")
	}
	slices.Sort(files)
	out := make([]Record, n)
	for i := range out {
		out[i] = Record{
			ID:        fmt.Sprintf("C%05d", i),
			APINumber: CatalogAPINumber(i),
			Operator:  catalogOperators[i%len(catalogOperators)],
			Lease:     fmt.Sprintf("Section %d Unit %d", i/len(files)+1, i%len(files)+1),
			Document:  catalogDocuments[i%len(catalogDocuments)],
			Filed:     fmt.Sprintf("%02d/%02d/20%02d", i%12+1, i%28+1, 15+i%10),
			File:      path.Base(files[i%len(files)]),
		}
	}
	return out
}

// CatalogAPINumber is the API number of the i-th record of [CatalogRecords].
func CatalogAPINumber(i int) string { return fmt.Sprintf("42-100-%05d", i) }
