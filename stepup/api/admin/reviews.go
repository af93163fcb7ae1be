package admin

import (
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/stepup-auth/stepup/stepup"
	"github.com/stepup-auth/stepup/stepup/api"
	"github.com/stepup-auth/stepup/stepup/store"
)

// maxReviews bounds the records a listing of pending reviews reads.
const maxReviews = 1000

// pendingReview is an action held for a person to decide.
type pendingReview struct {
	Record  string         `json:"record"`
	UserID  string         `json:"user"`
	Key     string         `json:"key"`
	Created time.Time      `json:"created"`
	Rule    string         `json:"rule,omitempty"`
	Reasons []string       `json:"reasons,omitempty"`
	Values  map[string]any `json:"values,omitempty"`
}

// listReviews answers GET actions/{action}/reviews: the action's records
// waiting for review, newest first, at most maxReviews.
func (a *API) listReviews(w http.ResponseWriter, r *http.Request) {
	if a.actions == nil || a.tracker == nil {
		api.WriteError(w, http.StatusNotFound, api.CodeNotFound, "this server keeps no action records")
		return
	}
	recs, err := a.actions.ListAwaitingReview(r.Context(), r.PathValue("action"), maxReviews)
	if err != nil {
		a.internal(w, r, "admin: read action records", err)
		return
	}
	out := []pendingReview{}
	for _, rec := range recs {
		p := pendingReview{Record: rec.ID, UserID: rec.UserID, Key: rec.IdempotencyKey, Created: rec.CreatedAt}
		if d, err := stepup.RecordedDecision(rec); err == nil {
			p.Reasons = d.Reasons
			if d.Rules != nil {
				p.Rule, p.Values = d.Rules.Result.Rule, d.Rules.Values
			}
		}
		out = append(out, p)
	}
	api.WriteJSON(w, http.StatusOK, map[string]any{"action": r.PathValue("action"), "reviews": out})
}

// decideReview answers POST actions/{action}/reviews/{user}/{key}
// {"approve": true|false, "comment": "..."}: a person's decision, audited.
func (a *API) decideReview(w http.ResponseWriter, r *http.Request) {
	if a.tracker == nil {
		api.WriteError(w, http.StatusNotFound, api.CodeNotFound, "this server keeps no action records")
		return
	}
	var body struct {
		Approve *bool  `json:"approve"`
		Comment string `json:"comment"`
	}
	if !api.ReadJSON(w, r, &body) {
		return
	}
	if body.Approve == nil {
		api.WriteError(w, http.StatusBadRequest, api.CodeInvalidRequest, "approve is required: true or false")
		return
	}
	action, user, key, who := r.PathValue("action"), r.PathValue("user"), r.PathValue("key"), author(r)
	out, err := a.tracker.Review(r.Context(), user, action, key, *body.Approve, who)
	switch {
	case errors.Is(err, stepup.ErrNoAction):
		api.WriteError(w, http.StatusNotFound, api.CodeNotFound, "no such action record")
		return
	case errors.Is(err, stepup.ErrActionState):
		api.WriteError(w, http.StatusConflict, api.CodeConflict, "the action is not waiting for a review")
		return
	case err != nil:
		a.internal(w, r, "admin: review", err)
		return
	}
	data, _ := json.Marshal(map[string]any{"action": action, "key": key, "record": out.ID, "state": out.State, "comment": body.Comment})
	if err := a.audit.Append(r.Context(), &store.AuditEvent{Time: a.now(), Type: "review.decided", ActorID: who,
		SubjectID: user, Data: data}); err != nil {
		// The decision stands; the trail lacks it, which the log says.
		a.log.Error("admin: the review's audit event was not written", "record", out.ID, "err", err)
	}
	api.WriteJSON(w, http.StatusOK, map[string]any{"record": out.ID, "user": user, "action": action, "key": key, "state": out.State})
}
