package artifact

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"testing"
	"testing/iotest"
	"time"
)

// drain reads r to its end in reads of step bytes and returns what it
// released and the error that ended it (nil at io.EOF).
func drain(r io.Reader, step int) ([]byte, error) {
	var out []byte
	buf := make([]byte, step)
	for {
		n, err := r.Read(buf)
		out = append(out, buf[:n]...)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
	}
}

// flipAt returns a mutation that flips the stored byte at off.
func flipAt(off func(stored int) int) func([]byte) []byte {
	return func(b []byte) []byte { b[off(len(b))] ^= 0x20; return b }
}

// TestOpenReleasesOnlyVerified corrupts one byte of a stored object in
// its first, a middle or its last chunk (segment, when encrypted) and
// checks that Open's reader returns only bytes of the true content
// before it fails with ErrDigestMismatch, on every backend, through
// Read in small and large steps and through WriteTo.
func TestOpenReleasesOnlyVerified(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	size := 3*chunkSize + 4097 // four chunks, the last one short
	where := []struct {
		name string
		off  func(stored int) int
	}{
		{"first chunk", func(int) int { return 100 }},
		{"middle chunk", func(n int) int { return n / 2 }},
		{"last chunk", func(n int) int { return n - 3 }},
	}
	for _, bk := range backends {
		for _, m := range modes {
			t.Run(bk.name+"/"+m.name, func(t *testing.T) {
				t.Parallel()
				s := newTestStore(t, bk, m)
				for i, w := range where {
					p := content(size, byte(60+i))
					d := mustPut(t, s, p)
					rewrite(t, s, d.Digest, flipAt(w.off))
					for _, how := range []string{"read 1000", "read 4 MiB", "WriteTo", "Get"} {
						t.Run(w.name+"/"+how, func(t *testing.T) {
							var got []byte
							var err error
							if how == "Get" {
								got, err = s.Get(ctx, d.Digest)
							} else {
								var r *Reader
								if r, err = s.Open(ctx, d.Digest); err != nil {
									t.Fatal(err)
								}
								defer r.Close()
								switch how {
								case "read 1000":
									got, err = drain(r, 1000)
								case "read 4 MiB":
									got, err = drain(r, 4<<20)
								default:
									var out bytes.Buffer
									_, err = r.WriteTo(&out)
									got = out.Bytes()
								}
							}
							if !errors.Is(err, ErrDigestMismatch) {
								t.Fatalf("err = %v, want ErrDigestMismatch", err)
							}
							if !bytes.HasPrefix(p, got) {
								t.Fatalf("released %d bytes, not all of them the content's", len(got))
							}
							if !m.encrypted && w.name == "middle chunk" && len(got)%chunkSize != 0 {
								t.Fatalf("released %d bytes, not whole chunks", len(got))
							}
						})
					}
				}
			})
		}
	}
}

// TestOpenWithoutIndex covers plain content longer than a chunk whose
// index is missing (stored before indexes existed), damaged or belongs to
// other content: intact content reads back whole, and corrupt content
// releases nothing; the temporary copy is removed in both cases.
func TestOpenWithoutIndex(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	spool := t.TempDir()
	s, err := New(openBucketURL(t, "mem://"), &Options{SpoolDir: spool})
	if err != nil {
		t.Fatal(err)
	}
	other := mustPut(t, s, content(2*chunkSize+1, 9))
	index := func(d Digest) string { return mustRel(t, s, d) + indexSuffix }
	tests := []struct {
		name    string
		damage  func(d Digest)
		corrupt bool
	}{
		{"missing", func(d Digest) { s.b.Delete(ctx, index(d)) }, false},
		{"missing, content corrupt", func(d Digest) { s.b.Delete(ctx, index(d)) }, true},
		{"damaged", func(d Digest) {
			b, _ := s.b.ReadAll(ctx, index(d))
			b[indexHeader+3] ^= 1
			s.b.WriteAll(ctx, index(d), b)
		}, false},
		{"another content's", func(d Digest) {
			b, _ := s.b.ReadAll(ctx, index(other.Digest))
			s.b.WriteAll(ctx, index(d), b)
		}, true},
		{"truncated", func(d Digest) {
			b, _ := s.b.ReadAll(ctx, index(d))
			s.b.WriteAll(ctx, index(d), b[:len(b)-1])
		}, true},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := content(2*chunkSize+100, byte(70+i))
			d := mustPut(t, s, p)
			if ok, err := s.b.Exists(ctx, index(d.Digest)); !ok || err != nil {
				t.Fatalf("put wrote no index: %v", err)
			}
			tt.damage(d.Digest)
			if tt.corrupt {
				rewrite(t, s, d.Digest, flipAt(func(n int) int { return n - 1 }))
			}
			r, err := s.Open(ctx, d.Digest)
			if err != nil {
				t.Fatal(err)
			}
			got, err := drain(iotest.OneByteReader(r), 1)
			r.Close()
			switch {
			case tt.corrupt && (!errors.Is(err, ErrDigestMismatch) || len(got) != 0):
				t.Fatalf("corrupt content: released %d bytes, err = %v, want none and ErrDigestMismatch", len(got), err)
			case !tt.corrupt && (err != nil || !bytes.Equal(got, p)):
				t.Fatalf("intact content: %d bytes, err = %v", len(got), err)
			}
			if left, _ := os.ReadDir(spool); len(left) != 0 {
				t.Fatalf("temporary files left: %v", left)
			}
		})
	}
}

// TestIndexLayout checks which content gets an index, and that GC and
// Delete remove indexes with their content.
func TestIndexLayout(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, m := range modes {
		for _, n := range []int{0, chunkSize, chunkSize + 1, 2 * chunkSize, 5*chunkSize + 3} {
			t.Run(fmt.Sprintf("%s/%d", m.name, n), func(t *testing.T) {
				s := newTestStore(t, backends[0], m)
				p := content(n, 1)
				d := mustPut(t, s, p)
				want := !m.encrypted && n > chunkSize
				ok, err := s.b.Exists(ctx, mustRel(t, s, d.Digest)+indexSuffix)
				if err != nil || ok != want {
					t.Fatalf("index stored: %v (%v), want %v", ok, err, want)
				}
				if got, err := s.Get(ctx, d.Digest); err != nil || !bytes.Equal(got, p) {
					t.Fatalf("get: %d bytes, %v", len(got), err)
				}
				pk := newTestStore(t, backends[0], m)
				if _, err := pk.PutKnown(ctx, d, bytes.NewReader(p)); err != nil {
					t.Fatal(err)
				}
				ok, _ = pk.b.Exists(ctx, mustRel(t, pk, d.Digest)+indexSuffix)
				if ok != want {
					t.Fatalf("PutKnown: index stored %v, want %v", ok, want)
				}
				if ds := digests(t, s); len(ds) != 1 {
					t.Fatalf("walk = %v, want one digest", ds)
				}
				if err := s.Delete(ctx, d.Digest); err != nil {
					t.Fatal(err)
				}
				if ok, _ := s.b.Exists(ctx, mustRel(t, s, d.Digest)+indexSuffix); ok {
					t.Fatal("delete left the index")
				}
			})
		}
	}
}

// TestGCIndexes checks that GC removes the index of content it deletes
// and indexes left without content once they are older than the grace
// period, and keeps the index of live content.
func TestGCIndexes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newTestStore(t, backends[1], mode{})
	live := mustPut(t, s, content(chunkSize+1, 1))
	dead := mustPut(t, s, content(chunkSize+2, 2))
	orphan := mustPut(t, s, content(chunkSize+3, 3))
	if err := s.b.Delete(ctx, mustRel(t, s, orphan.Digest)); err != nil {
		t.Fatal(err)
	}
	isLive := func(d Digest) bool { return d == live.Digest }
	st, err := s.GC(ctx, isLive, nil)
	if err != nil {
		t.Fatal(err)
	}
	if st.Indexes != 0 || st.Deleted != 0 {
		t.Fatalf("young: %+v, want nothing deleted", st)
	}
	later := func() time.Time { return time.Now().Add(2 * DefaultGrace) }
	if st, err = s.GC(ctx, isLive, &GCOptions{Now: later}); err != nil {
		t.Fatal(err)
	}
	if st.Indexes != 2 || st.Deleted != 1 {
		t.Fatalf("old: %+v, want 1 object and 2 indexes deleted", st)
	}
	for _, c := range []struct {
		d    Digest
		want bool
	}{{live.Digest, true}, {dead.Digest, false}, {orphan.Digest, false}} {
		if ok, _ := s.b.Exists(ctx, mustRel(t, s, c.d)+indexSuffix); ok != c.want {
			t.Fatalf("index of %s present: %v, want %v", c.d, ok, c.want)
		}
	}
}

// testRepair damages the stored copy of content in several ways and
// stores the content again with Put and with PutKnown: the damaged copy
// must be replaced, and an intact one kept as it is.
func testRepair(t *testing.T, s *Store, m mode) {
	ctx := context.Background()
	damage := []struct {
		name   string
		mutate func([]byte) []byte
	}{
		{"flip a byte", flipAt(func(n int) int { return n / 3 })},
		{"truncate", func(b []byte) []byte { return b[:len(b)-1] }},
		{"append", func(b []byte) []byte { return append(b, 7) }},
		{"empty", func([]byte) []byte { return nil }},
	}
	i := 0
	for _, size := range []int{5000, chunkSize + 5000} {
		for _, dm := range damage {
			for _, how := range []string{"Put", "Put streamed", "PutKnown"} {
				i++
				t.Run(fmt.Sprintf("%d/%s/%s", size, dm.name, how), func(t *testing.T) {
					p := content(size, byte(i))
					d := mustPut(t, s, p)
					rewrite(t, s, d.Digest, dm.mutate)
					if _, err := s.Get(ctx, d.Digest); err == nil {
						t.Fatal("damage not detected")
					}
					var err error
					switch how {
					case "Put":
						_, err = s.Put(ctx, bytes.NewReader(p), nil)
					case "Put streamed":
						_, err = s.Put(ctx, iotest.HalfReader(bytes.NewReader(p)), nil)
					default:
						_, err = s.PutKnown(ctx, d, bytes.NewReader(p))
					}
					if err != nil {
						t.Fatalf("%s again: %v", how, err)
					}
					if got, err := s.Get(ctx, d.Digest); err != nil || !bytes.Equal(got, p) {
						t.Fatalf("get after %s: %d bytes, %v", how, len(got), err)
					}
					if n := uploads(t, s); n != 0 {
						t.Fatalf("%d temporary uploads left", n)
					}
				})
			}
		}
	}
	t.Run("index restored", func(t *testing.T) {
		if m.encrypted {
			return // encrypted content has no index
		}
		p := content(2*chunkSize+1, 99)
		d := mustPut(t, s, p)
		idx := mustRel(t, s, d.Digest) + indexSuffix
		if err := s.b.Delete(ctx, idx); err != nil {
			t.Fatal(err)
		}
		if _, err := s.PutKnown(ctx, d, unreadable{t}); err != nil {
			t.Fatal(err)
		}
		if ok, err := s.b.Exists(ctx, idx); !ok || err != nil {
			t.Fatalf("PutKnown of intact content left it without an index: %v", err)
		}
	})
}

// changingSource serves a after its first rewind to the start, and b
// before: a file rewritten while it is being stored.
type changingSource struct {
	*bytes.Reader
	a      []byte
	seeked bool
}

func (c *changingSource) Seek(off int64, whence int) (int64, error) {
	if !c.seeked && whence == io.SeekStart {
		c.seeked = true
		c.Reader = bytes.NewReader(c.a)
	}
	return c.Reader.Seek(off, whence)
}

// countingSeeker is a seekable source that counts the bytes read from it.
type countingSeeker struct {
	*bytes.Reader
	read int64
}

func (c *countingSeeker) Read(p []byte) (int, error) {
	n, err := c.Reader.Read(p)
	c.read += int64(n)
	return n, err
}

// testSeekablePut stores seekable sources, read twice (hashed, then
// uploaded once) or once as hashFirst chooses: from the source's current
// offset, and failing without
// storing anything when the source changes between its two passes.
func testSeekablePut(t *testing.T, s *Store, _ mode) {
	ctx := context.Background()
	for _, n := range []int{0, 5000, chunkSize + 9} {
		p := content(n+100, byte(n))
		r := bytes.NewReader(p)
		r.Seek(100, io.SeekStart)
		d, err := s.Put(ctx, r, &PutOptions{Size: int64(n)})
		if err != nil {
			t.Fatal(err)
		}
		if d.Digest != FromBytes(p[100:]) || d.Size != int64(n) {
			t.Fatalf("put from offset 100: %+v, want the digest of the rest", d)
		}
		if got, err := s.Get(ctx, d.Digest); err != nil || !bytes.Equal(got, p[100:]) {
			t.Fatalf("get %d: %d bytes, %v", n, len(got), err)
		}
	}
	// Content longer than a pump buffer is read once on mem:// and
	// file://, where a temporary object costs little, and twice elsewhere.
	big := content(3*pumpBufSize+17, 4)
	src := &countingSeeker{Reader: bytes.NewReader(big)}
	if d, err := s.Put(ctx, src, nil); err != nil || d.Digest != FromBytes(big) {
		t.Fatalf("put of %d bytes: %+v, %v", len(big), d, err)
	}
	wantRead := 2 * int64(len(big))
	if s.b.inMemory || s.b.localDir != "" {
		wantRead = int64(len(big))
	}
	if src.read != wantRead {
		t.Fatalf("put of %d seekable bytes read %d, want %d", len(big), src.read, wantRead)
	}
	if got, err := s.Get(ctx, FromBytes(big)); err != nil || !bytes.Equal(got, big) {
		t.Fatalf("get %d: %d bytes, %v", len(big), len(got), err)
	}
	if n := uploads(t, s); n != 0 {
		t.Fatalf("%d temporary uploads left", n)
	}
	first, then := content(3000, 1), content(3000, 2)
	d, err := s.Put(ctx, &changingSource{Reader: bytes.NewReader(first), a: then}, nil)
	if s.b.localDir != "" {
		// file:// reads the source once, as a stream.
		if err != nil || d.Digest != FromBytes(first) {
			t.Fatalf("file://: put = %+v, %v", d, err)
		}
		return
	}
	if !errors.Is(err, ErrDigestMismatch) {
		t.Fatalf("source changed between passes: err = %v, want ErrDigestMismatch", err)
	}
	for _, c := range [][]byte{first, then} {
		if ok, _ := s.Exists(ctx, FromBytes(c)); ok {
			t.Fatal("a source that changed left content stored")
		}
	}
}
