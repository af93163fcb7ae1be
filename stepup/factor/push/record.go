package push

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/stepup-auth/stepup/stepup/store"
)

// The kinds of challenge records this package keeps, all of Method
// acr.Push: a push and an enrollment, which a user answers, and the
// records that bound the pushes of a user (limits.go), which nobody does.
const (
	kindPush    = "push"
	kindEnroll  = "enroll"
	kindPending = "pending"
	kindSlot    = "slot"
	kindCoolOff = "cooloff"
)

// State is where a push or an enrollment stands.
type State string

// The states of a push, and of an enrollment. A push leaves StatePending
// once, by a compare-and-set of its record, so that of two answers racing
// only one counts.
const (
	StatePending  State = "pending"
	StateApproved State = "approved"
	StateDenied   State = "denied"
	// StateWrongNumber is an approval with a number other than the one
	// the page shows: the user approved without looking, or approved a
	// push that was not theirs.
	StateWrongNumber State = "wrong_number"
	// stateSpent is a denied or wrong push the page has been told of.
	stateSpent State = "spent"
	// stateEnrolled is an enrollment a device has completed.
	stateEnrolled State = "enrolled"
)

// record is the Data of a challenge record of this package, as JSON.
type record struct {
	Kind  string `json:"kind"`
	State State  `json:"state,omitempty"`
	// Number is the one the page shows; Choices are the numbers the
	// device offers, Number among them.
	Number  int   `json:"number,omitempty"`
	Choices []int `json:"choices,omitempty"`
	// Authenticators are the devices a push is sent to.
	Authenticators []string `json:"authenticators,omitempty"`
	// Authenticator is the device that answered a push, or the one an
	// enrollment created.
	Authenticator string    `json:"authenticator,omitempty"`
	AnsweredAt    time.Time `json:"answeredAt,omitzero"`
	// Push names the push a pending or slot record was taken for.
	Push string `json:"push,omitempty"`
}

func (r *record) encode() []byte {
	b, err := json.Marshal(r)
	if err != nil {
		// A record of strings, numbers and a time always encodes.
		panic(fmt.Sprintf("push: encoding a record: %v", err))
	}
	return b
}

// decode reads the record of c, a challenge of this package, and says
// whether it is of the kind wanted.
func decode(c *store.Challenge, kind string) (*record, bool) {
	var r record
	if err := json.Unmarshal(c.Data, &r); err != nil || r.Kind != kind {
		return nil, false
	}
	return &r, true
}

// The numbers a push offers: two digits, so that the page can show one
// large and the device three buttons. With three choices, approving
// without looking passes one time in three; the limits make that a few
// chances an hour, each of which the user has been shown.
const (
	lowest  = 10
	highest = 99
	choices = 3
)

// pickNumbers returns the number to show and the choices to offer: the
// number and two distinct others, in random order.
func pickNumbers(random io.Reader) (int, []int, error) {
	out := make([]int, 0, choices)
	// A repeat is drawn again; 64 draws give three distinct numbers of
	// ninety unless the source is broken.
	for try := 0; len(out) < choices; try++ {
		if try == 64 {
			return 0, nil, errors.New("push: random number: the random source repeats itself")
		}
		n, err := uniform(random, highest-lowest+1)
		if err != nil {
			return 0, nil, err
		}
		if n += lowest; !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	number := out[0]
	// Fisher-Yates: the number's place among the choices tells nothing.
	for i := len(out) - 1; i > 0; i-- {
		j, err := uniform(random, i+1)
		if err != nil {
			return 0, nil, err
		}
		out[i], out[j] = out[j], out[i]
	}
	return number, out, nil
}

// uniform returns a uniform random integer in [0, n), n at most 256, by
// rejection sampling of single bytes so that no value is more likely.
func uniform(random io.Reader, n int) (int, error) {
	limit := 256 - 256%n
	var b [1]byte
	// Each try fails with probability below one half: 64 tries all fail
	// only with a broken source.
	for range 64 {
		if _, err := io.ReadFull(random, b[:]); err != nil {
			return 0, fmt.Errorf("push: random number: %w", err)
		}
		if int(b[0]) < limit {
			return int(b[0]) % n, nil
		}
	}
	return 0, errors.New("push: random number: the random source gives no usable bytes")
}
