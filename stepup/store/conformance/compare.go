package conformance

import (
	"cmp"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

var timeType = reflect.TypeFor[time.Time]()

// canon returns a deep copy of v in which every time.Time is in UTC without a
// monotonic reading and every empty slice or map is nil. Two records that
// mean the same thing are reflect.DeepEqual once canonical: a backend may
// return an instant in another zone, or an empty list as nil, but must not
// change anything else.
func canon(v reflect.Value) reflect.Value {
	switch v.Kind() {
	case reflect.Struct:
		if v.Type() == timeType {
			return reflect.ValueOf(v.Interface().(time.Time).UTC().Round(0))
		}
		c := reflect.New(v.Type()).Elem()
		for i := range v.NumField() {
			c.Field(i).Set(canon(v.Field(i)))
		}
		return c
	case reflect.Pointer:
		if v.IsNil() {
			return reflect.Zero(v.Type())
		}
		c := reflect.New(v.Type().Elem())
		c.Elem().Set(canon(v.Elem()))
		return c
	case reflect.Slice:
		if v.Len() == 0 {
			return reflect.Zero(v.Type())
		}
		c := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		for i := range v.Len() {
			c.Index(i).Set(canon(v.Index(i)))
		}
		return c
	case reflect.Map:
		if v.Len() == 0 {
			return reflect.Zero(v.Type())
		}
		c := reflect.MakeMapWithSize(v.Type(), v.Len())
		for it := v.MapRange(); it.Next(); {
			c.SetMapIndex(it.Key(), canon(it.Value()))
		}
		return c
	}
	return v
}

// diff describes, field by field, how got differs from want, or returns ""
// when they are equal once canonical.
func diff(got, want any) string {
	g, w := canon(reflect.ValueOf(got)), canon(reflect.ValueOf(want))
	if reflect.DeepEqual(g.Interface(), w.Interface()) {
		return ""
	}
	for g.Kind() == reflect.Pointer && !g.IsNil() && !w.IsNil() {
		g, w = g.Elem(), w.Elem()
	}
	if g.Kind() != reflect.Struct {
		return fmt.Sprintf(" got %s, want %s", show(g), show(w))
	}
	var b strings.Builder
	for i := range g.NumField() {
		if !reflect.DeepEqual(g.Field(i).Interface(), w.Field(i).Interface()) {
			fmt.Fprintf(&b, "\n\t%s: got %s, want %s", g.Type().Field(i).Name, show(g.Field(i)), show(w.Field(i)))
		}
	}
	return b.String()
}

func show(v reflect.Value) string {
	switch {
	case v.Type() == timeType:
		return v.Interface().(time.Time).Format(time.RFC3339Nano)
	case v.Kind() == reflect.Pointer && !v.IsNil():
		return "&" + show(v.Elem())
	case v.Kind() == reflect.String:
		return fmt.Sprintf("%q", v.String())
	case v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Uint8:
		return fmt.Sprintf("%q", v.Bytes())
	}
	return fmt.Sprintf("%+v", v.Interface())
}

// checkRecord reports a difference between the record a read returned and
// the one the test expects.
func checkRecord[T any](t *testing.T, what string, got, want *T) {
	t.Helper()
	if got == nil {
		t.Fatalf("%s: got a nil record, want %s", what, show(reflect.ValueOf(want)))
	}
	if d := diff(got, want); d != "" {
		t.Errorf("%s: record differs:%s", what, d)
	}
}

// checkList reports a difference between a listing and the records the test
// expects, in that order. key names a record in messages.
func checkList[T any](t *testing.T, what string, got, want []*T, key func(*T) string) {
	t.Helper()
	gk, wk := keys(got, key), keys(want, key)
	if !slices.Equal(gk, wk) {
		t.Errorf("%s: got records %q, want %q", what, gk, wk)
		return
	}
	for i := range got {
		if d := diff(got[i], want[i]); d != "" {
			t.Errorf("%s: record %q differs:%s", what, gk[i], d)
		}
	}
}

// checkSet is checkList for a listing whose order the contract leaves open:
// both sides are compared sorted by key.
func checkSet[T any](t *testing.T, what string, got, want []*T, key func(*T) string) {
	t.Helper()
	byKey := func(a, b *T) int { return cmp.Compare(keyOf(a, key), keyOf(b, key)) }
	got, want = slices.Clone(got), slices.Clone(want)
	slices.SortFunc(got, byKey)
	slices.SortFunc(want, byKey)
	checkList(t, what+" (in any order)", got, want, key)
}

func keys[T any](rs []*T, key func(*T) string) []string {
	ks := make([]string, len(rs))
	for i, r := range rs {
		ks[i] = keyOf(r, key)
	}
	return ks
}

func keyOf[T any](r *T, key func(*T) string) string {
	if r == nil {
		return "<nil>"
	}
	return key(r)
}

// checkFixture fails if a fixture leaves a field zero that is not listed in
// mayBeZero: a field added to a record later must be added to its fixture,
// or the suite would not notice a backend that drops it.
func checkFixture(t *testing.T, rec any, mayBeZero ...string) {
	t.Helper()
	v := reflect.ValueOf(rec).Elem()
	for i := range v.NumField() {
		name := v.Type().Field(i).Name
		if v.Field(i).IsZero() && !slices.Contains(mayBeZero, name) {
			t.Fatalf("conformance: the %s fixture leaves %s zero; set it so that the suite checks it round-trips", v.Type().Name(), name)
		}
	}
}

// checkFixtures is checkFixture for a list of values: each field must be
// set in at least one of them.
func checkFixtures[T any](t *testing.T, recs []T, mayBeZero ...string) {
	t.Helper()
	if len(recs) == 0 {
		t.Fatalf("conformance: an empty %T fixture checks nothing", recs)
	}
	typ := reflect.TypeFor[T]()
	for i := range typ.NumField() {
		name := typ.Field(i).Name
		set := slices.Contains(mayBeZero, name)
		for _, r := range recs {
			set = set || !reflect.ValueOf(r).Field(i).IsZero()
		}
		if !set {
			t.Fatalf("conformance: every %s in the fixture leaves %s zero; set it in one so that the suite checks it round-trips", typ.Name(), name)
		}
	}
}
