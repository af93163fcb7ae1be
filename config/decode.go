package config

import (
	"encoding"
	"fmt"
	"log/slog"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"
	"github.com/stepup-auth/stepup/acr"
)

// The decoder walks the YAML syntax tree against the Go types itself instead
// of using yaml.Unmarshal: that is what lets it report every unknown key and
// every bad value at once, expand ${VAR} in decoded scalars only, and
// remember where each key path is for the validator's messages.

// position is a place in the file; the zero position means "not in the file".
type position struct{ line, col int }

// maxValues bounds the values one file may decode to. Aliases let a small
// file name the same list many times over; a real configuration is far
// smaller than this.
const maxValues = 100_000

// maxNesting bounds chains of aliases and of "<<" merges that merge again;
// an anchor merged into itself would otherwise never end.
const maxNesting = 16

type decoder struct {
	file     string
	env      func(string) (string, bool)
	anchors  map[string][]*ast.AnchorNode // by name, in document order
	pos      map[string]position          // where each decoded key path's value is
	failed   map[string]bool              // key paths whose value could not be decoded
	fromEnv  map[string]bool              // key paths whose value refers to the environment
	values   int                          // values decoded so far, against maxValues
	problems Problems
}

func newDecoder(file string, env func(string) (string, bool)) *decoder {
	if env == nil {
		env = func(string) (string, bool) { return "", false }
	}
	return &decoder{
		file:    file,
		env:     env,
		anchors: map[string][]*ast.AnchorNode{},
		pos:     map[string]position{},
		failed:  map[string]bool{},
		fromEnv: map[string]bool{},
	}
}

func (d *decoder) errorf(at position, path, format string, args ...any) {
	d.problems = append(d.problems, Problem{
		File: d.file, Line: at.line, Column: at.col, Path: path,
		Message: fmt.Sprintf(format, args...), Severity: Error,
	})
}

// fail reports a value that cannot be decoded, and remembers its path so the
// validator does not report the same key again.
func (d *decoder) fail(at position, path, format string, args ...any) {
	d.errorf(at, path, format, args...)
	d.failed[path] = true
}

// collectAnchors indexes every anchor in the document, so aliases resolve
// even when the anchor sits under a key the decoder never visits.
func (d *decoder) collectAnchors(root ast.Node) {
	for _, n := range ast.Filter(ast.AnchorType, root) {
		if a, ok := n.(*ast.AnchorNode); ok {
			name := tokenText(a.Name)
			d.anchors[name] = append(d.anchors[name], a)
		}
	}
}

// resolve looks through anchors, tags and aliases to the node that holds the
// value. An alias refers to the latest anchor of its name before it.
func (d *decoder) resolve(path string, n ast.Node) (ast.Node, bool) {
	for range maxNesting {
		switch v := n.(type) {
		case *ast.AnchorNode:
			n = v.Value
		case *ast.TagNode:
			n = v.Value
		case *ast.AliasNode:
			at, name := posOf(v), tokenText(v.Value)
			var target *ast.AnchorNode
			for _, a := range d.anchors[name] {
				if p := posOf(a); p.line < at.line || p.line == at.line && p.col < at.col {
					target = a
				}
			}
			if target == nil {
				d.fail(at, path, "alias *%s refers to no anchor &%s before it", name, name)
				return nil, false
			}
			n = target.Value
		default:
			return n, true
		}
	}
	d.fail(posOf(n), path, "too many nested aliases")
	return nil, false
}

var (
	durationType  = reflect.TypeFor[time.Duration]()
	slogLevelType = reflect.TypeFor[slog.Level]()
	methodType    = reflect.TypeFor[acr.Method]()
	unmarshalType = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// decode stores node n into v, which is addressable. at is where to report
// a null value, which has no useful position of its own. element says n is a
// list item or mapping value, where null is an error rather than "keep the
// default".
func (d *decoder) decode(path string, n ast.Node, v reflect.Value, at position, element bool) {
	// A null's position is just past the key's colon; the key is clearer.
	if _, null := n.(*ast.NullNode); !null {
		if p := posOf(n); p.line > 0 {
			at = p
		}
	}
	if d.values++; d.values > maxValues {
		if d.values == maxValues+1 {
			d.fail(at, path, "the file holds more than %d values; do its aliases repeat a long list?", maxValues)
		}
		return
	}
	d.pos[path] = at
	n, ok := d.resolve(path, n)
	if !ok {
		return
	}
	if _, null := n.(*ast.NullNode); null || isNil(n) {
		if element {
			d.fail(at, path, "must not be empty")
		}
		return
	}
	t := v.Type()
	switch {
	case t == durationType:
		s, ok := d.scalar(path, n, at)
		if !ok {
			return
		}
		dur, err := time.ParseDuration(s)
		if err != nil {
			d.fail(at, path, "%q is not a duration (want a number and a unit, e.g. 15s, 1m30s, 2h)", s)
			return
		}
		v.SetInt(int64(dur))
	case t == slogLevelType:
		s, ok := d.scalar(path, n, at)
		if !ok {
			return
		}
		l, ok := logLevels[strings.ToLower(s)]
		if !ok {
			d.fail(at, path, "unknown log level %q (want debug, info, warn or error)", s)
			return
		}
		v.Set(reflect.ValueOf(l))
	case reflect.PointerTo(t).Implements(unmarshalType):
		s, ok := d.scalar(path, n, at)
		if !ok {
			return
		}
		if err := v.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(s)); err != nil {
			msg := strings.TrimPrefix(strings.TrimPrefix(err.Error(), "config: "), "acr: ")
			if t == methodType {
				msg += " (want one of " + methodNames() + ")"
			}
			d.fail(at, path, "%s", msg)
		}
	case t.Kind() == reflect.String:
		if s, ok := d.scalar(path, n, at); ok {
			v.SetString(s)
		}
	case t.Kind() == reflect.Bool:
		s, ok := d.scalar(path, n, at)
		if !ok {
			return
		}
		b, ok := bools[s]
		if !ok {
			// YAML 1.1's yes, no, on and off are left out: they are
			// strings in YAML 1.2 and a surprise in either.
			d.fail(at, path, "%q is not a boolean (want true or false)", s)
			return
		}
		v.SetBool(b)
	case t.Kind() == reflect.Int:
		s, ok := d.scalar(path, n, at)
		if !ok {
			return
		}
		i, err := strconv.ParseInt(s, 10, t.Bits())
		if err != nil {
			d.failInt(at, path, s, t.Bits())
			return
		}
		v.SetInt(i)
	case t.Kind() == reflect.Slice:
		d.decodeList(path, n, v, at)
	case t.Kind() == reflect.Map:
		d.decodeMap(path, n, v, at)
	case t.Kind() == reflect.Struct:
		d.decodeStruct(path, n, v, at)
	default:
		// Only reachable if a field of an unsupported type is added to Config.
		d.fail(at, path, "internal error: cannot decode into %s", t)
	}
}

// failInt reports s, which is not a decimal number. Numbers are read in base
// 10 only, with or without leading zeros: YAML 1.1 reads 010000 as octal
// 4096, and a value from ${VAR} is not YAML at all, so any other base would
// be a surprise. A 0x, 0o or 0b prefix is refused by name.
func (d *decoder) failInt(at position, path, s string, bits int) {
	var base string
	switch digits := strings.ToLower(strings.TrimLeft(s, "+-")); {
	case strings.HasPrefix(digits, "0x"):
		base = "hexadecimal"
	case strings.HasPrefix(digits, "0o"):
		base = "octal"
	case strings.HasPrefix(digits, "0b"):
		base = "binary"
	}
	if i, err := strconv.ParseInt(s, 0, bits); base != "" && err == nil {
		d.fail(at, path, "%q is %s; want a decimal number (%d)", s, base, i)
		return
	}
	d.fail(at, path, "%q is not a whole number", s)
}

// bools are YAML 1.2's spellings of true and false.
var bools = map[string]bool{
	"true": true, "True": true, "TRUE": true,
	"false": false, "False": false, "FALSE": false,
}

var logLevels = map[string]slog.Level{
	"debug": slog.LevelDebug,
	"info":  slog.LevelInfo,
	"warn":  slog.LevelWarn,
	"error": slog.LevelError,
}

func methodNames() string {
	var names []string
	for _, m := range acr.Methods() {
		names = append(names, string(m))
	}
	return strings.Join(names, ", ")
}

// scalar returns the text of a scalar node, with ${VAR} expanded in strings.
// Numbers and booleans keep their source text, so a string key accepts
// "id: 123" as "123".
func (d *decoder) scalar(path string, n ast.Node, at position) (string, bool) {
	var s string
	switch v := n.(type) {
	case *ast.StringNode:
		s = v.Value
	case *ast.LiteralNode:
		if v.Value != nil {
			s = v.Value.Value
		}
	case *ast.MappingNode, *ast.MappingValueNode:
		d.fail(at, path, "must be a single value, not a mapping")
		return "", false
	case *ast.SequenceNode:
		d.fail(at, path, "must be a single value, not a list")
		return "", false
	case ast.ScalarNode:
		return tokenText(v), true
	default:
		d.fail(at, path, "must be a single value")
		return "", false
	}
	if strings.Contains(strings.ReplaceAll(s, "$${", ""), "${") {
		d.fromEnv[path] = true
	}
	s, err := expand(s, d.env)
	if err != nil {
		d.fail(at, path, "%s", err)
		return "", false
	}
	return s, true
}

func (d *decoder) decodeList(path string, n ast.Node, v reflect.Value, at position) {
	seq, ok := n.(*ast.SequenceNode)
	if !ok {
		d.fail(at, path, "must be a list")
		return
	}
	list := reflect.MakeSlice(v.Type(), 0, len(seq.Values))
	for i, item := range seq.Values {
		elem := reflect.New(v.Type().Elem())
		if def, ok := elem.Interface().(interface{ setDefaults() }); ok {
			def.setDefaults()
		}
		itemAt := posOf(item) // unlike a mapping value, a null item has its own place
		if itemAt.line == 0 {
			itemAt = at
		}
		d.decode(fmt.Sprintf("%s[%d]", path, i), item, elem.Elem(), itemAt, true)
		list = reflect.Append(list, elem.Elem())
	}
	v.Set(list)
}

func (d *decoder) decodeMap(path string, n ast.Node, v reflect.Value, at position) {
	entries, ok := d.entries(path, n, at, 0)
	if !ok {
		return
	}
	m := reflect.MakeMapWithSize(v.Type(), len(entries))
	for _, e := range entries {
		key := keyText(e.Key)
		sub := fmt.Sprintf("%s[%s]", path, strconv.Quote(key))
		if strings.Contains(key, "${") {
			// Taken as written, "${X}" would be a key nobody means; $${
			// is refused too rather than meaning one thing here and
			// another in a value.
			d.fail(posOf(e.Key), sub, `keys are not expanded, so a key must not contain "${"; only values may read the environment`)
			continue
		}
		elem := reflect.New(v.Type().Elem()).Elem()
		d.decode(sub, e.Value, elem, posOf(e.Key), true)
		m.SetMapIndex(reflect.ValueOf(key).Convert(v.Type().Key()), elem)
	}
	v.Set(m)
}

func (d *decoder) decodeStruct(path string, n ast.Node, v reflect.Value, at position) {
	entries, ok := d.entries(path, n, at, 0)
	if !ok {
		return
	}
	fields := yamlFields(v.Type())
	for _, e := range entries {
		key := keyText(e.Key)
		sub := key
		if path != "" {
			sub = path + "." + key
		}
		i, ok := fields[key]
		if !ok {
			msg := "unknown key"
			if strings.Contains(key, "${") {
				msg += " (keys are not expanded; only values may read the environment)"
			} else if s := suggest(key, v.Type()); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
			d.errorf(posOf(e.Key), sub, "%s", msg)
			continue
		}
		d.decode(sub, e.Value, v.Field(i), posOf(e.Key), false)
	}
}

// entries returns a mapping's key-value pairs with "<<" merges applied: a key
// written in the mapping wins over a merged one, and an earlier merged
// mapping wins over a later one, as YAML's merge key specifies.
func (d *decoder) entries(path string, n ast.Node, at position, depth int) ([]*ast.MappingValueNode, bool) {
	var values []*ast.MappingValueNode
	switch m := n.(type) {
	case *ast.MappingNode:
		values = m.Values
	case *ast.MappingValueNode:
		values = []*ast.MappingValueNode{m}
	default:
		what := "a mapping"
		if path == "" {
			what = "a mapping of sections (" + sectionNames() + ")"
		}
		d.fail(at, path, "must be %s", what)
		return nil, false
	}
	var own, merged []*ast.MappingValueNode
	var sources []ast.Node
	for _, e := range values {
		if !isNil(e.Key) && e.Key.IsMergeKey() {
			sources = append(sources, e.Value)
			continue
		}
		own = append(own, e)
	}
	if len(sources) == 0 {
		return own, true
	}
	if depth >= maxNesting {
		d.fail(at, path, "too many nested merges (<<)")
		return nil, false
	}
	var flat []ast.Node
	for _, s := range sources {
		s, ok := d.resolve(path, s)
		if !ok {
			return nil, false
		}
		if seq, ok := s.(*ast.SequenceNode); ok {
			flat = append(flat, seq.Values...)
		} else {
			flat = append(flat, s)
		}
	}
	seen := map[string]bool{}
	for _, e := range own {
		seen[keyText(e.Key)] = true
	}
	for _, s := range flat {
		s, ok := d.resolve(path, s)
		if !ok {
			return nil, false
		}
		more, ok := d.entries(path, s, posOf(s), depth+1)
		if !ok {
			return nil, false
		}
		for _, e := range more {
			if k := keyText(e.Key); !seen[k] {
				seen[k] = true
				merged = append(merged, e)
			}
		}
	}
	return append(merged, own...), true
}

// sectionNames lists the top-level keys, in the order Config declares them.
func sectionNames() string {
	t := reflect.TypeFor[Config]()
	names := make([]string, 0, t.NumField())
	for i := range t.NumField() {
		if name := yamlName(t.Field(i)); name != "" {
			names = append(names, name)
		}
	}
	return strings.Join(names, ", ")
}

// keyText returns a mapping key as a string.
func keyText(k ast.MapKeyNode) string {
	var n ast.Node = k
	if mk, ok := n.(*ast.MappingKeyNode); ok && !isNil(mk) {
		n = mk.Value // the explicit "? key" form
	}
	if isNil(n) {
		return ""
	}
	switch v := n.(type) {
	case *ast.StringNode:
		return v.Value
	case ast.ScalarNode:
		return tokenText(v)
	default:
		return v.String()
	}
}

// tokenText returns a node's source text, such as an anchor's name or a
// number as written.
func tokenText(n ast.Node) string {
	if isNil(n) {
		return ""
	}
	if tk := n.GetToken(); tk != nil {
		return tk.Value
	}
	return ""
}

// yamlFields maps the yaml key of each field of struct type t to its index.
func yamlFields(t reflect.Type) map[string]int {
	fields := make(map[string]int, t.NumField())
	for i := range t.NumField() {
		if name := yamlName(t.Field(i)); name != "" {
			fields[name] = i
		}
	}
	return fields
}

// yamlName returns a field's key in the file, or "" if it has none.
func yamlName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	if name == "-" {
		return ""
	}
	return name
}

// posOf returns where a node starts. A block mapping's own token is its first
// colon, so it reports its first key instead.
func posOf(n ast.Node) position {
	if isNil(n) {
		return position{}
	}
	var tk *token.Token
	switch v := n.(type) {
	case *ast.MappingNode:
		if len(v.Values) > 0 && !isNil(v.Values[0]) && !v.IsFlowStyle {
			return posOf(v.Values[0].Key)
		}
		tk = v.Start
	case *ast.MappingValueNode:
		if !isNil(v.Key) {
			return posOf(v.Key)
		}
	}
	if tk == nil {
		tk = n.GetToken()
	}
	if tk == nil || tk.Position == nil {
		return position{}
	}
	return position{tk.Position.Line, tk.Position.Column}
}

// isNil reports whether n is nil or a nil pointer in an interface, which the
// parser leaves for some malformed input.
func isNil(n ast.Node) bool {
	if n == nil {
		return true
	}
	v := reflect.ValueOf(n)
	return v.Kind() == reflect.Pointer && v.IsNil()
}
