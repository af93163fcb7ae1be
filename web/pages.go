package web

import (
	"bytes"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
)

// SecurityHeaders answers every response of next with the pages' policy:
// ContentSecurityPolicy with forms that stay on this site (a page of a
// flow widens it to the flow's relying party), no MIME sniffing, no referrer (page
// addresses carry flow tokens, codes and states), and no caching (pages
// carry flow and CSRF tokens; the stylesheet is small enough to follow the
// same rule).
func SecurityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", ContentSecurityPolicy(""))
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

// Pages are html/template pages on the hosted pages' layout (and so their
// stylesheet): the hosted pages' own, and the demo's.
type Pages struct {
	byName map[string]*template.Template
	log    *slog.Logger
}

// NewPages parses, for each name, templates/<name>.html of fsys, with the
// shared files of fsys, over the layout. It panics on a template error:
// the templates are embedded, fixed at build time.
func NewPages(fsys fs.FS, log *slog.Logger, shared []string, names ...string) *Pages {
	layout := template.Must(template.ParseFS(assets, "templates/layout.html"))
	p := &Pages{byName: make(map[string]*template.Template), log: log}
	for _, name := range names {
		files := append(append([]string{}, shared...), "templates/"+name+".html")
		p.byName[name] = template.Must(template.Must(layout.Clone()).ParseFS(fsys, files...))
	}
	return p
}

// Render writes page name with data whole or not at all: it is executed
// into a buffer first, so a template error cannot leave half a page behind
// a 200.
func (p *Pages) Render(w http.ResponseWriter, status int, name string, data any) {
	var buf bytes.Buffer
	if err := p.byName[name].ExecuteTemplate(&buf, "layout", data); err != nil {
		p.log.Error("web: render page", "page", name, "err", err)
		http.Error(w, "Internal Server Error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}
