package memdb

import (
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/hashicorp/go-memdb"
)

// go-memdb's own field indexers find fields by reflection at every insert.
// These take a typed function instead: faster, checked by the compiler,
// and able to index []byte, which go-memdb's cannot.

// Index names shared by several tables.
const (
	indexID   = "id"
	indexUser = "user"
	// indexAction is an action record's action.
	indexAction = "action"
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
