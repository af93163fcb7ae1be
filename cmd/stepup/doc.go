// Command stepup is the stepup server and its tools: an OpenID Connect
// provider that adds risk-based step-up authentication.
//
//	stepup serve [--config FILE]            run the server
//	stepup config validate [--config FILE]  list every problem in a configuration
//	stepup config example                   print a commented example configuration
//	stepup keys rotate|list                 rotate and list the token signing keys
//	stepup users unlock --username NAME     unlock an account locked by failed attempts
//	stepup apikeys create|list|revoke       manage the keys of the track and admin APIs
//	stepup rules test --input CASE.json     evaluate an action's rules over one input, offline
//	stepup version                          print the version
//
// The configuration file is --config FILE, else $STEPUP_CONFIG, else none:
// the built-in defaults. The commands that open the store (keys, users,
// apikeys) need the data folder to themselves: stop a running stepup first.
//
// stepup apikeys create prints the key alone on stdout, once; only a hash
// of it is stored. stepup serve serves the admin API under /admin/v1/ to
// admin keys (package stepup/api/admin): rules published there decide the
// next request, without a restart.
//
// stepup rules test prints, as JSON, what an action's rules (the
// configuration's rule files, or --rules FILE) decide for one input (a
// rules.Input as JSON); it exits 1 when the rules do not compile, printing
// every problem as file:line:column.
package main
