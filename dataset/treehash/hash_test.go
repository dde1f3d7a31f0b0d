package treehash

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sextant-ml/sextant/dataset/internal/testtree"
)

// coreutilsSum runs sha256sum or md5sum on path and returns the hex digest.
func coreutilsSum(t testing.TB, alg Algorithm, path string) string {
	t.Helper()
	return string(alg) + ":" + testtree.Coreutils(t, string(alg)+"sum", path)
}

func newHasher(t testing.TB, opts *Options) *Hasher {
	t.Helper()
	h, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// row is a File with its digest written out, for comparisons.
type row struct {
	Path   string
	Size   int64
	Digest string
	Mode   fs.FileMode
}

func rows(files []File) []row {
	out := make([]row, len(files))
	for i, f := range files {
		out[i] = row{f.Path, f.Size, f.Sum.String(), f.Mode}
	}
	return out
}

// decodeMap decodes a cache file into a map, to compare with what was
// encoded.
func decodeMap(data []byte) (map[cacheKey]cacheEntry, error) {
	recs, names, err := decodeCache(data)
	if err != nil {
		return nil, err
	}
	c := &Cache{base: recs, names: names}
	return c.all(), nil
}

func TestHashFileMatchesCoreutils(t *testing.T) {
	const buf = 4096
	sizes := []int{0, 1, 55, 56, 63, 64, 65, buf - 1, buf, buf + 1, 2*buf + 17, 1<<20 - 1, 1 << 20, 1<<20 + 1, 3<<20 + 7, mapMin - 1, mapMin, mapMin + 1, 2*progressChunk + 3}
	dir := t.TempDir()
	want := map[string]string{}
	for _, alg := range []Algorithm{SHA256, MD5} {
		for _, bufSize := range []int{buf, 0} {
			h := newHasher(t, &Options{Algorithm: alg, BufferSize: bufSize})
			for _, n := range sizes {
				t.Run(fmt.Sprintf("%s/buf=%d/size=%d", alg, bufSize, n), func(t *testing.T) {
					p := filepath.Join(dir, fmt.Sprintf("f%d", n))
					if _, err := os.Stat(p); err != nil {
						testtree.WriteFile(t, p, testtree.Random(uint64(n), n))
					}
					got, err := h.HashFile(t.Context(), p)
					if err != nil {
						t.Fatal(err)
					}
					key := fmt.Sprint(alg, n)
					if _, ok := want[key]; !ok {
						want[key] = coreutilsSum(t, alg, p)
					}
					if got.Sum.String() != want[key] {
						t.Errorf("digest %s, %ssum says %s", got.Sum, alg, want[key])
					}
					if got.Sum.Algorithm() != alg || alg.Size() == 0 || len(got.Sum.Bytes()) != alg.Size() || string(alg)+":"+got.Sum.Hex() != want[key] {
						t.Errorf("sum %v: algorithm %s, %d bytes, hex %s", got.Sum, got.Sum.Algorithm(), len(got.Sum.Bytes()), got.Sum.Hex())
					}
					if got.Size != int64(n) {
						t.Errorf("size %d, want %d", got.Size, n)
					}
				})
			}
		}
	}
}

// TestHashSparse hashes a sparse file with data at both ends against
// md5sum. It is kept at 256 MiB for the time budget of the race-enabled
// test run; BenchmarkSparseMultiGiB checks a 5 GiB sparse file (past 32-bit
// sizes) against sha256sum.
func TestHashSparse(t *testing.T) {
	p := filepath.Join(t.TempDir(), "sparse")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	const size = 256<<20 + 5
	if _, err := f.Write([]byte("head")); err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(size - 3); err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte("end"), size-3); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	var last Progress
	h := newHasher(t, &Options{Algorithm: MD5, Progress: func(p Progress) { last = p }})
	m, err := h.HashDir(t.Context(), filepath.Dir(p))
	if err != nil {
		t.Fatal(err)
	}
	if want := coreutilsSum(t, MD5, p); m[0].Sum.String() != want {
		t.Errorf("digest %s, md5sum says %s", m[0].Sum, want)
	}
	if m[0].Size != size || last.BytesDone != size || last.BytesTotal != size {
		t.Errorf("size %d, progress %+v, want %d", m[0].Size, last, size)
	}
}

// TestHashTruncatedWhileHashing shrinks a large file while it is being
// hashed: the read or the memory map must fail with ErrChanged, not crash.
func TestHashTruncatedWhileHashing(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "shrinks")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	f.Truncate(3 * progressChunk)
	f.Close()
	truncated := false
	h := newHasher(t, &Options{Workers: 1, Progress: func(p Progress) {
		if !truncated && p.BytesDone > 0 {
			truncated = true
			if err := os.Truncate(filepath.Join(dir, "shrinks"), 4096); err != nil {
				t.Error(err)
			}
		}
	}})
	if _, err := h.HashDir(t.Context(), dir); !errors.Is(err, ErrChanged) {
		t.Fatalf("hash of a file truncated meanwhile: %v, want ErrChanged", err)
	}
}

func TestHashDir(t *testing.T) {
	dir := t.TempDir()
	files := map[string][]byte{
		"a.txt":         []byte("alpha"),
		"a/b.bin":       testtree.Random(1, 70000),
		"a/c/d.csv":     []byte("x,y\n1,2\n"),
		"empty":         nil,
		"ü/ñame ☃.json": []byte(`{}`),
	}
	for name, data := range files {
		testtree.WriteFile(t, filepath.Join(dir, filepath.FromSlash(name)), data)
	}
	if err := os.Chmod(filepath.Join(dir, "a.txt"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "emptydir"), 0o755); err != nil {
		t.Fatal(err)
	}
	var calls []Progress
	h := newHasher(t, &Options{Workers: 3, Progress: func(p Progress) { calls = append(calls, p) }})
	m, err := h.HashDir(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	var want []row
	for _, name := range []string{"a.txt", "a/b.bin", "a/c/d.csv", "empty", "ü/ñame ☃.json"} {
		mode := os.FileMode(0o644)
		if name == "a.txt" {
			mode = 0o755
		}
		p := filepath.Join(dir, filepath.FromSlash(name))
		want = append(want, row{Path: name, Size: int64(len(files[name])), Digest: coreutilsSum(t, SHA256, p), Mode: mode})
	}
	if diff := cmp.Diff(want, rows(m)); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	var size int64
	for _, f := range m {
		if err := ValidatePath(f.Path); err != nil {
			t.Error(err)
		}
		size += f.Size
	}
	// Progress: monotonic, ends complete.
	for i := 1; i < len(calls); i++ {
		if calls[i].FilesDone < calls[i-1].FilesDone || calls[i].BytesDone < calls[i-1].BytesDone {
			t.Fatalf("progress went backwards: %+v then %+v", calls[i-1], calls[i])
		}
	}
	last := calls[len(calls)-1]
	if last.FilesDone != 5 || last.FilesTotal != 5 || last.BytesDone != size || last.BytesTotal != size {
		t.Errorf("last progress %+v, want 5 files and %d bytes", last, size)
	}

	// The same tree as an fs.FS gives the same digests.
	fsys := fstest.MapFS{}
	for name, data := range files {
		fsys[name] = &fstest.MapFile{Data: data, Mode: 0o644}
	}
	fsys["a.txt"].Mode = 0o755
	fm, err := h.HashFS(t.Context(), fsys)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(rows(m), rows(fm)); diff != "" {
		t.Errorf("HashFS differs from HashDir (-dir +fs):\n%s", diff)
	}
}

func TestHashDirEmptyAndErrors(t *testing.T) {
	h := newHasher(t, nil)
	var calls int
	h2 := newHasher(t, &Options{Progress: func(Progress) { calls++ }})
	m, err := h2.HashDir(t.Context(), t.TempDir())
	if err != nil || len(m) != 0 || calls != 1 {
		t.Errorf("empty dir: %v, %d entries, %d progress calls", err, len(m), calls)
	}
	if _, err := h.HashDir(t.Context(), filepath.Join(t.TempDir(), "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing dir: %v", err)
	}
	f := filepath.Join(t.TempDir(), "file")
	testtree.WriteFile(t, f, []byte("x"))
	if _, err := h.HashDir(t.Context(), f); err == nil {
		t.Error("hashing a file as a directory succeeded")
	}
	bad := t.TempDir()
	testtree.WriteFile(t, filepath.Join(bad, "back\\slash"), []byte("x"))
	if _, err := h.HashDir(t.Context(), bad); !errors.Is(err, ErrInvalidPath) {
		t.Errorf("backslash name: %v, want ErrInvalidPath", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := h.HashDir(ctx, filepath.Dir(f)); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	if _, err := New(&Options{Algorithm: "sha1"}); !errors.Is(err, ErrUnknownAlgorithm) {
		t.Errorf("unknown algorithm: %v", err)
	}
}

func TestHashReader(t *testing.T) {
	h := newHasher(t, nil)
	d, n, err := h.HashReader(t.Context(), bytes.NewReader([]byte("foo")))
	if err != nil || n != 3 || d.String() != "sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae" {
		t.Errorf("HashReader(foo) = %s, %d, %v", d, n, err)
	}
	boom := errors.New("boom")
	if _, _, err := h.HashReader(t.Context(), io.MultiReader(strings.NewReader("x"), iotestErr{boom})); !errors.Is(err, boom) {
		t.Errorf("read error not returned: %v", err)
	}
}

type iotestErr struct{ err error }

func (e iotestErr) Read([]byte) (int, error) { return 0, e.err }

// past sets a file's modification time well before now, so the stat cache
// trusts it.
func past(t testing.TB, path string, ago time.Duration) {
	t.Helper()
	ts := time.Now().Add(-ago)
	if err := os.Chtimes(path, ts, ts); err != nil {
		t.Fatal(err)
	}
}

func TestStatCache(t *testing.T) {
	dir := t.TempDir()
	names := []string{"keep", "touch", "resize", "replace", "fresh"}
	for i, n := range names {
		testtree.WriteFile(t, filepath.Join(dir, n), []byte(strings.Repeat(n, i+1)))
		past(t, filepath.Join(dir, n), time.Hour)
	}
	cachePath := filepath.Join(t.TempDir(), "sub", "statcache")
	cache, err := OpenCache(t.Context(), &CacheOptions{Path: cachePath})
	if err != nil {
		t.Fatal(err)
	}
	hashTree := func(c *Cache) ([]File, Progress) {
		t.Helper()
		var last Progress
		h := newHasher(t, &Options{Cache: c, Progress: func(p Progress) { last = p }})
		m, err := h.HashDir(t.Context(), dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range m {
			if want := coreutilsSum(t, SHA256, filepath.Join(dir, e.Path)); e.Sum.String() != want {
				t.Errorf("%s: digest %s, sha256sum says %s", e.Path, e.Sum, want)
			}
		}
		return m, last
	}
	if _, p := hashTree(cache); p.FilesCached != 0 {
		t.Fatalf("first pass served %d files from an empty cache", p.FilesCached)
	}
	if _, p := hashTree(cache); p.FilesCached != 5 {
		t.Fatalf("second pass: %d cached, want 5", p.FilesCached)
	}
	if err := cache.Save(t.Context()); err != nil {
		t.Fatal(err)
	}

	// Changes: touched (new mtime, same bytes); resized within the same
	// mtime; replaced by rename (new inode, same size and mtime); written
	// just now (too recent to be remembered).
	past(t, filepath.Join(dir, "touch"), 30*time.Minute)
	fi, _ := os.Stat(filepath.Join(dir, "resize"))
	testtree.WriteFile(t, filepath.Join(dir, "resize"), []byte("resized!"))
	os.Chtimes(filepath.Join(dir, "resize"), fi.ModTime(), fi.ModTime())
	fi, _ = os.Stat(filepath.Join(dir, "replace"))
	old, _ := os.ReadFile(filepath.Join(dir, "replace"))
	other := []byte(strings.ToUpper(string(old)))
	testtree.WriteFile(t, filepath.Join(dir, "replace.tmp"), other)
	os.Chtimes(filepath.Join(dir, "replace.tmp"), fi.ModTime(), fi.ModTime())
	if err := os.Rename(filepath.Join(dir, "replace.tmp"), filepath.Join(dir, "replace")); err != nil {
		t.Fatal(err)
	}
	testtree.WriteFile(t, filepath.Join(dir, "fresh"), []byte("new"))

	reopened, err := OpenCache(t.Context(), &CacheOptions{Path: cachePath})
	if err != nil {
		t.Fatal(err)
	}
	if reopened.Len() != 5 {
		t.Fatalf("reopened cache has %d entries, want 5", reopened.Len())
	}
	if _, p := hashTree(reopened); p.FilesCached != 1 {
		t.Errorf("after changes: %d cached, want 1 (keep only)", p.FilesCached)
	}
	// The recent file is not remembered: hashed again on the next pass.
	if _, p := hashTree(reopened); p.FilesCached != 4 {
		t.Errorf("next pass: %d cached, want 4 (all but the recent file)", p.FilesCached)
	}

	// Prune drops entries of deleted and changed files only.
	os.Remove(filepath.Join(dir, "keep"))
	past(t, filepath.Join(dir, "touch"), 10*time.Minute)
	n, err := reopened.Prune(t.Context())
	if err != nil || n != 2 || reopened.Len() != 2 {
		t.Errorf("Prune dropped %d (%v), %d left; want 2 dropped, 2 left", n, err, reopened.Len())
	}
}

func TestStatCacheFileFormat(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "c")
	c, err := NewCache(&CacheOptions{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	// Save of an unchanged cache writes nothing.
	if err := c.Save(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("clean cache was written: %v", err)
	}
	for i, name := range []string{"data/a", "data/ab", "data/b", "other"} {
		p := filepath.Join(dir, name)
		testtree.WriteFile(t, p, []byte(name))
		past(t, p, time.Duration(i+1)*time.Hour)
	}
	for _, alg := range []Algorithm{SHA256, MD5} {
		h := newHasher(t, &Options{Algorithm: alg, Cache: c})
		if _, err := h.HashDir(t.Context(), filepath.Join(dir, "data")); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Save(t.Context()); err != nil {
		t.Fatal(err)
	}
	// A second process saved other entries meanwhile: Save merges them.
	c2, _ := NewCache(&CacheOptions{Path: path})
	h := newHasher(t, &Options{Cache: c2})
	if _, err := h.HashFile(t.Context(), filepath.Join(dir, "other")); err != nil {
		t.Fatal(err)
	}
	if err := c2.Save(t.Context()); err != nil {
		t.Fatal(err)
	}
	merged, err := OpenCache(t.Context(), &CacheOptions{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	if merged.Len() != 7 {
		t.Errorf("merged cache has %d entries, want 7", merged.Len())
	}
	data, _ := os.ReadFile(path)
	back, err := decodeMap(data)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(data, encodeCache(back)); diff != "" {
		t.Errorf("re-encoding differs (-file +encoded):\n%s", diff)
	}
	for _, bad := range [][]byte{nil, []byte("SXSTAT1\n"), data[:len(data)-1], append(bytes.Clone(data[:20]), data[21:]...)} {
		if _, _, err := decodeCache(bad); !errors.Is(err, ErrCorruptCache) {
			t.Errorf("decode of %d damaged bytes: %v, want ErrCorruptCache", len(bad), err)
		}
	}
	os.WriteFile(path, data[:len(data)-2], 0o644)
	if _, err := OpenCache(t.Context(), &CacheOptions{Path: path}); !errors.Is(err, ErrCorruptCache) {
		t.Errorf("open of a truncated cache: %v, want ErrCorruptCache", err)
	}
	left, _ := filepath.Glob(filepath.Join(dir, ".statcache-*"))
	if len(left) != 0 {
		t.Errorf("temporary files left behind: %v", left)
	}
}

func TestStatCacheConcurrentSave(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "cache")
	for i := range 8 {
		p := filepath.Join(dir, "d", fmt.Sprint(i))
		testtree.WriteFile(t, p, []byte{byte(i)})
		past(t, p, time.Hour)
	}
	c, _ := NewCache(&CacheOptions{Path: path})
	h := newHasher(t, &Options{Cache: c})
	done := make(chan error)
	for range 4 {
		go func() {
			_, err := h.HashDir(t.Context(), filepath.Join(dir, "d"))
			if err == nil {
				err = c.Save(t.Context())
			}
			done <- err
		}()
	}
	for range 4 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
	got, err := OpenCache(t.Context(), &CacheOptions{Path: path})
	if err != nil || got.Len() != 8 {
		t.Errorf("after concurrent saves: %v, %d entries", err, got.Len())
	}
}

func TestDefaultCachePath(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", "/tmp/xdg")
	t.Setenv("HOME", "/tmp/home")
	p, err := DefaultCachePath()
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join("/tmp/xdg", "sextant", "statcache"); p != want {
		t.Errorf("DefaultCachePath() = %s, want %s", p, want)
	}
}

func FuzzDecodeCache(f *testing.F) {
	f.Add([]byte{})
	f.Add(encodeCache(map[cacheKey]cacheEntry{{0, "/a/b"}: {size: 3, mtime: 9, inode: 7}, {1, "/a/c"}: {size: 1}, {0, "/a/c"}: {size: 2}}))
	f.Add([]byte("SXSTAT1\n\xff\xff\xff\xff\x0f\x00\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		entries, err := decodeMap(data)
		if err != nil {
			if !errors.Is(err, ErrCorruptCache) {
				t.Fatalf("error %v does not match ErrCorruptCache", err)
			}
			return
		}
		again, err := decodeMap(encodeCache(entries))
		if err != nil {
			t.Fatal(err)
		}
		if len(again) != len(entries) {
			t.Fatalf("round trip lost entries: %d then %d", len(entries), len(again))
		}
	})
}

// TestStatCacheSaveUnchanged checks that re-hashing an unchanged tree
// leaves the cache clean, so Save does not rewrite the file.
func TestStatCacheSaveUnchanged(t *testing.T) {
	dir := t.TempDir()
	tree := filepath.Join(dir, "tree")
	for _, name := range []string{"a", "b/c", "b/d"} {
		p := filepath.Join(tree, filepath.FromSlash(name))
		testtree.WriteFile(t, p, []byte(name))
		past(t, p, time.Hour)
	}
	path := filepath.Join(dir, "cache")
	c, err := NewCache(&CacheOptions{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	h := newHasher(t, &Options{Cache: c})
	if _, err := h.HashDir(t.Context(), tree); err != nil {
		t.Fatal(err)
	}
	if err := c.Save(t.Context()); err != nil {
		t.Fatal(err)
	}
	before, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	var last Progress
	h = newHasher(t, &Options{Cache: c, Progress: func(p Progress) { last = p }})
	if _, err := h.HashDir(t.Context(), tree); err != nil {
		t.Fatal(err)
	}
	if want := (Progress{Phase: "hash", FilesDone: 3, FilesTotal: 3, FilesCached: 3, BytesDone: 7, BytesTotal: 7}); last != want {
		t.Fatalf("re-hash progress %+v, want %+v", last, want)
	}
	if err := c.Save(t.Context()); err != nil {
		t.Fatal(err)
	}
	after, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if !os.SameFile(before, after) || !after.ModTime().Equal(before.ModTime()) {
		t.Errorf("Save rewrote the cache after an unchanged re-hash")
	}
}
