package treehash

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
	"unsafe"
)

// CacheOptions configures OpenCache and NewCache.
type CacheOptions struct {
	// Path is the cache file. Default: DefaultCachePath().
	Path string
	// Granularity is the modification-time resolution the cache assumes of
	// the file system. A file whose modification time is less than this
	// before the moment it was hashed may still change without its time
	// changing, so its digest is not remembered (it is hashed again next
	// time). Default: 2 seconds, safe for every common file system.
	Granularity time.Duration
}

// Cache remembers the digests of files keyed by (absolute path, size,
// modification time in nanoseconds, inode), as DVC's state database and
// Git's index do, so that an unchanged file is not read again. Any change of
// the key, including a replacement by rename (new inode) or a write of a
// different size within the same timestamp, makes the entry miss.
//
// The cache is kept in memory and persisted by Save to a compact binary
// file (paths prefix-compressed, a CRC-32C trailer) written to a temporary
// file and renamed into place, so a reader never sees a half-written cache.
// Save merges the entries another process saved meanwhile. A Cache is safe
// for concurrent use.
type Cache struct {
	path        string
	granularity time.Duration

	mu sync.RWMutex
	// base holds the entries read from the file, sorted as the file keeps
	// them (path, then algorithm name), with their paths in names: a
	// slice without pointers, which the garbage collector never scans.
	base  []cacheRec
	names string
	// over holds what changed since: entries stored, and entries dropped
	// (gone), each overriding base.
	over  map[cacheKey]cacheEntry
	dirty bool
}

type cacheKey struct {
	alg  uint8
	path string
}

type cacheEntry struct {
	size  int64
	mtime int64
	inode uint64
	sum   [32]byte
	gone  bool
}

// cacheRec is a base entry; its path is names[off : off+n].
type cacheRec struct {
	off, n uint32
	alg    uint8
	size   int64
	mtime  int64
	inode  uint64
	sum    [32]byte
}

func (r *cacheRec) entry() cacheEntry {
	return cacheEntry{size: r.size, mtime: r.mtime, inode: r.inode, sum: r.sum}
}

func (e cacheEntry) matches(st fileStat) bool {
	return !e.gone && e.size == st.size && e.mtime == st.mtime && e.inode == st.ino
}

// DefaultCachePath is <os.UserCacheDir()>/sextant/statcache.
func DefaultCachePath() (string, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("treehash: locate user cache directory: %w", err)
	}
	return filepath.Join(dir, "sextant", "statcache"), nil
}

// OpenCache loads the cache file, or starts an empty cache when it does
// not exist yet. A damaged file gives an error matching ErrCorruptCache;
// callers may then start afresh with NewCache, which overwrites it on
// Save. The file is read in one call and decoded in place, into a few
// allocations whatever its number of entries.
func OpenCache(ctx context.Context, opts *CacheOptions) (*Cache, error) {
	c, err := NewCache(opts)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	data, err := readCacheFile(c.path)
	if err != nil || data == nil {
		return c, err
	}
	c.base, c.names, err = decodeCache(data)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// NewCache returns an empty cache that Save writes to opts.Path, ignoring
// whatever the file holds now.
func NewCache(opts *CacheOptions) (*Cache, error) {
	var o CacheOptions
	if opts != nil {
		o = *opts
	}
	if o.Path == "" {
		p, err := DefaultCachePath()
		if err != nil {
			return nil, err
		}
		o.Path = p
	}
	if o.Granularity <= 0 {
		o.Granularity = 2 * time.Second
	}
	abs, err := filepath.Abs(o.Path)
	if err != nil {
		return nil, fmt.Errorf("treehash: cache path: %w", err)
	}
	return &Cache{path: abs, granularity: o.Granularity, over: make(map[cacheKey]cacheEntry)}, nil
}

// Path is the file the cache is saved to.
func (c *Cache) Path() string { return c.path }

// Len is the number of remembered digests.
func (c *Cache) Len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	n := len(c.base)
	hint := 0
	for k, e := range c.over {
		_, inBase := c.findBase(k.alg, k.path, &hint)
		switch {
		case inBase && e.gone:
			n--
		case !inBase && !e.gone:
			n++
		}
	}
	return n
}

// recPath is the path of base entry i.
func (c *Cache) recPath(i int) string {
	r := &c.base[i]
	return c.names[r.off : r.off+r.n]
}

// compareKey orders keys as the file does: by path, then algorithm name.
func compareKey(pa string, aa uint8, pb string, ab uint8) int {
	return cmp.Or(strings.Compare(pa, pb), strings.Compare(string(algCodes[aa]), string(algCodes[ab])))
}

// findBase returns the index of (alg, p) in base. hint is where the
// previous lookup ended: lookups in walk order mostly find the next entry
// there, without a search.
func (c *Cache) findBase(alg uint8, p string, hint *int) (int, bool) {
	if i := *hint; i < len(c.base) && c.base[i].alg == alg && c.recPath(i) == p {
		*hint = i + 1
		return i, true
	}
	i, ok := slices.BinarySearchFunc(c.base, p, func(r cacheRec, p string) int {
		return compareKey(c.names[r.off:r.off+r.n], r.alg, p, alg)
	})
	if ok {
		*hint = i + 1
	}
	return i, ok
}

// get returns the current entry for (alg, p); the caller holds mu.
func (c *Cache) get(alg uint8, p string, hint *int) (cacheEntry, bool) {
	if len(c.over) > 0 {
		if e, ok := c.over[cacheKey{alg, p}]; ok {
			return e, !e.gone
		}
	}
	if i, ok := c.findBase(alg, p, hint); ok {
		return c.base[i].entry(), true
	}
	return cacheEntry{}, false
}

// lookup returns the remembered sum of the file at abs with status st.
func (c *Cache) lookup(alg uint8, abs string, st fileStat) (Sum, bool) {
	v := c.view()
	defer v.release()
	return v.lookup(alg, abs, st)
}

// cacheView answers many lookups under one read lock, each starting where
// the previous one ended. A view of a nil Cache answers nothing.
type cacheView struct {
	c    *Cache
	hint int
}

func (c *Cache) view() *cacheView {
	if c == nil {
		return &cacheView{}
	}
	c.mu.RLock()
	return &cacheView{c: c}
}

func (v *cacheView) lookup(alg uint8, abs string, st fileStat) (Sum, bool) {
	if v.c == nil {
		return Sum{}, false
	}
	e, ok := v.c.get(alg, abs, &v.hint)
	if !ok || !e.matches(st) {
		return Sum{}, false
	}
	return Sum{alg: alg, b: e.sum}, true
}

// release ends the view; it may be called more than once.
func (v *cacheView) release() {
	if v.c != nil {
		v.c.mu.RUnlock()
		v.c = nil
	}
}

// store remembers sum for the file at abs with status st, read at
// hashedAt, unless the file is too recent for its timestamp to be trusted.
func (c *Cache) store(alg uint8, abs string, st fileStat, sum Sum, hashedAt time.Time) {
	key := cacheKey{alg, abs}
	c.mu.Lock()
	defer c.mu.Unlock()
	hint := 0
	old, had := c.get(alg, abs, &hint)
	if st.mtime >= hashedAt.Add(-c.granularity).UnixNano() {
		if had {
			c.over[key] = cacheEntry{gone: true}
			c.dirty = true
		}
		return
	}
	e := cacheEntry{size: st.size, mtime: st.mtime, inode: st.ino, sum: sum.b}
	if !had || old != e {
		c.over[key] = e
		c.dirty = true
	}
}

// all returns every current entry; the caller holds mu.
func (c *Cache) all() map[cacheKey]cacheEntry {
	out := make(map[cacheKey]cacheEntry, len(c.base)+len(c.over))
	for i := range c.base {
		out[cacheKey{c.base[i].alg, c.recPath(i)}] = c.base[i].entry()
	}
	for k, e := range c.over {
		if e.gone {
			delete(out, k)
		} else {
			out[k] = e
		}
	}
	return out
}

// Prune drops the entries of files that are gone or have changed since
// they were hashed, so that a long-lived cache does not keep digests of
// deleted trees. It stats every remembered path; run it now and then, not
// on every hash. It returns the number of entries dropped.
func (c *Cache) Prune(ctx context.Context) (int, error) {
	c.mu.RLock()
	entries := c.all()
	c.mu.RUnlock()
	var stale []cacheKey
	i := 0
	for k, e := range entries {
		if i++; i%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return 0, err
			}
		}
		fi, err := os.Lstat(k.path)
		if err != nil || !fi.Mode().IsRegular() || !e.matches(statOf(fi)) {
			stale = append(stale, k)
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, k := range stale {
		c.over[k] = cacheEntry{gone: true}
	}
	if len(stale) > 0 {
		c.dirty = true
	}
	return len(stale), nil
}

// Save writes the cache atomically if anything changed since it was opened
// or last saved, first merging entries that another process saved to the
// same file meanwhile (entries of this cache win).
func (c *Cache) Save(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.dirty {
		return nil
	}
	entries := c.all()
	if data, err := readCacheFile(c.path); err == nil && data != nil {
		if recs, names, err := decodeCache(data); err == nil {
			for _, r := range recs {
				k := cacheKey{r.alg, names[r.off : r.off+r.n]}
				if _, ok := entries[k]; ok {
					continue
				}
				if _, dropped := c.over[k]; dropped {
					continue // gone here: this cache wins
				}
				entries[k] = r.entry()
				c.over[k] = r.entry()
			}
		}
	}
	data := encodeCache(entries)
	if err := os.MkdirAll(filepath.Dir(c.path), 0o755); err != nil {
		return fmt.Errorf("treehash: save cache: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(c.path), ".statcache-*")
	if err != nil {
		return fmt.Errorf("treehash: save cache: %w", err)
	}
	_, werr := tmp.Write(data)
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("treehash: save cache: %w", err)
	}
	if err := os.Rename(tmp.Name(), c.path); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("treehash: save cache: %w", err)
	}
	c.dirty = false
	return nil
}

const cacheMagic = "SXSTAT1\n"

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// encodeCache lays out: magic, uvarint count, then per entry in key order
// (path, then algorithm name): algorithm code byte, uvarint bytes shared
// with the previous path, uvarint suffix length, suffix, varint size,
// varint mtime, uvarint inode, the sum; finally a little-endian CRC-32C of
// everything before it.
func encodeCache(entries map[cacheKey]cacheEntry) []byte {
	keys := make([]cacheKey, 0, len(entries))
	for k, e := range entries {
		if !e.gone {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(a, b cacheKey) int { return compareKey(a.path, a.alg, b.path, b.alg) })
	buf := make([]byte, 0, 16+len(keys)*64)
	buf = append(buf, cacheMagic...)
	buf = binary.AppendUvarint(buf, uint64(len(keys)))
	prev := ""
	for _, k := range keys {
		e := entries[k]
		buf = append(buf, k.alg)
		shared := 0
		for shared < len(prev) && shared < len(k.path) && prev[shared] == k.path[shared] {
			shared++
		}
		buf = binary.AppendUvarint(buf, uint64(shared))
		buf = binary.AppendUvarint(buf, uint64(len(k.path)-shared))
		buf = append(buf, k.path[shared:]...)
		buf = binary.AppendVarint(buf, e.size)
		buf = binary.AppendVarint(buf, e.mtime)
		buf = binary.AppendUvarint(buf, e.inode)
		buf = append(buf, e.sum[:algCodes[k.alg].Size()]...)
		prev = k.path
	}
	return binary.LittleEndian.AppendUint32(buf, crc32.Checksum(buf, castagnoli))
}

// readCacheFile returns the file's bytes, or nil when it does not exist.
func readCacheFile(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("treehash: read cache: %w", err)
	}
	return data, nil
}

// decodeCache reads the entries of a cache file into one slice and their
// paths into one string, sorted in key order (a file out of order, which
// this package never writes, is sorted).
func decodeCache(data []byte) ([]cacheRec, string, error) {
	bad := func(what string) ([]cacheRec, string, error) {
		return nil, "", fmt.Errorf("%w: %s", ErrCorruptCache, what)
	}
	if len(data) < len(cacheMagic)+4 || !bytes.HasPrefix(data, []byte(cacheMagic)) {
		return bad("bad header")
	}
	body, trailer := data[:len(data)-4], data[len(data)-4:]
	if crc32.Checksum(body, castagnoli) != binary.LittleEndian.Uint32(trailer) {
		return bad("checksum mismatch")
	}
	b := body[len(cacheMagic):]
	uvarint := func() (uint64, bool) {
		v, n := binary.Uvarint(b)
		if n <= 0 {
			return 0, false
		}
		b = b[n:]
		return v, true
	}
	varint := func() (int64, bool) {
		v, n := binary.Varint(b)
		if n <= 0 {
			return 0, false
		}
		b = b[n:]
		return v, true
	}
	count, ok := uvarint()
	if !ok || count > uint64(len(body)) {
		return bad("bad entry count")
	}
	recs := make([]cacheRec, count)
	// Paths are rebuilt one after another into one buffer: each shares a
	// prefix with the one before it, so the buffer ends up a few times
	// the size of the file at most.
	names := make([]byte, 0, 2*len(body))
	prevOff, prevLen := 0, 0
	for i := range recs {
		r := &recs[i]
		if len(b) == 0 || int(b[0]) >= len(algCodes) {
			return bad("bad algorithm")
		}
		r.alg = b[0]
		b = b[1:]
		shared, ok1 := uvarint()
		suffix, ok2 := uvarint()
		if !ok1 || !ok2 || shared > uint64(prevLen) {
			return bad("bad path")
		}
		if suffix > uint64(len(b)) {
			return bad("truncated path")
		}
		off := len(names)
		names = append(names, names[prevOff:prevOff+int(shared)]...)
		names = append(names, b[:suffix]...)
		b = b[suffix:]
		if len(names) > math.MaxUint32 {
			return bad("paths too long")
		}
		r.off, r.n = uint32(off), uint32(len(names)-off)
		prevOff, prevLen = off, int(r.n)
		var ok3, ok4, ok5 bool
		r.size, ok3 = varint()
		r.mtime, ok4 = varint()
		r.inode, ok5 = uvarint()
		if !ok3 || !ok4 || !ok5 {
			return bad("truncated entry")
		}
		n := algCodes[r.alg].Size()
		if len(b) < n {
			return bad("truncated digest")
		}
		copy(r.sum[:], b[:n])
		b = b[n:]
	}
	if len(b) > 0 {
		return bad("trailing data")
	}
	// The buffer is never written again, so the string shares it rather
	// than copying a megabyte per hundred thousand paths (strings.Builder
	// does the same); its unused capacity is never touched.
	s := unsafe.String(unsafe.SliceData(names), len(names))
	order := func(x, y cacheRec) int { return compareKey(s[x.off:x.off+x.n], x.alg, s[y.off:y.off+y.n], y.alg) }
	if !slices.IsSortedFunc(recs, order) {
		slices.SortStableFunc(recs, order)
	}
	return recs, s, nil
}
