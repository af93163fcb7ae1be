// Package api holds the conventions every stepup JSON API follows (the
// track API, the admin API), so that a client learns them once:
//
//   - Bodies are JSON (Content-Type: application/json), one value, at most
//     MaxBody bytes; a larger body is 413. A field the API does not know
//     is an error, not ignored: a misspelt "base_versoin" must not publish
//     as if the field were absent. Names match as encoding/json matches
//     them, without regard to case, and of a name repeated the last wins.
//
//   - Errors are one object, with a status that fits:
//
//     {"error":{"code":"invalid_request","message":"base_version is required"}}
//
//     code is a fixed, machine-readable word (unauthenticated,
//     invalid_request, not_found, conflict, ...); message is a sentence
//     for people, safe to show: causes that only operators may see go to
//     the log. An API may put more members next to code and message (the
//     admin API lists the problems of a rule set that does not compile).
//
//   - Responses are not cached (Cache-Control: no-store): they hold
//     decisions and secrets' metadata.
//
// Authentication is by API key (package apikey): Authorization: Bearer
// su_<kind>_<id>_<secret>.
package api
