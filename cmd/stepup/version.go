package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

// version is the release version. A release build sets it with
// -ldflags "-X main.version=v1.2.3"; otherwise the module version from the
// build info is used.
var version = ""

// buildVersion describes this binary: the version, the VCS revision when the
// build recorded one, and the Go toolchain.
func buildVersion() string {
	v, rev := version, ""
	if info, ok := debug.ReadBuildInfo(); ok {
		if v == "" {
			v = info.Main.Version
		}
		var at, modified string
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.time":
				at = s.Value
			case "vcs.modified":
				if s.Value == "true" {
					modified = ", modified"
				}
			}
		}
		if rev != "" {
			if at != "" {
				at = " " + at
			}
			rev = fmt.Sprintf("revision %s%s%s\n", rev, at, modified)
		}
	}
	if v == "" {
		v = "(devel)"
	}
	return fmt.Sprintf("stepup %s\n%s%s %s/%s\n", v, rev, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

func versionCommand(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("version", "version")
	if code, done := parseFlags(fs, args, stdout, stderr); done {
		return code
	}
	fmt.Fprint(stdout, buildVersion())
	return exitOK
}
