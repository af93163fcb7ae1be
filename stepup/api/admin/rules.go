package admin

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/stepup-auth/stepup/stepup/api"
	"github.com/stepup-auth/stepup/stepup/rules"
	"github.com/stepup-auth/stepup/stepup/store"
)

// ruleSetJSON is one version of an action's rules.
type ruleSetJSON struct {
	Action  string `json:"action"`
	Version uint64 `json:"version"`
	// Serving is the version this server decides with, in the list of
	// actions only.
	Serving uint64          `json:"serving,omitempty"`
	Spec    json.RawMessage `json:"spec,omitempty"`
	Author  string          `json:"author"`
	Comment string          `json:"comment"`
	Created time.Time       `json:"created"`
}

// encodeRuleSet returns rs as JSON, with its spec if withSpec.
func encodeRuleSet(rs *store.RuleSet, withSpec bool) (ruleSetJSON, error) {
	j := ruleSetJSON{Action: rs.Action, Version: rs.Version, Author: rs.Author, Comment: rs.Comment, Created: rs.CreatedAt}
	if !withSpec {
		return j, nil
	}
	// The RuleBook stores the compiled spec as JSON. A spec stored
	// otherwise (YAML, by an older stepup) is shown as its compiled Spec.
	if json.Valid(rs.Spec) {
		j.Spec = rs.Spec
		return j, nil
	}
	compiled, err := rules.Compile(rs.Spec)
	if err != nil {
		return j, err
	}
	j.Spec, err = json.Marshal(compiled.Spec())
	return j, err
}

func (a *API) listActions(w http.ResponseWriter, r *http.Request) {
	latest, err := a.ruleSets.LatestAll(r.Context())
	if err != nil {
		a.internal(w, r, "admin: list the actions", err)
		return
	}
	slices.SortFunc(latest, func(x, y *store.RuleSet) int { return strings.Compare(x.Action, y.Action) })
	out := struct {
		Actions []ruleSetJSON `json:"actions"`
	}{Actions: []ruleSetJSON{}}
	for _, rs := range latest {
		j, _ := encodeRuleSet(rs, false)
		if p, ok := a.book.Get(rs.Action); ok {
			j.Serving = p.Version
		}
		out.Actions = append(out.Actions, j)
	}
	api.WriteJSON(w, http.StatusOK, out)
}

func (a *API) latestRules(w http.ResponseWriter, r *http.Request) {
	action := r.PathValue("action")
	rs, err := a.ruleSets.Latest(r.Context(), action)
	a.answerRuleSet(w, r, rs, err, "action "+strconv.Quote(action)+" has no rules")
}

func (a *API) getVersion(w http.ResponseWriter, r *http.Request) {
	action := r.PathValue("action")
	v, err := strconv.ParseUint(r.PathValue("version"), 10, 64)
	if err != nil || v == 0 {
		api.WriteError(w, http.StatusBadRequest, api.CodeInvalidRequest, "a version is a whole number from 1")
		return
	}
	rs, err := a.ruleSets.Get(r.Context(), action, v)
	a.answerRuleSet(w, r, rs, err, "action "+strconv.Quote(action)+" has no version "+strconv.FormatUint(v, 10))
}

// answerRuleSet answers with rs, or with err: notFound as a 404.
func (a *API) answerRuleSet(w http.ResponseWriter, r *http.Request, rs *store.RuleSet, err error, notFound string) {
	if errors.Is(err, store.ErrNotFound) {
		api.WriteError(w, http.StatusNotFound, api.CodeNotFound, notFound)
		return
	}
	if err != nil {
		a.internal(w, r, "admin: read rules", err)
		return
	}
	j, err := encodeRuleSet(rs, true)
	if err != nil {
		a.internal(w, r, "admin: a stored rule set does not compile", err)
		return
	}
	api.WriteJSON(w, http.StatusOK, j)
}

func (a *API) listVersions(w http.ResponseWriter, r *http.Request) {
	action := r.PathValue("action")
	all, err := a.ruleSets.Versions(r.Context(), action)
	if err != nil {
		a.internal(w, r, "admin: list versions", err)
		return
	}
	if len(all) == 0 {
		api.WriteError(w, http.StatusNotFound, api.CodeNotFound, "action "+strconv.Quote(action)+" has no rules")
		return
	}
	out := struct {
		Action   string        `json:"action"`
		Versions []ruleSetJSON `json:"versions"`
	}{Action: action}
	for _, rs := range all {
		j, _ := encodeRuleSet(rs, false)
		out.Versions = append(out.Versions, j)
	}
	api.WriteJSON(w, http.StatusOK, out)
}
