package memdb

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
)

// A frame is one record on disk, in the journal and in snapshots:
//
//	length   uint32 LE  payload length
//	crc      uint32 LE  CRC-32C of the payload
//	hdrcrc   uint32 LE  CRC-32C of the first 8 bytes
//	payload  length bytes
//
// The header has its own checksum so that a flipped bit in a length can
// never make the reader skip or misread valid records after it.
const (
	frameHeader  = 12
	maxFrameSize = 256 << 20 // no transaction comes near this; a larger length is corruption
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// appendFrame appends payload, framed, to buf.
func appendFrame(buf, payload []byte) []byte {
	var h [frameHeader]byte
	binary.LittleEndian.PutUint32(h[0:], uint32(len(payload)))
	binary.LittleEndian.PutUint32(h[4:], crc32.Checksum(payload, castagnoli))
	binary.LittleEndian.PutUint32(h[8:], crc32.Checksum(h[:8], castagnoli))
	buf = append(buf, h[:]...)
	return append(buf, payload...)
}

// frameAt reads the frame at data[off:]. It returns the payload and the
// offset after it, or a reason why no valid frame starts there.
func frameAt(data []byte, off int) (payload []byte, next int, reason string) {
	rest := data[off:]
	if len(rest) < frameHeader {
		return nil, 0, fmt.Sprintf("%d bytes are too few for a record header", len(rest))
	}
	if crc32.Checksum(rest[:8], castagnoli) != binary.LittleEndian.Uint32(rest[8:]) {
		return nil, 0, "record header checksum mismatch"
	}
	n := int(binary.LittleEndian.Uint32(rest[0:]))
	if n > maxFrameSize {
		return nil, 0, fmt.Sprintf("record length %d exceeds the limit", n)
	}
	if len(rest)-frameHeader < n {
		return nil, 0, fmt.Sprintf("record of %d bytes is cut short at %d", n, len(rest)-frameHeader)
	}
	payload = rest[frameHeader : frameHeader+n]
	if crc32.Checksum(payload, castagnoli) != binary.LittleEndian.Uint32(rest[4:]) {
		return nil, 0, "record checksum mismatch"
	}
	return payload, off + frameHeader + n, ""
}

// corruption describes a frame that could not be read.
type corruption struct {
	Offset int
	Reason string
	// Tail is true when no valid frame follows: the damage is confined
	// to the end of the data, as a write cut short by a crash leaves it.
	Tail bool
}

// scanFrames calls fn for each frame of data in order. It stops at the first
// frame that cannot be read and describes it; nil means all of data was
// read. An error from fn is returned as is.
func scanFrames(data []byte, fn func(payload []byte) error) (*corruption, error) {
	for off := 0; off < len(data); {
		payload, next, reason := frameAt(data, off)
		if reason != "" {
			return &corruption{Offset: off, Reason: reason, Tail: !validFrameAfter(data, off)}, nil
		}
		if err := fn(payload); err != nil {
			return nil, err
		}
		off = next
	}
	return nil, nil
}

// validFrameAfter reports whether a valid frame starts anywhere after off.
// Both checksums must hold, so a chance match in garbage is negligible
// (about 2^-64 per position).
func validFrameAfter(data []byte, off int) bool {
	for i := off + 1; i+frameHeader <= len(data); i++ {
		if _, _, reason := frameAt(data, i); reason == "" {
			return true
		}
	}
	return false
}
