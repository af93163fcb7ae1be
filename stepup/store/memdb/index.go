package memdb

import (
	"encoding/binary"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/go-memdb"
)

// go-memdb's own field indexers find fields by reflection at every insert.
// These take a typed function instead: faster, checked by the compiler,
// and able to index []byte, which go-memdb's cannot.

// Index names shared by several tables.
const (
	indexID   = "id"
	indexUser = "user"
)

// stringIndex indexes records by one or more string fields. A nil key
// leaves the record out of the index (go-memdb's AllowMissing).
type stringIndex[T any] struct {
	fields string // described in the schema golden file
	key    func(*T) []string
}

var (
	_ memdb.Indexer       = stringIndex[struct{}]{}
	_ memdb.SingleIndexer = stringIndex[struct{}]{}
	_ memdb.PrefixIndexer = stringIndex[struct{}]{}
)

func (ix stringIndex[T]) FromObject(obj any) (bool, []byte, error) {
	parts := ix.key(obj.(*T))
	if parts == nil {
		return false, nil, nil
	}
	return true, joinKey(parts), nil
}

func (ix stringIndex[T]) FromArgs(args ...any) ([]byte, error) {
	parts := make([]string, len(args))
	for i, a := range args {
		switch v := a.(type) {
		case string:
			parts[i] = v
		case []byte:
			parts[i] = string(v)
		default:
			return nil, fmt.Errorf("memdb: index %s: argument %d is %T, want string", ix.fields, i, a)
		}
	}
	return joinKey(parts), nil
}

// PrefixFromArgs lets a query name the first fields of a compound key only
// (go-memdb's "<index>_prefix" queries).
func (ix stringIndex[T]) PrefixFromArgs(args ...any) ([]byte, error) { return ix.FromArgs(args...) }

// joinKey encodes fields so that no two different field lists share a key:
// each field ends with 0x00 0x01, and a 0x00 inside a field becomes 0x00 0xFF.
func joinKey(parts []string) []byte {
	var b strings.Builder
	for _, p := range parts {
		b.WriteString(strings.ReplaceAll(p, "\x00", "\x00\xff"))
		b.WriteString("\x00\x01")
	}
	return []byte(b.String())
}

// nonEmpty returns parts, or nil (not indexed) when any part is empty.
func nonEmpty(parts ...string) []string {
	for _, p := range parts {
		if p == "" {
			return nil
		}
	}
	return parts
}

// uintIndex indexes records by a number, in numeric order.
type uintIndex[T any] struct {
	fields string
	key    func(*T) uint64
}

func (ix uintIndex[T]) FromObject(obj any) (bool, []byte, error) {
	return true, binary.BigEndian.AppendUint64(nil, ix.key(obj.(*T))), nil
}

func (ix uintIndex[T]) FromArgs(args ...any) ([]byte, error) {
	if len(args) != 1 {
		return nil, fmt.Errorf("memdb: index %s takes one argument", ix.fields)
	}
	v, ok := args[0].(uint64)
	if !ok {
		return nil, fmt.Errorf("memdb: index %s: argument is %T, want uint64", ix.fields, args[0])
	}
	return binary.BigEndian.AppendUint64(nil, v), nil
}

// newestIndex indexes records by a string field and then a time, so that
// a reverse prefix scan of the field lists its records newest first. A
// record for which key reports false is left out of the index (go-memdb's
// AllowMissing): a conditional index. Query it with "<index>_prefix" and
// the field's value.
type newestIndex[T any] struct {
	fields string // described in the schema golden file
	key    func(*T) (string, time.Time, bool)
}

var (
	_ memdb.SingleIndexer = newestIndex[struct{}]{}
	_ memdb.PrefixIndexer = newestIndex[struct{}]{}
)

func (ix newestIndex[T]) FromObject(obj any) (bool, []byte, error) {
	field, at, ok := ix.key(obj.(*T))
	if !ok {
		return false, nil, nil
	}
	// The sign bit flipped, nanoseconds since 1970 sort as unsigned.
	return true, binary.BigEndian.AppendUint64(joinKey([]string{field}), uint64(at.UnixNano())^(1<<63)), nil
}

func (ix newestIndex[T]) FromArgs(args ...any) ([]byte, error) {
	if len(args) != 1 {
		return nil, fmt.Errorf("memdb: index %s is queried by its first field alone", ix.fields)
	}
	field, ok := args[0].(string)
	if !ok {
		return nil, fmt.Errorf("memdb: index %s: argument is %T, want string", ix.fields, args[0])
	}
	return joinKey([]string{field}), nil
}

func (ix newestIndex[T]) PrefixFromArgs(args ...any) ([]byte, error) { return ix.FromArgs(args...) }

// argsOf returns the query arguments that find obj by this index, or nil
// when obj is not in it.
func (ix stringIndex[T]) argsOf(obj any) []any {
	parts := ix.key(obj.(*T))
	if parts == nil {
		return nil
	}
	args := make([]any, len(parts))
	for i, p := range parts {
		args[i] = p
	}
	return args
}

func (ix uintIndex[T]) argsOf(obj any) []any { return []any{ix.key(obj.(*T))} }

// describe names an indexer for the schema golden file.
func describe(ix memdb.Indexer) string {
	switch v := ix.(type) {
	case interface{ description() string }:
		return v.description()
	default:
		return fmt.Sprintf("%T", ix)
	}
}

func (ix stringIndex[T]) description() string { return "string(" + ix.fields + ")" }
func (ix uintIndex[T]) description() string   { return "uint(" + ix.fields + ")" }
func (ix newestIndex[T]) description() string { return "newest(" + ix.fields + ")" }
