package stepup

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/stepup-auth/stepup/acr"
	"github.com/stepup-auth/stepup/stepup/rules"
	"github.com/stepup-auth/stepup/stepup/signals"
	"github.com/stepup-auth/stepup/stepup/store"
)

// Origin is where a request comes from, as the signals see it: the
// client's address (behind trusted proxies), its user agent, and the
// device it names (a device cookie's or a caller's id; "" for none).
type Origin struct {
	IP        netip.Addr
	UserAgent string
	DeviceID  string
}

// Signals are the sources the engine fills a rule's input from. Every
// field is optional: without a source, its section of the input is
// unknown (the zero value), and rules that read it see nothing.
type Signals struct {
	Users          store.Users          // user
	Authenticators store.Authenticators // user.methods
	Devices        *signals.Devices     // device, and the previous sighting of travel
	Geo            *signals.Geo         // geo, ip.anonymizer, travel
	Lists          *signals.Lists       // ip.lists, lists
	Velocity       *signals.VelocityCounters
	Travel         signals.TravelPolicy
}

// input gathers what the rules see of r at now. A store that fails is an
// error: a decision on half its facts could allow what the rules refuse.
func (s *Signals) input(ctx context.Context, r Request, action string, now time.Time) (*rules.Input, error) {
	in := &rules.Input{
		Now:     now,
		Session: session(r.Verifications, now),
		Request: rules.Request{Client: r.ClientID, Level: rules.LevelName(r.Requested), MaxAge: -1},
		Action:  rules.Action{Code: action, Custom: r.Custom},
		Device:  rules.Device{ID: r.DeviceID, New: true, Bot: signals.IsBot(r.UserAgent), UserAgent: clip(r.UserAgent, maxUserAgent)},
	}
	if r.MaxAge != nil {
		in.Request.MaxAge = int(*r.MaxAge / time.Second)
	}
	if r.IP.IsValid() {
		in.IP.Address = r.IP.String()
	}
	if err := s.user(ctx, r.UserID, r.User, &in.User); err != nil {
		return nil, err
	}
	if s.Lists != nil {
		in.IP.Lists = s.Lists.Match(r.IP)
		in.Lists = s.Lists.Values()
	}
	here := s.locate(r.IP, in)
	if s.Devices != nil {
		dev, err := s.Devices.Recognize(ctx, r.UserID, r.DeviceID, now)
		if err != nil {
			// The entry points check the ids they are given; one that
			// slips through is a store failure or a bug, not a new device.
			return nil, fmt.Errorf("stepup: device: %w", err)
		}
		in.Device.New, in.Device.FirstSeen, in.Device.Count = dev.New, dev.FirstSeen, dev.Count
		if prev, err := netip.ParseAddr(dev.LastIP); err == nil && s.Geo != nil {
			t := s.Travel.Travel(s.Geo.Lookup(prev).Sighting(dev.LastSeen), here.Sighting(now))
			in.Travel = rules.Travel{Known: t.Known, KM: t.Km, KMH: t.Kmh, Impossible: t.Impossible, PreviousCountry: t.PreviousCountry}
		}
	}
	if s.Velocity != nil {
		ip := ""
		if r.IP.IsValid() {
			ip = r.IP.String()
		}
		if r.Attempt {
			s.Velocity.Request(r.UserID, ip, now)
		}
		v := s.Velocity.Signal(r.UserID, ip, now)
		in.Velocity = rules.Velocity{
			User1m: v.User.Minute, User1h: v.User.Hour, User24h: v.User.Day,
			IP1m: v.IP.Minute, IP1h: v.IP.Hour, IP24h: v.IP.Day, Failures1h: v.FailuresHour,
		}
	}
	return in, nil
}

// user fills the user section: who, since when, with which methods, from
// rec when the caller read it already, else from the store.
func (s *Signals) user(ctx context.Context, userID string, rec *store.User, u *rules.User) error {
	if userID == "" || s.Users == nil {
		return nil
	}
	if rec == nil || rec.ID != userID {
		var err error
		rec, err = s.Users.Get(ctx, userID)
		switch {
		case errors.Is(err, store.ErrNotFound):
			return nil
		case err != nil:
			return fmt.Errorf("stepup: user: %w", err)
		}
	}
	*u = rules.User{ID: rec.ID, Email: rec.Email, Attributes: rec.Attributes, Created: rec.CreatedAt, Exists: true}
	if rec.PasswordHash != "" {
		u.Methods = append(u.Methods, string(acr.Password))
	}
	if s.Authenticators == nil {
		return nil
	}
	auths, err := s.Authenticators.ListByUser(ctx, userID)
	if err != nil {
		return fmt.Errorf("stepup: user's authenticators: %w", err)
	}
	for _, a := range auths {
		if !slices.Contains(u.Methods, string(a.Method)) {
			u.Methods = append(u.Methods, string(a.Method))
		}
	}
	return nil
}

// locate fills the geo section and ip.anonymizer, and returns where the
// address is.
func (s *Signals) locate(ip netip.Addr, in *rules.Input) signals.Location {
	if s.Geo == nil || !ip.IsValid() {
		return signals.Location{}
	}
	loc := s.Geo.Lookup(ip)
	in.Geo = rules.Geo{Known: loc.Known, Country: loc.Country, City: loc.City, ASN: int(loc.ASN), ASNOrg: loc.ASNOrg}
	in.IP.Anonymizer = loc.Anonymizer
	return loc
}

// session is the session section: its level and amr, counting every
// verification, and the age of the newest.
func session(vs []acr.Verification, now time.Time) rules.Session {
	s := rules.Session{Level: rules.LevelName(acr.None), SecondsSinceVerification: -1}
	if len(vs) == 0 {
		return s
	}
	a := acr.Assess(vs, time.Time{})
	s.Exists, s.Level, s.AMR = true, rules.LevelName(a.Level), a.AMR
	newest := slices.MaxFunc(vs, func(a, b acr.Verification) int { return a.At.Compare(b.At) })
	s.SecondsSinceVerification = max(0, int(now.Sub(newest.At)/time.Second))
	return s
}

// maxUserAgent bounds the user agent the rules see: the client chooses it,
// and a rule's cost grows with it. Real ones are a few hundred bytes.
const maxUserAgent = 512

// clip cuts s to at most n bytes, on a UTF-8 boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}
