package config

import _ "embed" // for Example

// Example is a configuration file that sets every key to its default or a
// typical value, each with a comment saying what it does and what it allows.
// It reads the environment variable STEPUP_SECRET_KEY, and is valid without
// it. Print it to start a new configuration.
//
//go:embed example.yaml
var Example []byte
