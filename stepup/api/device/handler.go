package device

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/stepup-auth/stepup/stepup/api"
	"github.com/stepup-auth/stepup/stepup/factor/push"
)

// Options are what the device API works with. Push is required.
type Options struct {
	Push *push.Factor
	// MaxWait bounds a long poll (default 25 seconds: under the 30 that
	// proxies and mobile networks commonly allow an idle request). The
	// server's WriteTimeout must be longer.
	MaxWait time.Duration
	// Recheck is how often a long poll reads the store for pushes another
	// replica created (default one second); pushes of this process wake
	// it at once.
	Recheck time.Duration
	// Replays bounds the requests remembered to refuse replays (default
	// 100000: a device polls about twice a minute, so a hundred thousand
	// devices polling at once).
	Replays int
	// MaxPolls bounds the long polls one device holds at once (default
	// DefaultMaxPolls); one more is refused with 429.
	MaxPolls int
	// ReplaysPerDevice bounds the requests remembered of one device
	// (default 600, one a second for the ten minutes a request is
	// remembered; at most Replays): a device past it is refused with 429
	// until its oldest are forgotten, so that one device cannot fill the
	// memory and have everyone's requests refused.
	ReplaysPerDevice int
	Log              *slog.Logger
	Now              func() time.Time // nil: time.Now
}

// DefaultMaxPolls is the default of Options.MaxPolls: an app needs one
// long poll, and a few for one cut off and retried before the server saw
// it end.
const DefaultMaxPolls = 4

// Handler serves the device API.
type Handler struct {
	o    Options
	mux  *http.ServeMux
	seen *seen
	// polls counts the long polls each device holds.
	mu    sync.Mutex
	polls map[string]int
}

// New returns the device API's handler. It authenticates its requests
// itself, by the devices' signatures: mount it with no API key
// middleware.
func New(o Options) (*Handler, error) {
	if o.Push == nil {
		return nil, errors.New("device: Options.Push is required")
	}
	if o.MaxWait <= 0 {
		o.MaxWait = 25 * time.Second
	}
	if o.Recheck <= 0 {
		o.Recheck = time.Second
	}
	if o.Replays <= 0 {
		o.Replays = 100_000
	}
	if o.MaxPolls <= 0 {
		o.MaxPolls = DefaultMaxPolls
	}
	if o.ReplaysPerDevice <= 0 {
		o.ReplaysPerDevice = 600
	}
	o.ReplaysPerDevice = min(o.ReplaysPerDevice, o.Replays)
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	h := &Handler{o: o, mux: http.NewServeMux(), seen: newSeen(o.Replays, o.ReplaysPerDevice, replayWindow), polls: map[string]int{}}
	h.mux.HandleFunc("POST /v1/device/enroll", h.enroll)
	h.mux.HandleFunc("GET /v1/device/challenges", h.challenges)
	h.mux.HandleFunc("POST /v1/device/challenges/{id}", h.answer)
	h.mux.HandleFunc("/v1/device/", func(w http.ResponseWriter, r *http.Request) {
		api.WriteError(w, http.StatusNotFound, api.CodeNotFound, "no such endpoint: see the stepup device API reference")
	})
	return h, nil
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// A body is JSON, as the APIs' conventions say.
	api.JSONBodies(h.mux).ServeHTTP(w, r)
}

func (h *Handler) enroll(w http.ResponseWriter, r *http.Request) {
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	e, err := parseEnroll(body)
	if err != nil {
		api.WriteError(w, http.StatusBadRequest, api.CodeInvalidRequest, strings.TrimPrefix(strings.TrimPrefix(err.Error(), "api: "), "device: "))
		return
	}
	auth, err := h.o.Push.EnrollDevice(r.Context(), e)
	switch {
	case errors.Is(err, push.ErrProtocol):
		h.o.Log.InfoContext(r.Context(), "device: enrollment refused", "err", err)
		api.WriteError(w, http.StatusBadRequest, api.CodeInvalidRequest, "the public key, name or platform is not valid")
		return
	case errors.Is(err, push.ErrEnrollment):
		h.unauthenticated(w, r, "the enrollment token is unknown, expired or used, or the proof does not verify", err)
		return
	case err != nil:
		h.internal(w, r, err)
		return
	}
	h.o.Log.InfoContext(r.Context(), "device: enrolled", "device", auth.ID, "user", auth.UserID, "platform", push.Platform(auth))
	api.WriteJSON(w, http.StatusCreated, enrollResponse{DeviceID: auth.ID})
}

func (h *Handler) answer(w http.ResponseWriter, r *http.Request) {
	dev, body, ok := h.authenticate(w, r)
	if !ok {
		return
	}
	dec, err := parseAnswer(body)
	if err != nil {
		api.WriteError(w, http.StatusBadRequest, api.CodeInvalidRequest, strings.TrimPrefix(strings.TrimPrefix(err.Error(), "api: "), "device: "))
		return
	}
	state, err := h.o.Push.Answer(r.Context(), dev, r.PathValue("id"), dec)
	switch {
	case errors.Is(err, push.ErrNotPending):
		api.WriteError(w, http.StatusConflict, api.CodeConflict, "the push is not waiting for this device's answer: answered, expired, or not sent to it")
		return
	case err != nil:
		h.internal(w, r, err)
		return
	}
	api.WriteJSON(w, http.StatusOK, answerResponse{State: state})
}
