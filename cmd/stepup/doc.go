// Command stepup is the stepup server and its tools: an OpenID Connect
// provider that adds risk-based step-up authentication.
//
//	stepup serve [--config FILE]            run the server
//	stepup config validate [--config FILE]  list every problem in a configuration
//	stepup config example                   print a commented example configuration
//	stepup version                          print the version
//
// The configuration file is --config FILE, else $STEPUP_CONFIG, else none:
// the built-in defaults.
package main
