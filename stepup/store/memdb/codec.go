package memdb

import (
	"fmt"
	"math"

	"github.com/fxamacker/cbor/v2"
)

// Records are encoded as CBOR (RFC 8949) with fxamacker/cbor, which stepup
// already depends on through WebAuthn: compact, fast, and tolerant of fields
// added to a record type later (old records decode with them zero).
var (
	encMode = mustEncMode()
	decMode = mustDecMode()
)

func mustEncMode() cbor.EncMode {
	// RFC 3339 with nanoseconds keeps times exact; the default (Unix
	// seconds) would round them.
	m, err := cbor.EncOptions{Time: cbor.TimeRFC3339Nano}.EncMode()
	if err != nil {
		panic(err)
	}
	return m
}

func mustDecMode() cbor.DecMode {
	// The default limits (131072 elements) would refuse a large transaction.
	m, err := cbor.DecOptions{
		MaxArrayElements: math.MaxInt32,
		MaxMapPairs:      math.MaxInt32,
	}.DecMode()
	if err != nil {
		panic(err)
	}
	return m
}

// change is one insert or delete of one record, as the journal keeps it.
type change struct {
	_      struct{} `cbor:",toarray"`
	Table  string
	Delete bool
	Record cbor.RawMessage
}

// changeOut encodes as a change does, with the record encoded in place
// rather than into a buffer of its own first.
type changeOut struct {
	_      struct{} `cbor:",toarray"`
	Table  string
	Delete bool
	Record any
}

// snapshotEntry is one frame of a snapshot. The first frame carries the
// header fields, the last the count; the others one record each.
type snapshotEntry struct {
	_       struct{} `cbor:",toarray"`
	Table   string
	Record  cbor.RawMessage
	Magic   string
	Segment uint64
	Count   uint64
}

const snapshotMagic = "stepup-memdb-snapshot-v1"

// decodeRecord decodes a record of type T.
func decodeRecord[T any](data []byte) (any, error) {
	v := new(T)
	if err := decMode.Unmarshal(data, v); err != nil {
		return nil, fmt.Errorf("decode %T: %w", v, err)
	}
	return v, nil
}
