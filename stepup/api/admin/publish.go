package admin

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/stepup-auth/stepup/stepup"
	"github.com/stepup-auth/stepup/stepup/api"
	"github.com/stepup-auth/stepup/stepup/rules"
	"github.com/stepup-auth/stepup/stepup/store"
)

// maxComment bounds a publication's comment, in characters: the audit
// trail and every listing of versions carry it.
const maxComment = 1000

// publishRequest is the body of PUT /admin/v1/actions/{action}/rules.
type publishRequest struct {
	// BaseVersion is a pointer so that a body without it is refused: a
	// forgotten base would read as 0 and, for a new action, publish.
	BaseVersion *uint64         `json:"base_version"`
	Comment     string          `json:"comment"`
	Spec        json.RawMessage `json:"spec"`
	SpecYAML    *string         `json:"spec_yaml"`
}

// publication is a publishRequest checked.
type publication struct {
	spec    []byte
	base    uint64
	comment string
}

// decodePublish reads and checks a publish body. Its errors are for the
// client, prefixed "admin: ".
func decodePublish(body []byte) (publication, error) {
	var req publishRequest
	if err := api.DecodeJSON(body, &req); err != nil {
		return publication{}, fmt.Errorf("admin: %s", strings.TrimPrefix(err.Error(), "api: "))
	}
	if req.BaseVersion == nil {
		return publication{}, errors.New("admin: base_version is required: the version edited, 0 for an action's first rules")
	}
	if utf8.RuneCountInString(req.Comment) > maxComment {
		return publication{}, fmt.Errorf("admin: the comment is longer than %d characters", maxComment)
	}
	spec, err := specOf(req.Spec, req.SpecYAML)
	if err != nil {
		return publication{}, err
	}
	return publication{spec: spec, base: *req.BaseVersion, comment: req.Comment}, nil
}

// specOf returns the rules document of a body that has it as a JSON
// object (spec) or as YAML text (spec_yaml), exactly one of them.
func specOf(spec json.RawMessage, specYAML *string) ([]byte, error) {
	hasSpec := len(spec) > 0 && !bytes.Equal(spec, []byte("null"))
	switch {
	case hasSpec && specYAML != nil:
		return nil, errors.New("admin: send spec or spec_yaml, not both")
	case hasSpec:
		if spec[0] != '{' {
			return nil, errors.New("admin: spec must be a JSON object, the rules document")
		}
		return spec, nil
	case specYAML != nil:
		if strings.TrimSpace(*specYAML) == "" {
			return nil, errors.New("admin: spec_yaml is empty")
		}
		return []byte(*specYAML), nil
	}
	return nil, errors.New("admin: the rules are missing: send spec (a JSON object) or spec_yaml (YAML text)")
}

// problemsBody is the 422 answer to rules that do not compile.
type problemsBody struct {
	Error struct {
		api.ErrorDetail
		Problems []rules.Problem `json:"problems"`
	} `json:"error"`
}

// compileOrRefuse compiles spec; if it does not compile, it answers the
// request (422 with the problems) and returns nil.
func (a *API) compileOrRefuse(w http.ResponseWriter, r *http.Request, spec []byte) *rules.RuleSet {
	compiled, err := rules.Compile(spec)
	if err == nil {
		return compiled
	}
	var re *rules.Error
	if !errors.As(err, &re) {
		a.internal(w, r, "admin: compile rules", err)
		return nil
	}
	var body problemsBody
	body.Error.Code = "invalid_rules"
	body.Error.Message = fmt.Sprintf("the rules do not compile: %d problem(s)", len(re.Problems))
	body.Error.Problems = re.Problems
	api.WriteJSON(w, http.StatusUnprocessableEntity, body)
	return nil
}

func (a *API) publish(w http.ResponseWriter, r *http.Request) {
	action := r.PathValue("action")
	var body json.RawMessage
	if !api.ReadJSON(w, r, &body) {
		return
	}
	p, err := decodePublish(body)
	if err != nil {
		api.WriteError(w, http.StatusBadRequest, api.CodeInvalidRequest, strings.TrimPrefix(err.Error(), "admin: "))
		return
	}
	// Compiled here first to check the action before anything is
	// stored; Publish compiles again, which a rare write can afford.
	compiled := a.compileOrRefuse(w, r, p.spec)
	if compiled == nil {
		return
	}
	if compiled.Action() != action {
		api.WriteError(w, http.StatusBadRequest, api.CodeInvalidRequest,
			fmt.Sprintf("the spec's action is %q, the path's %q", compiled.Action(), action))
		return
	}
	rec, err := a.book.Publish(r.Context(), p.spec, p.base, author(r), p.comment)
	switch {
	case errors.Is(err, stepup.ErrVersion):
		msg := "the rules changed since version " + strconv.FormatUint(p.base, 10)
		if latest, err := a.ruleSets.Latest(r.Context(), action); err == nil {
			msg += fmt.Sprintf(": version %d is the latest; edit from it", latest.Version)
		} else if errors.Is(err, store.ErrNotFound) {
			msg += ": the action has no rules yet; publish from base_version 0"
		}
		api.WriteError(w, http.StatusConflict, api.CodeConflict, msg)
		return
	case err != nil && rec != nil:
		// Published and serving; only its audit event is missing. The
		// client must not retry, which would conflict.
		a.log.Error("admin: rules published without their audit event", "action", rec.Action, "version", rec.Version, "err", err)
	case err != nil:
		var re *rules.Error
		if errors.As(err, &re) { // cannot happen: compiled above
			a.compileOrRefuse(w, r, p.spec)
			return
		}
		a.internal(w, r, "admin: publish rules", err)
		return
	}
	a.log.Info("rules published", "action", rec.Action, "version", rec.Version, "author", rec.Author)
	j, err := encodeRuleSet(rec, true)
	if err != nil {
		a.internal(w, r, "admin: encode published rules", err)
		return
	}
	api.WriteJSON(w, http.StatusOK, j)
}
