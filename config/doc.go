// Package config reads stepup's one YAML configuration file.
//
// Load decodes the file on top of Default, so every key is optional, and
// returns every problem it finds at once rather than stopping at the first:
// unknown keys, values of the wrong type, unset environment variables and
// invalid settings, each naming its key path and, when the key is in the file,
// its line and column:
//
//	stepup.yaml:7:3: server.listn: unknown key (did you mean "listen"?)
//	stepup.yaml:31:9: oidc.clients[2].redirect_uris[0]: must be an absolute https URL or http://localhost
//
// Strings become types at this boundary (time.Duration, URL, SecretKey,
// SigningAlg, TokenFormat, acr.Level, acr.Method, slog.Level), so the rest of
// stepup never parses configuration. A SecretKey never prints its bytes, and
// no problem repeats it.
//
// A scalar value may refer to the environment as ${VAR} or ${VAR:-default}.
// Expansion happens after parsing, on the decoded value, so a secret that
// contains ": " or a newline cannot change the structure of the file. $${
// stands for a literal ${. Keys are never expanded, and a key that contains
// ${ is an error rather than a key nobody meant.
//
// Whole numbers are read in base 10 only, so 010000 is 10000 (not octal 4096,
// as YAML 1.1 would have it) and a 0x, 0o or 0b prefix is an error.
//
// A key written with no value (null) keeps its default, as if omitted.
// Example holds a fully commented file that lists every key.
package config
