package admin

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/stepup-auth/stepup/stepup/api"
)

// maxAuditPage bounds a page of audit events.
const maxAuditPage = 1000

// auditEvent is one event of the trail.
type auditEvent struct {
	Seq     uint64          `json:"seq"`
	Time    time.Time       `json:"time"`
	Type    string          `json:"type"`
	Actor   string          `json:"actor,omitempty"`
	Subject string          `json:"subject,omitempty"`
	Client  string          `json:"client,omitempty"`
	IP      string          `json:"ip,omitempty"`
	Data    json.RawMessage `json:"data,omitempty"`
}

func (a *API) listAudit(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	after, limit := uint64(0), 100
	if s := q.Get("after"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			api.WriteError(w, http.StatusBadRequest, api.CodeInvalidRequest, "after is a sequence number, a whole number from 0")
			return
		}
		after = v
	}
	if s := q.Get("limit"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 1 || v > maxAuditPage {
			api.WriteError(w, http.StatusBadRequest, api.CodeInvalidRequest, "limit is a whole number from 1 to "+strconv.Itoa(maxAuditPage))
			return
		}
		limit = v
	}
	events, err := a.audit.List(r.Context(), after, limit)
	if err != nil {
		a.internal(w, r, "admin: list audit events", err)
		return
	}
	out := struct {
		Events []auditEvent `json:"events"`
		Next   uint64       `json:"next"`
	}{Events: []auditEvent{}, Next: after}
	for _, e := range events {
		j := auditEvent{Seq: e.Seq, Time: e.Time, Type: e.Type, Actor: e.ActorID, Subject: e.SubjectID, Client: e.ClientID, IP: e.IP}
		if len(e.Data) > 0 {
			// Events carry JSON; anything else is shown as a string
			// rather than break the page.
			if json.Valid(e.Data) {
				j.Data = e.Data
			} else {
				j.Data, _ = json.Marshal(string(e.Data))
			}
		}
		out.Events = append(out.Events, j)
		out.Next = e.Seq
	}
	api.WriteJSON(w, http.StatusOK, out)
}
