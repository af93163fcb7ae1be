package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/stepup-auth/stepup/stepup"
	"github.com/stepup-auth/stepup/stepup/api"
	"github.com/stepup-auth/stepup/stepup/rules"
	"github.com/stepup-auth/stepup/stepup/store"
)

const (
	// maxInputs bounds the inputs of one simulation.
	maxInputs = 1000
	// simulateTimeout bounds a simulation's evaluations: a thousand
	// inputs over realistic rules take milliseconds, and rules that loop
	// over long lists stop at it rather than hold the server.
	simulateTimeout = 10 * time.Second
)

// simulateRequest is the body of POST /admin/v1/simulate.
type simulateRequest struct {
	Action   string          `json:"action"`
	Version  uint64          `json:"version"`
	Spec     json.RawMessage `json:"spec"`
	SpecYAML *string         `json:"spec_yaml"`
	Inputs   []rules.Input   `json:"inputs"`
	// Recent replays, instead of given inputs, what the rules saw in the
	// action's last Recent tracked decisions, each compared with what was
	// decided then.
	Recent int `json:"recent"`
}

// simulation is the answer.
type simulation struct {
	Action string `json:"action"`
	// Version is the stored version simulated; 0 for a draft.
	Version uint64 `json:"version,omitempty"`
	Draft   bool   `json:"draft,omitempty"`
	// CurrentVersion is the version the server decides with, when it is
	// not the one simulated and each result is compared with it.
	CurrentVersion uint64      `json:"current_version,omitempty"`
	Results        []simulated `json:"results"`
	Changed        []int       `json:"changed,omitempty"`
}

// simulated is the answer for one input.
type simulated struct {
	Result  rules.Result   `json:"result"`
	Values  map[string]any `json:"values,omitempty"`
	Current *rules.Result  `json:"current,omitempty"`
	// Record and Decided are, for a replayed decision, its action record
	// and what was decided then, which Changed compares with.
	Record  string        `json:"record,omitempty"`
	Decided *rules.Result `json:"decided,omitempty"`
	Changed bool          `json:"changed,omitempty"`
}

func (a *API) simulate(w http.ResponseWriter, r *http.Request) {
	var req simulateRequest
	if !api.ReadJSON(w, r, &req) {
		return
	}
	switch {
	case req.Recent != 0 && (len(req.Inputs) > 0 || a.actions == nil || req.Recent < 0 || req.Recent > maxInputs):
		api.WriteError(w, http.StatusBadRequest, api.CodeInvalidRequest,
			fmt.Sprintf("recent replays 1 to %d stored decisions, instead of inputs", maxInputs))
		return
	case req.Recent == 0 && (len(req.Inputs) == 0 || len(req.Inputs) > maxInputs):
		api.WriteError(w, http.StatusBadRequest, api.CodeInvalidRequest, fmt.Sprintf("send 1 to %d inputs, or recent", maxInputs))
		return
	}
	out := simulation{Action: req.Action}
	var set *rules.RuleSet
	draft := len(req.Spec) > 0 && string(req.Spec) != "null" || req.SpecYAML != nil
	switch {
	case draft:
		if req.Version != 0 {
			api.WriteError(w, http.StatusBadRequest, api.CodeInvalidRequest, "send a version or a draft spec, not both")
			return
		}
		spec, err := specOf(req.Spec, req.SpecYAML)
		if err != nil {
			api.WriteError(w, http.StatusBadRequest, api.CodeInvalidRequest, strings.TrimPrefix(err.Error(), "admin: "))
			return
		}
		if set = a.compileOrRefuse(w, r, spec); set == nil {
			return
		}
		if req.Action != "" && req.Action != set.Action() {
			api.WriteError(w, http.StatusBadRequest, api.CodeInvalidRequest,
				fmt.Sprintf("the spec's action is %q, the request's %q", set.Action(), req.Action))
			return
		}
		out.Action, out.Draft = set.Action(), true
	case req.Action == "":
		api.WriteError(w, http.StatusBadRequest, api.CodeInvalidRequest, "name the action, or send a draft spec")
		return
	case req.Version == 0:
		p, ok := a.book.Get(req.Action)
		if !ok {
			api.WriteError(w, http.StatusNotFound, api.CodeNotFound, "action "+strconv.Quote(req.Action)+" has no rules")
			return
		}
		set, out.Version = p.Rules, p.Version
	default:
		var ok bool
		if set, ok = a.storedVersion(w, r, req.Action, req.Version); !ok {
			return
		}
		out.Version = req.Version
	}

	// The serving set is the baseline, unless it is the one simulated, or
	// decisions are replayed: they compare with what was decided then.
	var current *rules.RuleSet
	if p, ok := a.book.Get(out.Action); ok && (out.Draft || p.Version != out.Version) && req.Recent == 0 {
		current, out.CurrentVersion = p.Rules, p.Version
	}
	var replayed []replay
	if req.Recent > 0 {
		var ok bool
		if replayed, ok = a.replays(w, r, out.Action, req.Recent); !ok {
			return
		}
		for _, rp := range replayed {
			req.Inputs = append(req.Inputs, *rp.input)
		}
	}
	ctx, cancel := context.WithTimeout(r.Context(), simulateTimeout)
	defer cancel()
	now := a.now()
	for i := range req.Inputs {
		in := &req.Inputs[i]
		a.complete(in, out.Action, now)
		res := set.Evaluate(ctx, in)
		s := simulated{Result: res, Values: set.Values(in, res.Matched)}
		if replayed != nil {
			s.Record, s.Decided = replayed[i].record, &replayed[i].decided
			if s.Changed = !sameDecision(res, replayed[i].decided); s.Changed {
				out.Changed = append(out.Changed, i)
			}
		}
		if current != nil {
			cur := current.Evaluate(ctx, in)
			s.Current, s.Changed = &cur, !sameDecision(res, cur)
			if s.Changed {
				out.Changed = append(out.Changed, i)
			}
		}
		out.Results = append(out.Results, s)
	}
	if ctx.Err() != nil {
		// Rules stopped by the deadline did not match: the results would
		// mislead.
		api.WriteError(w, http.StatusBadRequest, api.CodeInvalidRequest,
			fmt.Sprintf("the simulation took longer than %v; send fewer inputs", simulateTimeout))
		return
	}
	api.WriteJSON(w, http.StatusOK, out)
}

// replay is a stored decision to simulate again.
type replay struct {
	record  string
	input   *rules.Input
	decided rules.Result
}

// replays reads the inputs and results of the action's last n decisions
// that the rules made and kept their input; if it cannot, it answers the
// request and returns false.
func (a *API) replays(w http.ResponseWriter, r *http.Request, action string, n int) ([]replay, bool) {
	recs, err := a.actions.ListByAction(r.Context(), action, n)
	if err != nil {
		a.internal(w, r, "admin: read action records", err)
		return nil, false
	}
	out := []replay{}
	for _, rec := range recs {
		d, err := stepup.RecordedDecision(rec)
		if err != nil || d.Rules == nil || d.Rules.Input == nil {
			continue // decided before the rules kept inputs, or by no rules
		}
		out = append(out, replay{record: rec.ID, input: d.Rules.Input, decided: d.Rules.Result})
	}
	if len(out) == 0 {
		api.WriteError(w, http.StatusNotFound, api.CodeNotFound, "action "+strconv.Quote(action)+" has no stored decisions to replay")
		return nil, false
	}
	return out, true
}

// storedVersion compiles a stored version; if it cannot, it answers the
// request and returns false.
func (a *API) storedVersion(w http.ResponseWriter, r *http.Request, action string, version uint64) (*rules.RuleSet, bool) {
	rs, err := a.ruleSets.Get(r.Context(), action, version)
	if errors.Is(err, store.ErrNotFound) {
		api.WriteError(w, http.StatusNotFound, api.CodeNotFound, fmt.Sprintf("action %q has no version %d", action, version))
		return nil, false
	}
	if err != nil {
		a.internal(w, r, "admin: read rules", err)
		return nil, false
	}
	set, err := rules.Compile(rs.Spec)
	if err != nil {
		a.internal(w, r, "admin: a stored rule set does not compile", err)
		return nil, false
	}
	return set, true
}

// complete fills what an input leaves out as the engine would: the time
// of the decision, the action, the configured value lists.
func (a *API) complete(in *rules.Input, action string, now time.Time) {
	if in.Now.IsZero() {
		in.Now = now
	}
	if in.Action.Code == "" {
		in.Action.Code = action
	}
	if in.Lists == nil {
		in.Lists = a.lists
	}
}

// sameDecision reports whether two results ask the same of the user: the
// winning rule and the rules matched may differ.
func sameDecision(x, y rules.Result) bool {
	return x.Outcome == y.Outcome && x.Level == y.Level && x.HasMaxAge == y.HasMaxAge &&
		x.MaxAge == y.MaxAge && slices.Equal(x.Methods, y.Methods)
}
