package api

import (
	"embed"
	"io/fs"
	"net/http"
)

// web holds the console (web/console) and Swagger UI (web/docs).
//
//go:embed web
var web embed.FS

// static serves the console at / and Swagger UI at /docs/.
func (s *Server) static(mux *http.ServeMux) {
	console, _ := fs.Sub(web, "web/console")
	docs, _ := fs.Sub(web, "web/docs")
	mux.Handle("GET /docs/", http.StripPrefix("/docs/", http.FileServerFS(docs)))
	mux.Handle("GET /docs", http.RedirectHandler("/docs/", http.StatusMovedPermanently))
	mux.Handle("GET /{$}", http.FileServerFS(console))
	mux.Handle("GET /console/", http.StripPrefix("/console/", http.FileServerFS(console)))
}
