package device

import (
	"net/http"
	"strings"
	"time"

	"github.com/stepup-auth/stepup/stepup/api"
	"github.com/stepup-auth/stepup/stepup/factor/push"
)

// challenges answers a long poll: the pushes waiting for the device's
// answer as soon as there are any, or none after the wait. A push of this
// process wakes it at once; one of another replica is found by reading
// the store every Recheck.
func (h *Handler) challenges(w http.ResponseWriter, r *http.Request) {
	dev, _, ok := h.authenticate(w, r)
	if !ok {
		return
	}
	wait, err := parseWait(r.URL.Query().Get("wait"), h.o.MaxWait)
	if err != nil {
		api.WriteError(w, http.StatusBadRequest, api.CodeInvalidRequest, strings.TrimPrefix(err.Error(), "device: "))
		return
	}
	if !h.startPoll(dev.ID()) {
		w.Header().Set("Retry-After", "5")
		api.WriteError(w, http.StatusTooManyRequests, codeRateLimited, "this device holds too many long polls already: one at a time")
		return
	}
	defer h.endPoll(dev.ID())
	// Subscribe before the first read, so that a push created between the
	// read and the wait still wakes us.
	wake, cancel := h.o.Push.Subscribe(dev.UserID())
	defer cancel()
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	tick := time.NewTicker(h.o.Recheck)
	defer tick.Stop()
	for last := false; ; {
		pending, err := h.o.Push.Pending(r.Context(), dev)
		if err != nil {
			h.internal(w, r, err)
			return
		}
		if len(pending) > 0 || last {
			h.writeChallenges(w, pending)
			return
		}
		select {
		case <-wake:
		case <-tick.C:
		case <-deadline.C:
			last = true
		case <-r.Context().Done():
			return
		}
	}
}

func (h *Handler) writeChallenges(w http.ResponseWriter, pending []push.Push) {
	out := challengesResponse{Challenges: []challenge{}, ServerTime: h.o.Now().UTC()}
	for _, p := range pending {
		out.Challenges = append(out.Challenges, challenge{ID: p.ID, Choices: p.Choices, Created: p.Created.UTC(), Expires: p.Expires.UTC()})
	}
	api.WriteJSON(w, http.StatusOK, out)
}

// startPoll counts a long poll of device, unless it holds MaxPolls.
func (h *Handler) startPoll(device string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.polls[device] >= h.o.MaxPolls {
		return false
	}
	h.polls[device]++
	return true
}

func (h *Handler) endPoll(device string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.polls[device]--; h.polls[device] <= 0 {
		delete(h.polls, device)
	}
}
