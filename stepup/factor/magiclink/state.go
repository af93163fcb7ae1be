package magiclink

import (
	"encoding/json"
	"fmt"

	"github.com/stepup-auth/stepup/stepup/store"
)

// state is where a link is in its life. It only moves forward, from
// pending to one of the other two, by a compare-and-set on the
// challenge's Version: a link opens once.
type state string

const (
	// pending: sent, not opened.
	pending state = "pending"
	// confirmed: opened in the browser that began the verification; its
	// tab may finish.
	confirmed state = "confirmed"
	// elsewhere: opened in another browser, which was shown a code; the
	// first tab finishes only with that code.
	elsewhere state = "elsewhere"
)

// data is what a challenge's Data holds.
type data struct {
	Authenticator string `json:"auth"`
	Browser       []byte `json:"browser"` // browserHash of Target.Browser
	State         state  `json:"state"`
}

func (d data) encode() ([]byte, error) {
	b, err := json.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("magiclink: challenge data: %w", err)
	}
	return b, nil
}

func decode(c *store.Challenge) (data, error) {
	var d data
	if err := json.Unmarshal(c.Data, &d); err != nil {
		return data{}, fmt.Errorf("magiclink: challenge %s: data: %w", c.ID, err)
	}
	switch d.State {
	case pending, confirmed, elsewhere:
		return d, nil
	}
	return data{}, fmt.Errorf("magiclink: challenge %s: unknown state %q", c.ID, d.State)
}
