package memdb

import (
	"github.com/hashicorp/go-memdb"
	"github.com/stepup-auth/stepup/stepup/store"
)

const tableUpstreamLinks = "upstream_links"

// Upstream links are keyed by (Issuer, Subject), the only identity an
// upstream's ID token proves; a user's links are found by UserID.
func upstreamLinksTable() table {
	type L = store.UpstreamLink
	return newTable[L](tableUpstreamLinks,
		stringIndex[L]{"Issuer,Subject", func(l *L) []string { return []string{l.Issuer, l.Subject} }},
		&memdb.IndexSchema{Name: indexUser,
			Indexer: stringIndex[L]{"UserID", func(l *L) []string { return []string{l.UserID} }}},
	)
}
