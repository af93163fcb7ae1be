package rules

import (
	"strings"
	"testing"
)

// TestGuideExamples compiles the examples of the guide in doc.go, so that
// the guide does not teach what does not work.
func TestGuideExamples(t *testing.T) {
	for _, expr := range []string{
		`ip.anonymizer`,
		`has(action.custom.amount) && action.custom.amount > 1000 && device.new`,
		`action.custom.?amount.orValue(0) > 1000`,
		`now - user.created < duration("72h")`,
		`user.attributes.dept == "sales"`,
		`"PASSKEY" in user.methods`,
		`"otp" in session.amr`,
		`"office" in ip.lists`,
		`user.email in lists.vip`,
		`action.custom.flagged == true`,
		`session.level.atLeast("mfa")`,
		`session.level.atLeast(request.level)`,
		`user.attributes.?tier.hasValue()`,
		`sets.contains(user.methods, ["TOTP"]) || sets.intersects(user.methods, ["PASSKEY"]) || sets.equivalent(user.methods, ["SMS"])`,
		`user.email.lowerAscii().trim().split("@").size() == 2 && user.email.indexOf("@") > 0 && user.email.substring(0, 1) != "." && user.email.upperAscii() != "" && user.email.replace("a", "b") != "" && ["a", "b"].join("-") == "a-b" && "%s".format([geo.city]) != ""`,
		`user.methods.all(m, m != "SMS") && user.methods.exists_one(m, m == "TOTP") && user.methods.map(m, m.size()).size() > 0 && user.methods.filter(m, m.matches("^P")).size() >= 0`,
		`int(action.custom.amount) > 1000 && double(velocity.ip_1m) > 0.5 && string(geo.asn) != ""`,
		"!device.new &&\n  geo.country != \"FR\"",
	} {
		doc := "action: p\ndefault: ALLOW\nrules:\n  - id: r\n    priority: 0\n    outcome: BLOCK\n    when: |\n      " +
			strings.ReplaceAll(expr, "\n", "\n      ") + "\n"
		if _, err := Compile([]byte(doc)); err != nil {
			t.Errorf("%s: %v", expr, err)
		}
	}
}
