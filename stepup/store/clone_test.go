package store

import (
	"reflect"
	"testing"
	"time"
)

// fill sets every field reachable from v to a non-zero value.
func fill(t *testing.T, v reflect.Value, seed *int) {
	t.Helper()
	*seed++
	switch v.Kind() {
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(t, v.Elem(), seed)
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			v.Set(reflect.ValueOf(time.Unix(int64(*seed), 0)))
			return
		}
		for i := range v.NumField() {
			fill(t, v.Field(i), seed)
		}
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 2, 2)
		for i := range 2 {
			fill(t, s.Index(i), seed)
		}
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		fill(t, k, seed)
		fill(t, e, seed)
		m.SetMapIndex(k, e)
		v.Set(m)
	case reflect.String:
		v.SetString("s" + string(rune('a'+*seed%26)))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(int64(*seed))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(uint64(*seed))
	default:
		t.Fatalf("fill: unhandled kind %v", v.Kind())
	}
}

// shares reports the path of the first memory a and b share.
func shares(a, b reflect.Value, path string) string {
	switch a.Kind() {
	case reflect.Pointer:
		if !a.IsNil() && a.Pointer() == b.Pointer() {
			return path
		}
		if !a.IsNil() {
			return shares(a.Elem(), b.Elem(), path)
		}
	case reflect.Struct:
		if a.Type() == reflect.TypeFor[time.Time]() {
			return "" // its *Location is immutable and meant to be shared
		}
		for i := range a.NumField() {
			if p := shares(a.Field(i), b.Field(i), path+"."+a.Type().Field(i).Name); p != "" {
				return p
			}
		}
	case reflect.Slice:
		if a.Len() > 0 && a.Pointer() == b.Pointer() {
			return path
		}
		for i := range a.Len() {
			if p := shares(a.Index(i), b.Index(i), path+"[]"); p != "" {
				return p
			}
		}
	case reflect.Map:
		if a.Len() > 0 && a.Pointer() == b.Pointer() {
			return path
		}
	}
	return ""
}

func TestCloneIsDeep(t *testing.T) {
	records := []any{
		&User{}, &Authenticator{}, &Device{}, &UpstreamLink{}, &Session{}, &Challenge{},
		&ActionRecord{}, &AuthRequest{}, &AccessToken{},
		&RefreshFamily{}, &Client{}, &APIKey{}, &RuleSet{}, &SigningKey{},
		&AuditEvent{},
	}
	for _, r := range records {
		v := reflect.ValueOf(r)
		name := v.Elem().Type().Name()
		t.Run(name, func(t *testing.T) {
			seed := 0
			fill(t, v.Elem(), &seed)
			clone := v.MethodByName("Clone").Call(nil)[0]
			if !reflect.DeepEqual(clone.Interface(), r) {
				t.Fatalf("Clone of %s differs from the original", name)
			}
			if p := shares(v.Elem(), clone.Elem(), name); p != "" {
				t.Fatalf("Clone of %s shares memory at %s", name, p)
			}
		})
	}
}
