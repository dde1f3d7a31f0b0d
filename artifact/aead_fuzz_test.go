package artifact

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzAEADDecode feeds arbitrary bytes to the header and segment decoder. It
// must never panic, must fail with ErrDecrypt, and may succeed only on the
// untouched objects of the seed corpus (anything else would be a forgery).
func FuzzAEADDecode(f *testing.F) {
	valid := map[string][]byte{}
	for i, n := range []int{0, 1, 16, 17, 100} {
		plain := bytes.Repeat([]byte{byte(i)}, n)
		// A fixed nonce prefix keeps the seeds identical in every fuzz worker.
		var out bytes.Buffer
		s, err := newSealerPrefix(&out, testKey, []byte("wrapped-key"), MinSegmentSize, [aeadPrefixLen]byte{byte(i)})
		if err != nil {
			f.Fatal(err)
		}
		s.Write(plain)
		if err := s.Close(); err != nil {
			f.Fatal(err)
		}
		obj := out.Bytes()
		valid[string(obj)] = plain
		f.Add(obj)
	}
	f.Add([]byte(aeadMagic))
	f.Add([]byte("SXTE\x01\x00\x00\x00\x10abcdefg\x00\x01k"))
	f.Fuzz(func(t *testing.T, obj []byte) {
		got, err := openBytes(obj)
		if err == nil {
			want, ok := valid[string(obj)]
			if !ok {
				t.Fatalf("decoded %d bytes from an object that was never sealed", len(got))
			}
			if !bytes.Equal(got, want) {
				t.Fatal("seed object decoded to the wrong plaintext")
			}
			return
		}
		if !errors.Is(err, ErrDecrypt) {
			t.Fatalf("err = %v, want ErrDecrypt", err)
		}
	})
}

// FuzzAEADRoundTrip seals arbitrary plaintext with an arbitrary segment size,
// checks it decrypts to itself, then flips one byte and checks that fails.
func FuzzAEADRoundTrip(f *testing.F) {
	f.Add([]byte("hello, world"), uint16(0), uint32(0))
	f.Add(bytes.Repeat([]byte("x"), 200), uint16(3), uint32(150))
	f.Add([]byte{}, uint16(100), uint32(7))
	f.Fuzz(func(t *testing.T, plain []byte, seg uint16, at uint32) {
		size := MinSegmentSize + int(seg)%4096
		obj := sealBytes(t, plain, size)
		got, err := openBytes(obj)
		if err != nil {
			t.Fatalf("open: %v", err)
		}
		if !bytes.Equal(got, plain) {
			t.Fatal("round trip changed the plaintext")
		}
		bad := bytes.Clone(obj)
		bad[int(at)%len(bad)] ^= 0x80
		if _, err := openBytes(bad); !errors.Is(err, ErrDecrypt) {
			t.Fatalf("flipped byte %d of %d: err = %v, want ErrDecrypt", int(at)%len(bad), len(bad), err)
		}
	})
}
