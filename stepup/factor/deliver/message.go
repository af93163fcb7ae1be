package deliver

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// Sender delivers one message. An error wraps ErrUndelivered.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// Channel is the way a message travels.
type Channel string

// The channels a Message can name.
const (
	Email    Channel = "email"
	SMS      Channel = "sms"
	WhatsApp Channel = "whatsapp"
)

// Content is what a message says, as the Renderer produces it. Subject and
// HTML are for email only; Text is the plain-text body of an email or the
// whole of an SMS or WhatsApp message.
type Content struct {
	Subject string
	Text    string
	HTML    string
}

// Message is one message to one destination.
type Message struct {
	// ID is unique per message and stays the same over every retry, so that
	// a receiver can drop a duplicate. It becomes the local part of an
	// email's Message-ID, so it holds only letters, digits, '-', '_' and
	// '.'; NewID makes one.
	ID      string
	Channel Channel
	// To is an email address for Email and an E.164 number ("+4915112345678")
	// for SMS and WhatsApp.
	To string
	// Created is when the message was made; zero means the time of Send.
	Created time.Time
	Content
}

// NewID returns a random message id of 32 hex digits.
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+).
	return hex.EncodeToString(b[:])
}

// ErrUndelivered is wrapped by every error a Sender returns. Its text is
// safe to show to a user; the wrapped cause is for the log.
var ErrUndelivered = errors.New("deliver: the message could not be sent; try again later or choose another method")

// undelivered is the error a Sender returns: the user-safe sentinel and the
// cause for the log.
type undelivered struct {
	channel Channel
	cause   error
}

func (e *undelivered) Error() string {
	return fmt.Sprintf("deliver: %s not sent: %v", e.channel, e.cause)
}

func (e *undelivered) Unwrap() []error { return []error{ErrUndelivered, e.cause} }

func fail(ch Channel, cause error) error { return &undelivered{channel: ch, cause: cause} }

// validID reports whether id is usable as a message id.
func validID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}
