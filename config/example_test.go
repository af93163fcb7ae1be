package config

import (
	"bytes"
	"fmt"
	"os"
	"reflect"
	"testing"

	"github.com/goccy/go-yaml/parser"
)

func TestExampleIsValid(t *testing.T) {
	// A fresh machine has none of stepup's variables: the example must
	// validate without them.
	cfg, ps := LoadBytes("example.yaml", Example, fakeEnv(nil))
	if len(ps) != 0 {
		t.Fatalf("example.yaml has problems:\n%s", ps)
	}
	if len(cfg.OIDC.Clients) == 0 || len(cfg.ACR.Aliases) == 0 {
		t.Errorf("example.yaml should show a client and an alias: %+v", cfg)
	}
}

func TestExampleIsEmbedded(t *testing.T) {
	disk, err := os.ReadFile("example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(disk, Example) {
		t.Error("Example differs from example.yaml")
	}
}

// TestExampleHasEveryKey fails when a key is added to Config but not
// documented in example.yaml.
func TestExampleHasEveryKey(t *testing.T) {
	f, err := parser.ParseBytes(Example, 0)
	if err != nil {
		t.Fatal(err)
	}
	d := newDecoder("example.yaml", fakeEnv(map[string]string{"STEPUP_DEMO_SECRET": longSecret}))
	body := f.Docs[0].Body
	d.collectAnchors(body)
	d.decode("", body, reflect.ValueOf(Default()).Elem(), position{1, 1}, false)
	for _, path := range keyPaths("", reflect.TypeFor[Config]()) {
		if _, ok := d.pos[path]; !ok {
			t.Errorf("example.yaml lacks %s", path)
		}
	}
}

// keyPaths lists the key paths of struct type t, with [0] for list elements.
func keyPaths(prefix string, t reflect.Type) []string {
	var paths []string
	for i := range t.NumField() {
		f := t.Field(i)
		path := yamlName(f)
		if prefix != "" {
			path = prefix + "." + path
		}
		paths = append(paths, path)
		// A struct that decodes from text, such as URL or SecretKey, is one
		// value, not a section.
		section := func(t reflect.Type) bool {
			return t.Kind() == reflect.Struct && !reflect.PointerTo(t).Implements(unmarshalType)
		}
		switch ft := f.Type; {
		case section(ft):
			paths = append(paths, keyPaths(path, ft)...)
		case ft.Kind() == reflect.Slice && section(ft.Elem()):
			paths = append(paths, keyPaths(fmt.Sprintf("%s[0]", path), ft.Elem())...)
		}
	}
	return paths
}
