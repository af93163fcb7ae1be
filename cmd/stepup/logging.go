package main

import (
	"io"
	"log/slog"

	"github.com/stepup-auth/stepup/config"
)

// newLogger returns the process logger described by c, writing to w.
func newLogger(c config.Log, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: c.Level}
	if c.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
