package api

import (
	"embed"
	"io/fs"
	"net/http"
)

// web holds the console (web/console) and Swagger UI (web/docs, see its
// README for the version and licence of the files from swagger-ui-dist).
//
//go:embed web
var web embed.FS

// static serves the console at / and Swagger UI at /docs/.
func (s *Server) static(mux *http.ServeMux) {
	console, err := fs.Sub(web, "web/console")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	docs, err := fs.Sub(web, "web/docs")
	if err != nil {
		panic(err)
	}
	// The console loads only its own files and calls only this server.
	consoleFiles := secured("default-src 'self'", http.FileServerFS(console))
	mux.Handle("GET /{$}", consoleFiles)
	mux.Handle("GET /console/", http.StripPrefix("/console/", consoleFiles))
	// Swagger UI inlines styles and images as data: URLs.
	mux.Handle("GET /docs/", http.StripPrefix("/docs/", secured("default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:", http.FileServerFS(docs))))
	mux.Handle("GET /docs", http.RedirectHandler("/docs/", http.StatusMovedPermanently))
}

// secured adds the page's content security policy and refuses framing.
func secured(csp string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", csp+"; frame-ancestors 'none'")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		h.ServeHTTP(w, r)
	})
}
