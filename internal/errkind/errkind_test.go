package errkind

import (
	"errors"
	"fmt"
	"io/fs"
	"testing"
)

func TestNew(t *testing.T) {
	a := New("a: not found", fs.ErrNotExist)
	b := New("b: not found", fs.ErrNotExist)
	wrapped := fmt.Errorf("%w: model %q", a, "churn")
	switch {
	case a.Error() != "a: not found":
		t.Fatalf("message %q", a.Error())
	case wrapped.Error() != `a: not found: model "churn"`:
		t.Fatalf("wrapped message %q", wrapped.Error())
	case !errors.Is(wrapped, a):
		t.Fatal("a wrapped does not match a")
	case !errors.Is(wrapped, fs.ErrNotExist):
		t.Fatal("a wrapped does not match fs.ErrNotExist")
	case errors.Is(wrapped, b):
		t.Fatal("a matches b: sentinels of two packages must stay apart")
	case errors.Is(wrapped, fs.ErrExist), errors.Is(wrapped, fs.ErrInvalid):
		t.Fatal("a matches another condition")
	}
}
