package password

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
)

// argon2Version is the only version x/crypto computes (0x13); hashes from
// the older 0x10 have no "v=" field and are refused.
const argon2Version = 19

// maxEncodedLength bounds the input before any splitting or decoding. The
// longest valid string, with the length ceilings and the largest numbers,
// is under 2,800 bytes.
const maxEncodedLength = 4096

// b64 is the PHC string format's encoding: standard alphabet, no padding.
var b64 = base64.RawStdEncoding

// phcHash is a parsed argon2id PHC string.
type phcHash struct {
	params Params // SaltLength and KeyLength are those of salt and key
	salt   []byte
	key    []byte
}

// encodeHash writes the PHC string exactly as the argon2 reference
// implementation does, field for field, so other software can read it.
func encodeHash(p Params, salt, key []byte) string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2Version, p.Memory, p.Iterations, p.Parallelism,
		b64.EncodeToString(salt), b64.EncodeToString(key))
}

// parseHash reads an argon2id PHC string. Stored hashes are treated as
// untrusted: anything but the one canonical spelling is refused, and so are
// parameters beyond the ceilings, before any memory is spent on them. Errors
// never quote the salt or hash fields, which would help an offline attack
// if logs leak.
func parseHash(encoded string) (phcHash, error) {
	if len(encoded) > maxEncodedLength {
		return phcHash{}, fmt.Errorf("%w: longer than %d bytes", ErrMalformedHash, maxEncodedLength)
	}
	fields := strings.Split(encoded, "$")
	if len(fields) != 6 || fields[0] != "" {
		return phcHash{}, fmt.Errorf("%w: want 5 fields $argon2id$v=..$m=..,t=..,p=..$salt$hash but it has %d", ErrMalformedHash, len(fields)-1)
	}
	if fields[1] != "argon2id" {
		return phcHash{}, fmt.Errorf("%w: algorithm %.32q is not argon2id", ErrMalformedHash, fields[1])
	}
	if fields[2] != "v=19" {
		return phcHash{}, fmt.Errorf("%w: version %.32q is not v=19", ErrMalformedHash, fields[2])
	}
	p, err := parseParams(fields[3])
	if err != nil {
		return phcHash{}, err
	}
	salt, err := decodeField(fields[4])
	if err != nil {
		return phcHash{}, fmt.Errorf("%w: salt: %v", ErrMalformedHash, err)
	}
	key, err := decodeField(fields[5])
	if err != nil {
		return phcHash{}, fmt.Errorf("%w: hash: %v", ErrMalformedHash, err)
	}
	p.SaltLength, p.KeyLength = uint32(len(salt)), uint32(len(key))
	if problems := p.problems(minStoredSaltLength); len(problems) > 0 {
		return phcHash{}, fmt.Errorf("%w: %s", ErrMalformedHash, strings.Join(problems, "; "))
	}
	return phcHash{params: p, salt: salt, key: key}, nil
}

// parseParams reads "m=<memory>,t=<iterations>,p=<parallelism>", in the
// reference implementation's order and with no optional fields.
func parseParams(field string) (Params, error) {
	parts := strings.Split(field, ",")
	if len(parts) != 3 {
		return Params{}, fmt.Errorf("%w: want parameters m=..,t=..,p=.. but there are %d", ErrMalformedHash, len(parts))
	}
	var values [3]uint32
	for i, name := range [3]string{"m", "t", "p"} {
		digits, ok := strings.CutPrefix(parts[i], name+"=")
		if !ok {
			return Params{}, fmt.Errorf("%w: parameter %d must be %s=", ErrMalformedHash, i+1, name)
		}
		v, err := parseDecimal(digits)
		if err != nil {
			return Params{}, fmt.Errorf("%w: parameter %s: %v", ErrMalformedHash, name, err)
		}
		values[i] = v
	}
	if values[2] > maxParallelism {
		// Checked here because the field is a uint8: converting first
		// would let p=257 pass as 1.
		return Params{}, fmt.Errorf("%w: parallelism must be between 1 and %d but it's %d", ErrMalformedHash, maxParallelism, values[2])
	}
	return Params{Memory: values[0], Iterations: values[1], Parallelism: uint8(values[2])}, nil
}

// parseDecimal accepts the PHC format's decimal: ASCII digits, no sign, no
// leading zero, within uint32.
func parseDecimal(s string) (uint32, error) {
	if s == "" {
		return 0, fmt.Errorf("empty number")
	}
	if len(s) > 1 && s[0] == '0' {
		return 0, fmt.Errorf("number has a leading zero")
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, fmt.Errorf("not a decimal number")
		}
	}
	v, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("number out of range")
	}
	return uint32(v), nil
}

// decodeField decodes unpadded standard base64 and insists that the input
// was the canonical encoding: Go's decoder skips CR and LF and may accept
// non-zero trailing bits, and a second spelling of the same bytes is a
// tampering channel we do not need.
func decodeField(s string) ([]byte, error) {
	b, err := b64.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("not unpadded standard base64")
	}
	if b64.EncodeToString(b) != s {
		return nil, fmt.Errorf("not canonical base64")
	}
	return b, nil
}
