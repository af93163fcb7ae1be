package rules

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"
)

// The decoder walks the YAML syntax tree itself instead of calling
// yaml.Unmarshal: that is what lets it report every unknown key and every
// misplaced value at once, and remember where each value is, so that a
// CEL error can be pointed at in the document. JSON is YAML, so the same
// walk reads both.

// layout is where the values of a document are.
type layout struct {
	pos  map[string]position // by key path: "rules[2].level"
	when map[int]exprOrigin  // by rule index
	// failed are the paths whose value could not be read, already
	// reported: validation does not report them again as missing.
	failed map[string]bool
}

// hasFailed reports whether path, or a path it is in, could not be read.
func (l layout) hasFailed(path string) bool {
	for {
		if l.failed[path] {
			return true
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			return false
		}
		path = path[:i]
	}
}

// at returns the position of path, or of the nearest enclosing path that
// has one: a missing key is reported where its mapping is.
func (l layout) at(path string) position {
	for {
		if p, ok := l.pos[path]; ok {
			return p
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			return l.pos[""]
		}
		path = path[:i]
	}
}

// exprOrigin is where a when expression's text is in the document.
type exprOrigin struct {
	at position // where the expression's first character is
	// How expression positions map to document positions: oneLine, the
	// expression is a one-line scalar written as read (no escapes, no
	// folding); block, it is a literal block (|) whose lines are the
	// document's lines; neither, only at is known.
	oneLine, block bool
}

// place maps a position in the expression (from 1) to the document.
func (o exprOrigin) place(line, col int) position {
	switch {
	case o.oneLine && line == 1:
		return position{o.at.line, o.at.col + col - 1}
	case o.block:
		return position{o.at.line + line - 1, o.at.col + col - 1}
	}
	return o.at
}

type decoder struct {
	lines    []string // of the document, to find where values start
	spec     Spec
	lay      layout
	problems problems
}

// decode reads a rule set document into a Spec. Problems with values
// (a bad outcome name) are left to the compiler; decode reports what
// stops a value from being read as a string, a number or a list. It
// returns false when the document could not be read at all (not YAML,
// not a mapping), and there is nothing to validate.
func decode(data []byte) (Spec, layout, problems, bool) {
	d := &decoder{
		lines: strings.Split(string(data), "\n"),
		lay:   layout{pos: map[string]position{}, when: map[int]exprOrigin{}, failed: map[string]bool{}},
	}
	body, ok := d.parse(data)
	if ok {
		ok = d.document(body)
	}
	return d.spec, d.lay, d.problems, ok
}

// errorf reports a value that cannot be read.
func (d *decoder) errorf(n ast.Node, path, rule, format string, args ...any) {
	d.problems.add(posOf(n), path, rule, format, args...)
	d.lay.failed[path] = true
}

// parse returns the body of the document's only YAML document.
func (d *decoder) parse(data []byte) (ast.Node, bool) {
	if len(data) > maxDocument {
		d.problems.add(position{}, "", "", "the document is %d bytes, more than the %d a rule set may be", len(data), maxDocument)
		return nil, false
	}
	f, err := parser.ParseBytes(data, 0)
	if err != nil {
		var at position
		msg := err.Error()
		var ye yaml.Error
		if errors.As(err, &ye) {
			// Error() would add a source excerpt over several lines;
			// the position says where.
			msg = ye.GetMessage()
			if tk := ye.GetToken(); tk != nil && tk.Position != nil {
				at = position{tk.Position.Line, tk.Position.Column}
			}
		}
		d.problems.add(at, "", "", "invalid YAML: %s", msg)
		return nil, false
	}
	var body ast.Node
	for _, doc := range f.Docs {
		if doc == nil || isNull(doc.Body) {
			continue
		}
		if body != nil {
			d.errorf(doc.Body, "", "", "a rule set is one YAML document, but another starts here")
			return nil, false
		}
		body = doc.Body
	}
	if body == nil {
		d.problems.add(position{}, "", "", "the document is empty (want action, default and rules)")
		return nil, false
	}
	return body, true
}

var (
	documentKeys = []string{"action", "default", "rules"}
	ruleKeys     = []string{"id", "description", "priority", "when", "outcome", "level", "max_age", "methods"}
	thenKeys     = []string{"outcome", "level", "max_age", "methods"}
)

func (d *decoder) document(body ast.Node) bool {
	entries, ok := d.mapping(body, "", "", "a mapping of action, default and rules")
	if !ok {
		return false
	}
	d.lay.pos[""] = posOf(body)
	for _, e := range entries {
		key, value := keyOf(e), e.Value
		d.lay.pos[key] = posOf(e.Key)
		switch key {
		case "action":
			d.spec.Action, _ = d.scalar(value, key, "")
		case "default":
			d.spec.Default = d.then(value, key)
		case "rules":
			d.rules(value)
		default:
			d.errorf(e.Key, key, "", "unknown key %q (want %s)", key, strings.Join(documentKeys, ", "))
		}
	}
	return true
}

// then reads the default outcome: an outcome name alone, or a mapping.
func (d *decoder) then(n ast.Node, path string) Then {
	n, ok := d.resolve(n, path, "")
	if !ok {
		return Then{}
	}
	if !isMapping(n) {
		s, _ := d.scalar(n, path+".outcome", "")
		return Then{Outcome: s}
	}
	var t Then
	entries, _ := d.mapping(n, path, "", "")
	for _, e := range entries {
		key := keyOf(e)
		sub := path + "." + key
		d.lay.pos[sub] = posOf(e.Key)
		if !d.thenField(&t, e, sub, "") {
			d.errorf(e.Key, sub, "", "unknown key %q (want %s)", key, strings.Join(thenKeys, ", "))
		}
	}
	return t
}

// thenField reads one key of an outcome into t, and reports whether it
// was one.
func (d *decoder) thenField(t *Then, e *ast.MappingValueNode, path, rule string) bool {
	switch keyOf(e) {
	case "outcome":
		t.Outcome, _ = d.scalar(e.Value, path, rule)
	case "level":
		t.Level, _ = d.scalar(e.Value, path, rule)
	case "max_age":
		t.MaxAge, _ = d.scalar(e.Value, path, rule)
	case "methods":
		t.Methods = d.strings(e.Value, path, rule)
	default:
		return false
	}
	return true
}

func (d *decoder) rules(n ast.Node) {
	n, ok := d.resolve(n, "rules", "")
	if !ok || isNull(n) {
		return
	}
	seq, ok := n.(*ast.SequenceNode)
	if !ok {
		d.errorf(n, "rules", "", "must be a list of rules")
		return
	}
	if len(seq.Values) > maxRules {
		d.errorf(n, "rules", "", "%d rules, more than the %d a rule set may hold", len(seq.Values), maxRules)
		return
	}
	for i, item := range seq.Values {
		d.spec.Rules = append(d.spec.Rules, d.rule(i, item))
	}
}

func (d *decoder) rule(i int, n ast.Node) RuleSpec {
	path := fmt.Sprintf("rules[%d]", i)
	d.lay.pos[path] = posOf(n)
	var r RuleSpec
	n, ok := d.resolve(n, path, "")
	if !ok {
		return r
	}
	entries, ok := d.mapping(n, path, "", "a mapping of "+strings.Join(ruleKeys, ", "))
	if !ok {
		return r
	}
	// The id first, so that every other problem can name the rule.
	for _, e := range entries {
		if keyOf(e) == "id" {
			r.ID, _ = d.scalar(e.Value, path+".id", "")
		}
	}
	for _, e := range entries {
		key := keyOf(e)
		sub := path + "." + key
		d.lay.pos[sub] = posOf(e.Key)
		switch key {
		case "id":
		case "description":
			r.Description, _ = d.scalar(e.Value, sub, r.ID)
		case "priority":
			s, ok := d.scalar(e.Value, sub, r.ID)
			if !ok {
				break
			}
			p, err := strconv.Atoi(s)
			if err != nil {
				d.errorf(e.Value, sub, r.ID, "%q is not a whole number", s)
				break
			}
			r.Priority = p
		case "when":
			r.When, _ = d.scalar(e.Value, sub, r.ID)
			d.lay.when[i] = d.originOf(e)
		default:
			if !d.thenField(&r.Then, e, sub, r.ID) {
				d.errorf(e.Key, sub, r.ID, "unknown key %q (want %s)", key, strings.Join(ruleKeys, ", "))
			}
		}
	}
	// An empty string is caught by validate, but 0 is a priority.
	if _, ok := d.lay.pos[path+".priority"]; !ok {
		d.errorf(n, path+".priority", r.ID, "missing (0 is the highest priority; ties go to the rule written first)")
	}
	return r
}

// mapping returns the entries of a mapping node; want, if not empty, says
// what was expected instead of something else.
func (d *decoder) mapping(n ast.Node, path, rule, want string) ([]*ast.MappingValueNode, bool) {
	n, ok := d.resolve(n, path, rule)
	if !ok {
		return nil, false
	}
	var entries []*ast.MappingValueNode
	switch m := n.(type) {
	case *ast.MappingNode:
		entries = m.Values
	case *ast.MappingValueNode:
		entries = []*ast.MappingValueNode{m}
	default:
		if want == "" {
			want = "a mapping"
		}
		d.errorf(n, path, rule, "must be %s", want)
		return nil, false
	}
	for _, e := range entries {
		if e.Key != nil && e.Key.IsMergeKey() {
			d.errorf(e.Key, path, rule, "merge keys (<<) are not supported in rule sets")
			return nil, false
		}
	}
	return entries, true
}

// scalar returns the text of a single value; null is the empty string.
func (d *decoder) scalar(n ast.Node, path, rule string) (string, bool) {
	n, ok := d.resolve(n, path, rule)
	if !ok {
		return "", false
	}
	switch v := n.(type) {
	case *ast.NullNode:
		return "", true
	case *ast.StringNode:
		return v.Value, true
	case *ast.LiteralNode:
		if v.Value == nil {
			return "", true
		}
		return v.Value.Value, true
	case *ast.MappingNode, *ast.MappingValueNode:
		d.errorf(n, path, rule, "must be a single value, not a mapping")
	case *ast.SequenceNode:
		d.errorf(n, path, rule, "must be a single value, not a list")
	case ast.ScalarNode:
		return v.GetToken().Value, true
	default:
		d.errorf(n, path, rule, "must be a single value")
	}
	return "", false
}

// strings returns the items of a list of single values.
func (d *decoder) strings(n ast.Node, path, rule string) []string {
	n, ok := d.resolve(n, path, rule)
	if !ok || isNull(n) {
		return nil
	}
	seq, ok := n.(*ast.SequenceNode)
	if !ok {
		d.errorf(n, path, rule, "must be a list")
		return nil
	}
	// An empty list is nil, as if not written: both allow any method,
	// and the Spec comes out the same way whichever was written.
	var out []string
	for i, item := range seq.Values {
		if s, ok := d.scalar(item, fmt.Sprintf("%s[%d]", path, i), rule); ok {
			out = append(out, s)
		}
	}
	return out
}

// resolve looks through anchors and tags to the value. Aliases are
// refused: a rule set is short, and an alias is where a YAML document
// can grow without bound.
func (d *decoder) resolve(n ast.Node, path, rule string) (ast.Node, bool) {
	for {
		switch v := n.(type) {
		case *ast.AnchorNode:
			n = v.Value
		case *ast.TagNode:
			// A YAML type tag (!!str) is harmless; any other tag is an
			// expression that starts with !, read by YAML as a tag.
			if tag := v.Start.Value; !strings.HasPrefix(tag, "!!") {
				d.errorf(n, path, rule, "YAML reads %s as a tag: quote a value that starts with ! ('%s ...')", tag, tag)
				return nil, false
			}
			n = v.Value
		case *ast.AliasNode:
			d.errorf(n, path, rule, "aliases (*%s) are not supported in rule sets", v.Value.GetToken().Value)
			return nil, false
		default:
			if isNull(n) {
				return &ast.NullNode{}, true
			}
			return n, true
		}
	}
}

// originOf finds where the text of a when expression starts, and whether
// its positions map one to one onto the document's. goccy's positions of
// scalar tokens are not exact (a trailing space moves a plain scalar's
// column), so the start is found in the document's own line.
func (d *decoder) originOf(e *ast.MappingValueNode) exprOrigin {
	n := e.Value
	for {
		if a, ok := n.(*ast.AnchorNode); ok {
			n = a.Value
			continue
		}
		if t, ok := n.(*ast.TagNode); ok {
			n = t.Value
			continue
		}
		break
	}
	if isNull(n) {
		return exprOrigin{at: posOf(e.Key)}
	}
	switch v := n.(type) {
	case *ast.StringNode:
		o := exprOrigin{at: posOf(v)}
		written := strings.TrimSpace(v.Token.Origin)
		if strings.Contains(written, "\n") || o.at.line < 1 || o.at.line > len(d.lines) {
			return o // folded over lines
		}
		line := d.lines[o.at.line-1]
		from := 0
		if k := posOf(e.Key); k.line == o.at.line {
			from = byteOffset(line, k.col)
		}
		i := strings.Index(line[from:], written)
		if i < 0 {
			return o
		}
		o.at.col = utf8.RuneCountInString(line[:from+i]) + 1
		if v.Token.Type == token.DoubleQuoteType || v.Token.Type == token.SingleQuoteType {
			written = written[1 : len(written)-1]
			o.at.col++
		}
		o.oneLine = written == v.Value
		return o
	case *ast.LiteralNode:
		// The content starts on the line after the indicator, at the
		// block's indentation.
		o := exprOrigin{at: posOf(v)}
		if v.Value == nil || v.Start == nil || v.Start.Position == nil {
			return o
		}
		indent := 0
		for _, line := range strings.Split(v.Value.GetToken().Origin, "\n") {
			if strings.TrimSpace(line) != "" {
				indent = len(line) - len(strings.TrimLeft(line, " "))
				break
			}
		}
		o.at = position{v.Start.Position.Line + 1, indent + 1}
		o.block = strings.HasPrefix(v.Start.Value, "|")
		return o
	}
	return exprOrigin{at: posOf(n)}
}

// byteOffset returns the offset in line of column col (from 1, in
// characters), or len(line) past its end.
func byteOffset(line string, col int) int {
	for i := range line {
		if col--; col <= 0 {
			return i
		}
	}
	return len(line)
}

func keyOf(e *ast.MappingValueNode) string {
	if e.Key == nil {
		return ""
	}
	if tk := e.Key.GetToken(); tk != nil {
		return tk.Value
	}
	return ""
}

// posOf returns where n starts. A mapping's own token is its first colon,
// so a mapping is placed at its first key instead.
func posOf(n ast.Node) position {
	if isNull(n) {
		return position{}
	}
	switch m := n.(type) {
	case *ast.MappingNode:
		if len(m.Values) > 0 && (m.Start == nil || m.Start.Type != token.MappingStartType) {
			return posOf(m.Values[0].Key)
		}
	case *ast.MappingValueNode:
		if m.Key != nil {
			return posOf(m.Key)
		}
	}
	tk := n.GetToken()
	if tk == nil || tk.Position == nil {
		return position{}
	}
	return position{tk.Position.Line, tk.Position.Column}
}

func isMapping(n ast.Node) bool {
	switch n.(type) {
	case *ast.MappingNode, *ast.MappingValueNode:
		return true
	}
	return false
}

// isNull reports a missing node or an explicit null: goccy gives either,
// and a nil pointer in an interface is not == nil.
func isNull(n ast.Node) bool {
	if n == nil {
		return true
	}
	switch v := n.(type) {
	case *ast.NullNode:
		return true
	case *ast.MappingNode:
		return v == nil
	case *ast.MappingValueNode:
		return v == nil
	case *ast.SequenceNode:
		return v == nil
	case *ast.StringNode:
		return v == nil
	case *ast.LiteralNode:
		return v == nil
	case *ast.AnchorNode:
		return v == nil
	case *ast.TagNode:
		return v == nil
	case *ast.AliasNode:
		return v == nil
	}
	return false
}
