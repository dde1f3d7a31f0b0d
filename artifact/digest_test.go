package artifact

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"testing/iotest"
)

// Digests of fixed strings as printed by `printf %s ... | sha256sum`.
var sha256sumOutputs = []struct{ in, hex string }{
	{"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
	{"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
	{"hello, world\n", "853ff93762a06ddbf722c4ebe9ddd66d8f63ddaea97f521c3ecc20da7c976020"},
}

func TestFromBytesMatchesSha256sum(t *testing.T) {
	for _, tt := range sha256sumOutputs {
		want := Digest("sha256:" + tt.hex)
		if got := FromBytes([]byte(tt.in)); got != want {
			t.Errorf("FromBytes(%q) = %s, want %s", tt.in, got, want)
		}
		got, n, err := FromReader(iotest.HalfReader(strings.NewReader(tt.in)))
		if err != nil || got != want || n != int64(len(tt.in)) {
			t.Errorf("FromReader(%q) = %s, %d, %v; want %s, %d", tt.in, got, n, err, want, len(tt.in))
		}
		if got.Hex() != tt.hex {
			t.Errorf("Hex() = %q, want %q", got.Hex(), tt.hex)
		}
	}
}

func TestFromReaderError(t *testing.T) {
	boom := errors.New("boom")
	if _, _, err := FromReader(iotest.ErrReader(boom)); !errors.Is(err, boom) {
		t.Fatalf("err = %v, want boom", err)
	}
}

func TestParseDigest(t *testing.T) {
	good := "sha256:" + sha256sumOutputs[1].hex
	tests := []struct {
		name string
		in   string
		ok   bool
	}{
		{"canonical", good, true},
		{"empty", "", false},
		{"no algorithm", sha256sumOutputs[1].hex, false},
		{"other algorithm", "sha512:" + sha256sumOutputs[1].hex, false},
		{"upper-case algorithm", "SHA256:" + sha256sumOutputs[1].hex, false},
		{"upper-case hex", "sha256:" + strings.ToUpper(sha256sumOutputs[1].hex), false},
		{"short", good[:len(good)-1], false},
		{"long", good + "0", false},
		{"non-hex", good[:len(good)-1] + "g", false},
		{"path tricks", "sha256:../../" + sha256sumOutputs[1].hex[6:], false},
		{"two colons", "sha256::" + sha256sumOutputs[1].hex[1:], false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := ParseDigest(tt.in)
			if tt.ok {
				if err != nil || string(d) != tt.in {
					t.Fatalf("ParseDigest(%q) = %q, %v", tt.in, d, err)
				}
				return
			}
			if !errors.Is(err, ErrInvalidDigest) {
				t.Fatalf("ParseDigest(%q) err = %v, want ErrInvalidDigest", tt.in, err)
			}
			if !strings.HasPrefix(err.Error(), "artifact: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
			if Digest(tt.in).Hex() != "" {
				t.Errorf("Hex of invalid digest %q is not empty", tt.in)
			}
		})
	}
}

func TestDescriptorValidate(t *testing.T) {
	d := Descriptor{Digest: FromBytes(nil), Size: 0}
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
	d.Size = -1
	if err := d.Validate(); !errors.Is(err, ErrSizeMismatch) {
		t.Fatalf("negative size: err = %v", err)
	}
	if err := (Descriptor{Digest: "sha256:zz"}).Validate(); !errors.Is(err, ErrInvalidDigest) {
		t.Fatalf("bad digest: err = %v", err)
	}
}

func FuzzParseDigest(f *testing.F) {
	f.Add("sha256:" + sha256sumOutputs[0].hex)
	f.Add("sha256:")
	f.Add("sha256:../x")
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDigest(s)
		if err != nil {
			if !errors.Is(err, ErrInvalidDigest) {
				t.Fatalf("err = %v", err)
			}
			return
		}
		// A valid digest is a safe object key segment.
		if err := ValidateKey("cas/sha256/" + d.Hex()[:2] + "/" + d.Hex()[2:]); err != nil {
			t.Fatalf("valid digest %q gives invalid key: %v", d, err)
		}
	})
}

// TestDescriptorJSON checks the OCI descriptor field names.
func TestDescriptorJSON(t *testing.T) {
	d := Descriptor{MediaType: "application/vnd.oci.image.layer.v1.tar", Digest: FromBytes([]byte("abc")), Size: 3, Annotations: map[string]string{"org.opencontainers.image.title": "x"}}
	got, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:` + sha256sumOutputs[1].hex + `","size":3,"annotations":{"org.opencontainers.image.title":"x"}}`
	if string(got) != want {
		t.Fatalf("json:\n got %s\nwant %s", got, want)
	}
	got, _ = json.Marshal(Descriptor{Digest: FromBytes(nil)})
	if want := `{"digest":"sha256:` + sha256sumOutputs[0].hex + `","size":0}`; string(got) != want {
		t.Fatalf("minimal json:\n got %s\nwant %s", got, want)
	}
	var back Descriptor
	if err := json.Unmarshal([]byte(want), &back); err != nil || back.Digest != FromBytes([]byte("abc")) || back.Size != 3 {
		t.Fatalf("unmarshal: %+v, %v", back, err)
	}
}
