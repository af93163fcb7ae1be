package apikey

import (
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stepup-auth/stepup/stepup/store"
)

// mapKeys is the smallest store.APIKeys: Get only.
type mapKeys map[string]*store.APIKey

func (m mapKeys) Get(_ context.Context, id string) (*store.APIKey, error) {
	if k, ok := m[id]; ok {
		return k.Clone(), nil
	}
	return nil, store.ErrNotFound
}
func (mapKeys) Create(context.Context, *store.APIKey) error               { return nil }
func (mapKeys) Update(context.Context, *store.APIKey) error               { return nil }
func (mapKeys) Delete(context.Context, string) error                      { return nil }
func (mapKeys) List(context.Context, store.Page) ([]*store.APIKey, error) { return nil, nil }

// The cache holds at most cacheSize records, however many keys are used.
func TestCacheIsBounded(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	keys := mapKeys{}
	var plain []string
	for range cacheSize + 50 {
		k, rec, err := Generate(Server, "k", nil, time.Time{}, now)
		if err != nil {
			t.Fatal(err)
		}
		rec.LastUsedAt = now // no writes in this test
		keys[rec.ID] = rec
		plain = append(plain, k)
	}
	a := New(keys, func() time.Time { return now })
	for _, k := range plain {
		if _, err := a.Verify(context.Background(), Server, k); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(a.cache); n > cacheSize {
		t.Errorf("the cache holds %d records, more than %d", n, cacheSize)
	}
	// The most recent key is cached, whatever was evicted.
	last, _ := parse(plain[len(plain)-1])
	if _, ok := a.cache[last.id]; !ok {
		t.Error("the last key verified is not cached")
	}
}

// The secret's hash is compared in constant time, and nowhere with == or
// !=, which would stop at the first differing byte.
func TestHashComparedInConstantTime(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	constantTime := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(fset, name, src, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.BinaryExpr:
				if (n.Op == token.EQL || n.Op == token.NEQ) && (isHash(n.X) || isHash(n.Y)) {
					t.Errorf("%s: a hash compared with %s", fset.Position(n.Pos()), n.Op)
				}
			case *ast.CallExpr:
				if sel, ok := n.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "ConstantTimeCompare" &&
					len(n.Args) == 2 && mentionsHash(n.Args[0]) && mentionsHash(n.Args[1]) {
					constantTime++
				}
			}
			return true
		})
	}
	if constantTime == 0 {
		t.Error("no subtle.ConstantTimeCompare of the computed and the stored hash")
	}
}

// isHash reports whether e is a stored hash (x.Hash) or a computed one
// (hash(...)).
func isHash(e ast.Expr) bool {
	switch e := e.(type) {
	case *ast.SelectorExpr:
		return e.Sel.Name == "Hash"
	case *ast.CallExpr:
		id, ok := e.Fun.(*ast.Ident)
		return ok && id.Name == "hash"
	case *ast.ParenExpr:
		return isHash(e.X)
	}
	return false
}

func mentionsHash(e ast.Expr) bool {
	found := false
	ast.Inspect(e, func(n ast.Node) bool {
		if x, ok := n.(ast.Expr); ok && isHash(x) {
			found = true
		}
		return !found
	})
	return found
}
