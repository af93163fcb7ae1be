package password

import (
	"slices"
	"strings"
	"testing"
)

func TestCommonPasswords(t *testing.T) {
	for _, pw := range []string{"password", "PassWord", "12345678", "qwertyuiop", "iloveyou", "trustno1"} {
		if !Common(pw) {
			t.Errorf("Common(%q) = false, want true", pw)
		}
	}
	for _, pw := range []string{"correct horse battery", "", "passwor", "password\n", "zq8#Lm2!vR"} {
		if Common(pw) {
			t.Errorf("Common(%q) = true, want false", pw)
		}
	}
}

// The look-up is a binary search: the list must stay sorted, unique, lower
// case and of passwords long enough to be accepted at all.
func TestCommonListIsSortedLowerCaseAndLongEnough(t *testing.T) {
	list := common()
	if len(list) < 10_000 {
		t.Fatalf("%d passwords, want the whole list", len(list))
	}
	if !slices.IsSorted(list) {
		t.Error("the list is not sorted")
	}
	for i, pw := range list {
		if pw != strings.ToLower(pw) || len([]rune(pw)) < 8 || i > 0 && list[i-1] == pw {
			t.Errorf("entry %d, %q: want lower case, at least 8 characters, once", i, pw)
		}
	}
}
