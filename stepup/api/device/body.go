package device

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/stepup-auth/stepup/stepup/api"
	"github.com/stepup-auth/stepup/stepup/factor/push"
)

// The JSON a device sends and receives.

type enrollRequest struct {
	Token     string `json:"token"`
	PublicKey string `json:"public_key"`
	Name      string `json:"name"`
	Platform  string `json:"platform"`
	Proof     string `json:"proof"`
}

type enrollResponse struct {
	DeviceID string `json:"device_id"`
}

type answerRequest struct {
	Decision string `json:"decision"`
	Number   *int   `json:"number"`
}

type answerResponse struct {
	State push.State `json:"state"`
}

type challengesResponse struct {
	Challenges []challenge `json:"challenges"`
	ServerTime time.Time   `json:"server_time"`
}

type challenge struct {
	ID      string    `json:"id"`
	Choices []int     `json:"choices"`
	Created time.Time `json:"created"`
	Expires time.Time `json:"expires"`
}

// parseEnroll reads an enrollment's body. Its errors are for the device.
func parseEnroll(body []byte) (push.Enrollment, error) {
	var req enrollRequest
	if err := api.DecodeJSON(body, &req); err != nil {
		return push.Enrollment{}, err
	}
	var missing []string
	for _, f := range []struct{ name, value string }{{"token", req.Token}, {"public_key", req.PublicKey}, {"proof", req.Proof}} {
		if f.value == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return push.Enrollment{}, fmt.Errorf("device: %s required", strings.Join(missing, ", "))
	}
	proof, err := push.DecodeSignature(req.Proof)
	if err != nil {
		return push.Enrollment{}, errors.New("device: proof is not a 64-byte r||s signature in base64url")
	}
	return push.Enrollment{Token: req.Token, PublicKey: req.PublicKey, Name: req.Name, Platform: req.Platform, Proof: proof}, nil
}

// parseAnswer reads an answer's body: "approve" with the number picked,
// or "deny".
func parseAnswer(body []byte) (push.Decision, error) {
	var req answerRequest
	if err := api.DecodeJSON(body, &req); err != nil {
		return push.Decision{}, err
	}
	switch req.Decision {
	case "approve":
		if req.Number == nil || *req.Number < 10 || *req.Number > 99 {
			return push.Decision{}, errors.New("device: an approval needs the number the user picked, from 10 to 99")
		}
		return push.Decision{Approve: true, Number: *req.Number}, nil
	case "deny":
		return push.Decision{}, nil
	}
	return push.Decision{}, errors.New(`device: decision must be "approve" or "deny"`)
}

// parseWait reads a long poll's ?wait= (seconds): at most maxWait, which
// it is when absent.
func parseWait(s string, maxWait time.Duration) (time.Duration, error) {
	if s == "" {
		return maxWait, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || len(s) > 4 {
		return 0, fmt.Errorf("device: wait must be a number of seconds from 0 to %d", int(maxWait.Seconds()))
	}
	return min(time.Duration(n)*time.Second, maxWait), nil
}
