package memdb

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/hashicorp/go-memdb"
	"github.com/stepup-auth/stepup/stepup/store"
)

func BenchmarkExpInsert(b *testing.B) {
	for _, batch := range []int{1, 4, 8, 16} {
		b.Run(fmt.Sprint(batch), func(b *testing.B) {
			sch, _, _ := schema()
			db, _ := memdb.NewMemDB(sch)
			n := 0
			mk := func() *store.ActionRecord {
				n++
				return &store.ActionRecord{ID: fmt.Sprintf("%022x", rand.Uint64()), UserID: fmt.Sprint("load-", n%1000), Action: "payment", IdempotencyKey: fmt.Sprint("w3-", n), ExpiresAt: time.Now().Add(time.Hour)}
			}
			for range 100 {
				txn := db.Txn(true)
				for range 1000 {
					txn.Insert(tableActions, mk())
				}
				txn.Commit()
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i += batch {
				txn := db.Txn(true)
				for range batch {
					txn.Insert(tableActions, mk())
				}
				txn.Commit()
			}
		})
	}
}
