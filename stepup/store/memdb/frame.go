package memdb

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"hash/crc32"
)

// A frame is one checksummed unit on disk:
//
//	length   uint32 LE  payload length
//	crc      uint32 LE  CRC-32C of the payload, seeded with the salt's high half
//	hdrcrc   uint32 LE  CRC-32C of the first 8 bytes, seeded with the low half
//	payload  length bytes
//
// The header has its own checksum so that a flipped bit in a length can
// never make the reader skip or misread the frames after it. In the journal
// one frame holds one group-commit batch, written with one write and one
// sync: before the sync its pages may reach the disk in any order, so the
// whole batch must stand or fall together. The salt is random per journal
// segment, so bytes a user stored inside a record can never pass for a
// frame of their own. Snapshots use salt 0.
const (
	frameHeader  = 12
	maxFrameSize = 1 << 30 // a larger length is corruption
	maxTxnSize   = 64 << 20
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// reserveFrame starts a frame in buf; sealFrame fills its header once the
// payload has been appended after it.
func reserveFrame(buf []byte) []byte { return append(buf, make([]byte, frameHeader)...) }

// sealFrame writes the header of the frame that starts at buf[start:].
func sealFrame(buf []byte, start int, salt uint64) {
	h, payload := buf[start:start+frameHeader], buf[start+frameHeader:]
	binary.LittleEndian.PutUint32(h[0:], uint32(len(payload)))
	binary.LittleEndian.PutUint32(h[4:], crc32.Update(uint32(salt>>32), castagnoli, payload))
	binary.LittleEndian.PutUint32(h[8:], crc32.Update(uint32(salt), castagnoli, h[:8]))
}

// appendFrame appends payload, framed, to buf.
func appendFrame(buf []byte, salt uint64, payload []byte) []byte {
	start := len(buf)
	buf = append(reserveFrame(buf), payload...)
	sealFrame(buf, start, salt)
	return buf
}

// frameAt reads the frame at data[off:]. It returns the payload and the
// offset after it, or a reason why no valid frame starts there.
func frameAt(data []byte, off int, salt uint64) (payload []byte, next int, reason string) {
	rest := data[off:]
	if len(rest) < frameHeader {
		return nil, 0, fmt.Sprintf("%d bytes are too few for a record header", len(rest))
	}
	if crc32.Update(uint32(salt), castagnoli, rest[:8]) != binary.LittleEndian.Uint32(rest[8:]) {
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
	if crc32.Update(uint32(salt>>32), castagnoli, payload) != binary.LittleEndian.Uint32(rest[4:]) {
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
	// Zeros is true when every byte from Offset on is zero: space the
	// journal reserved ahead of its writes and has not written yet, the
	// clean end of a segment rather than damage.
	Zeros bool
}

// scanFrames calls fn for each frame of data in order. It stops at the first
// frame that cannot be read and describes it; nil means all of data was
// read. An error from fn is returned as is.
func scanFrames(data []byte, salt uint64, fn func(payload []byte) error) (*corruption, error) {
	for off := 0; off < len(data); {
		payload, next, reason := frameAt(data, off, salt)
		if reason != "" {
			last := lastNonZero(data)
			if last < off {
				return &corruption{Offset: off, Reason: reason, Tail: true, Zeros: true}, nil
			}
			return &corruption{Offset: off, Reason: reason, Tail: !validFrameAfter(data, off, last, salt)}, nil
		}
		if err := fn(payload); err != nil {
			return nil, err
		}
		off = next
	}
	return nil, nil
}

// validFrameAfter reports whether a valid frame starts anywhere after off
// and at or before last, the last byte that is not zero: a frame that
// starts after it has an all-zero header, which no segment's salt accepts
// (newSegmentHeader). Both salted checksums must hold, so neither chance
// nor a crafted record makes one appear.
func validFrameAfter(data []byte, off, last int, salt uint64) bool {
	for i := off + 1; i <= last && i+frameHeader <= len(data); i++ {
		if _, _, reason := frameAt(data, i, salt); reason == "" {
			return true
		}
	}
	return false
}

// A journal segment starts with a header: a magic string and the salt of
// its frames. It is synced before the first frame is written, so a header
// that cannot be read is either a segment whose creation a crash cut short
// (nothing follows it) or corruption.
const (
	segmentMagic  = "stepupJ1"
	segmentHeader = len(segmentMagic) + 8
)

// newSegmentHeader draws a salt whose high half is not zero: the payload
// checksum of an empty frame is then never zero, so the zeros the journal
// writes ahead of its frames (journal.reserve) never read as a frame.
func newSegmentHeader() (header []byte, salt uint64) {
	var b [8]byte
	for salt>>32 == 0 {
		if _, err := rand.Read(b[:]); err != nil {
			panic(err) // crypto/rand never fails on Linux
		}
		salt = binary.LittleEndian.Uint64(b[:])
	}
	return append([]byte(segmentMagic), b[:]...), salt
}

// lastNonZero returns the index of the last byte of data that is not zero,
// or -1.
func lastNonZero(data []byte) int {
	i := len(data) - 1
	for ; i >= 8 && binary.LittleEndian.Uint64(data[i-7:i+1]) == 0; i -= 8 {
	}
	for ; i >= 0 && data[i] == 0; i-- {
	}
	return i
}

func parseSegmentHeader(data []byte) (salt uint64, ok bool) {
	if len(data) < segmentHeader || string(data[:len(segmentMagic)]) != segmentMagic {
		return 0, false
	}
	return binary.LittleEndian.Uint64(data[len(segmentMagic):segmentHeader]), true
}

// batchRecords calls fn for each transaction of a batch frame's payload:
// each is a uvarint length and that many bytes.
func batchRecords(payload []byte, fn func(txn []byte) error) error {
	for len(payload) > 0 {
		n, k := binary.Uvarint(payload)
		if k <= 0 || n > uint64(len(payload)-k) {
			return fmt.Errorf("malformed batch: bad transaction length")
		}
		if err := fn(payload[k : k+int(n)]); err != nil {
			return err
		}
		payload = payload[k+int(n):]
	}
	return nil
}
