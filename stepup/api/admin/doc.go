// Package admin is the admin API of stepup, under /admin/v1/, for the
// analysts who change the rules at run time and the operators who read the
// audit trail. Every request carries an admin API key (package apikey):
// Authorization: Bearer su_admin_...; the conventions of package api hold
// (JSON bodies of at most 1 MiB, unknown fields refused, errors as
// {"error":{"code","message"}}).
//
// # Rules
//
//	GET /admin/v1/actions
//	    {"actions":[{"action":"signIn","version":3,"serving":3,"author":"...","comment":"...","created":"..."}]}
//	    the actions that have rules, with their latest version, and the
//	    version this server decides with (serving; behind the latest until
//	    it refreshes, when another replica published)
//	GET /admin/v1/actions/{action}/rules
//	    {"action":"signIn","version":3,"spec":{...},"author":"...","comment":"...","created":"..."}
//	    the latest version, its spec as JSON (see package rules)
//	GET /admin/v1/actions/{action}/rules/versions
//	    {"action":"signIn","versions":[{"action":"signIn","version":1,...}, ...]}, oldest first, without specs
//	GET /admin/v1/actions/{action}/rules/versions/{version}
//	    one version, with its spec
//	PUT /admin/v1/actions/{action}/rules
//	    {"base_version":3,"comment":"lower the limit","spec":{...}}, or "spec_yaml":"action: signIn\n..."
//	    publishes the next version, which this server decides with from the
//	    next request. base_version is the version edited (0 for an action's
//	    first rules): if another was published since, 409 conflict. A spec
//	    that does not compile is 422 invalid_rules, with every problem:
//	    {"error":{"code":"invalid_rules","message":"...","problems":[
//	      {"line":5,"column":11,"path":"rules[0].when","rule":"big","expr_line":1,"expr_column":5,"message":"..."}]}}
//	    Lines and columns are in the spec's own text: spec_yaml's string,
//	    or the spec object as sent. The spec's action must be the path's.
//	    The author is the admin key's name and id; each publication is an
//	    audit event (rules.published).
//
// # Reviews
//
//	GET  /admin/v1/actions/{action}/reviews               the action's records waiting for a person
//	     {"action":"signIn","reviews":[{"record","user","key","created","rule","reasons","values"}]}
//	POST /admin/v1/actions/{action}/reviews/{user}/{key}  {"approve":true|false,"comment":"..."}
//	     {"record","user","action","key","state":"REVIEW_SUCCEEDED"|"REVIEW_FAILED"}
//
// A sign-in held for review (rules.review: wait) and a tracked action the
// rules send to REVIEW wait here. A decision is made once (409 after) and
// is an audit event, review.decided, naming the admin key.
//
// # Simulation
//
//	POST /admin/v1/simulate
//	    {"action":"payment","version":2,"inputs":[{...}, ...]}            a stored version
//	    {"action":"payment","inputs":[...]}                               the version this server decides with
//	    {"spec":{...} or "spec_yaml":"...","inputs":[...]}                a draft, not published
//	    {"spec_yaml":"...","recent":100}                                  a draft over the last 100 decisions
//	  answers
//	    {"action":"payment","version":2,"current_version":3,"results":[
//	      {"result":{"outcome":"BLOCK","rule":"big","matched":["big"]},"values":{"action.custom.amount":1500},
//	       "current":{"outcome":"ALLOW"},"changed":true}],
//	     "changed":[0]}
//	  version is the stored version simulated; a draft has "draft":true
//	  instead. current_version is the version compared with, if any.
//
// Each input is a rules.Input as JSON, by the names the rules use
// ({"device":{"new":true},"action":{"custom":{"amount":1500}}}); now
// defaults to the time of the call, action.code to the action, and lists
// to the server's configured value lists. result is what the rule set
// answers (outcome, level, max_age, methods, the winning rule, every rule
// matched, the rules that failed to evaluate), values the input values the
// matched rules read. When the set simulated is not the one the server
// decides with (a draft, another version), each result also has current,
// the serving version's answer, and changed, whether the outcome, level,
// max_age or methods differ; "changed" lists those inputs. With recent
// instead of inputs, the inputs are what the rules saw in the action's
// last decisions (the track API's records keep them, without the lists),
// newest first, and each result has record, the action record's id, and
// decided, what was decided then, which changed compares with.
//
// A simulation answers what the rules decide. The engine then takes the
// level the relying party asked for as a floor under the rules', and lets a
// session that already has the level pass without a challenge. Inputs are given, not taken from
// stored action records: a record keeps the values its matched rules read,
// not the whole input another rule set would need.
//
// # Audit
//
//	GET /admin/v1/audit?after=SEQ&limit=N
//	    {"events":[{"seq":4,"time":"...","type":"rules.published","actor":"...","data":{...}}],"next":4}
//	    the events after SEQ (default 0), oldest first, at most N (default
//	    100, at most 1000); next is the after of the following page.
package admin
