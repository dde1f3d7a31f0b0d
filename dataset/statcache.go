package dataset

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"
)

// StatCacheOptions configures OpenStatCache.
type StatCacheOptions struct {
	// Path is the cache file. Default: DefaultStatCachePath().
	Path string
	// Granularity is the modification-time resolution the cache assumes of
	// the file system. A file whose modification time is less than this
	// before the moment it was hashed may still change without its time
	// changing, so its digest is not remembered (it is hashed again next
	// time). Default: 2 seconds, safe for every common file system.
	Granularity time.Duration
}

// StatCache remembers the digests of files keyed by (absolute path, size,
// modification time in nanoseconds, inode), as DVC's state database and
// Git's index do, so that an unchanged file is not read again. Any change of
// the key, including a replacement by rename (new inode) or a write of a
// different size within the same timestamp, makes the entry miss.
//
// The cache is kept in memory and persisted by Save to a compact binary
// file (paths prefix-compressed, a CRC-32C trailer) written to a temporary
// file and renamed into place, so a reader never sees a half-written cache.
// Save merges the entries another process saved meanwhile. A StatCache is
// safe for concurrent use.
type StatCache struct {
	path        string
	granularity time.Duration

	mu      sync.RWMutex
	entries map[cacheKey]cacheEntry
	dirty   bool
}

type cacheKey struct {
	alg  Algorithm
	path string
}

type cacheEntry struct {
	size  int64
	mtime int64
	inode uint64
	sum   [32]byte
}

// DefaultStatCachePath is <os.UserCacheDir()>/sextant/statcache.
func DefaultStatCachePath() (string, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("dataset: locate user cache directory: %w", err)
	}
	return filepath.Join(dir, "sextant", "statcache"), nil
}

// OpenStatCache loads the cache file, or starts an empty cache when it does
// not exist yet. A damaged file gives an error matching ErrCorruptCache;
// callers may then start afresh with NewStatCache, which overwrites it on
// Save.
func OpenStatCache(ctx context.Context, opts *StatCacheOptions) (*StatCache, error) {
	c, err := NewStatCache(opts)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	loaded, err := readStatCache(c.path)
	if err != nil {
		return nil, err
	}
	c.entries = loaded
	return c, nil
}

// NewStatCache returns an empty cache that Save writes to opts.Path,
// ignoring whatever the file holds now.
func NewStatCache(opts *StatCacheOptions) (*StatCache, error) {
	var o StatCacheOptions
	if opts != nil {
		o = *opts
	}
	if o.Path == "" {
		p, err := DefaultStatCachePath()
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
		return nil, fmt.Errorf("dataset: stat cache path: %w", err)
	}
	return &StatCache{path: abs, granularity: o.Granularity, entries: make(map[cacheKey]cacheEntry)}, nil
}

// Path is the file the cache is saved to.
func (c *StatCache) Path() string { return c.path }

// Len is the number of remembered digests.
func (c *StatCache) Len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.entries)
}

// lookup returns the remembered sum for the file at abs described by fi.
func (c *StatCache) lookup(alg Algorithm, abs string, fi fs.FileInfo) ([]byte, bool) {
	c.mu.RLock()
	e, ok := c.entries[cacheKey{alg, abs}]
	c.mu.RUnlock()
	if !ok || e.size != fi.Size() || e.mtime != fi.ModTime().UnixNano() || e.inode != inodeOf(fi) {
		return nil, false
	}
	return e.sum[:alg.Size()], true
}

// store remembers sum for the file at abs described by fi, read at hashedAt,
// unless the file is too recent for its timestamp to be trusted.
func (c *StatCache) store(alg Algorithm, abs string, fi fs.FileInfo, sum []byte, hashedAt time.Time) {
	key := cacheKey{alg, abs}
	if !fi.ModTime().Before(hashedAt.Add(-c.granularity)) {
		c.mu.Lock()
		if _, ok := c.entries[key]; ok {
			delete(c.entries, key)
			c.dirty = true
		}
		c.mu.Unlock()
		return
	}
	e := cacheEntry{size: fi.Size(), mtime: fi.ModTime().UnixNano(), inode: inodeOf(fi)}
	copy(e.sum[:], sum)
	c.mu.Lock()
	if old, ok := c.entries[key]; !ok || old != e {
		c.entries[key] = e
		c.dirty = true
	}
	c.mu.Unlock()
}

// Prune drops the entries of files that are gone or have changed since
// they were hashed, so that a long-lived cache does not keep digests of
// deleted trees. It stats every remembered path; run it now and then, not
// on every hash. It returns the number of entries dropped.
func (c *StatCache) Prune(ctx context.Context) (int, error) {
	c.mu.RLock()
	keys := make([]cacheKey, 0, len(c.entries))
	for k := range c.entries {
		keys = append(keys, k)
	}
	c.mu.RUnlock()
	var stale []cacheKey
	for i, k := range keys {
		if i%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return 0, err
			}
		}
		fi, err := os.Lstat(k.path)
		if err != nil || !fi.Mode().IsRegular() {
			stale = append(stale, k)
			continue
		}
		c.mu.RLock()
		e := c.entries[k]
		c.mu.RUnlock()
		if e.size != fi.Size() || e.mtime != fi.ModTime().UnixNano() || e.inode != inodeOf(fi) {
			stale = append(stale, k)
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, k := range stale {
		delete(c.entries, k)
	}
	if len(stale) > 0 {
		c.dirty = true
	}
	return len(stale), nil
}

// Save writes the cache atomically if anything changed since it was opened
// or last saved, first merging entries that another process saved to the
// same file meanwhile (entries of this cache win).
func (c *StatCache) Save(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.dirty {
		return nil
	}
	if disk, err := readStatCache(c.path); err == nil {
		for k, e := range disk {
			if _, ok := c.entries[k]; !ok {
				c.entries[k] = e
			}
		}
	}
	data := encodeStatCache(c.entries)
	if err := os.MkdirAll(filepath.Dir(c.path), 0o755); err != nil {
		return fmt.Errorf("dataset: save stat cache: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(c.path), ".statcache-*")
	if err != nil {
		return fmt.Errorf("dataset: save stat cache: %w", err)
	}
	_, werr := tmp.Write(data)
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("dataset: save stat cache: %w", err)
	}
	if err := os.Rename(tmp.Name(), c.path); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("dataset: save stat cache: %w", err)
	}
	c.dirty = false
	return nil
}

const statCacheMagic = "SXSTAT1\n"

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

var algCodes = []Algorithm{SHA256, MD5}

// encodeStatCache lays out: magic, uvarint count, then per entry in key
// order: algorithm code byte, uvarint bytes shared with the previous path,
// uvarint suffix length, suffix, varint size, varint mtime, uvarint inode,
// the sum; finally a little-endian CRC-32C of everything before it.
func encodeStatCache(entries map[cacheKey]cacheEntry) []byte {
	keys := make([]cacheKey, 0, len(entries))
	for k := range entries {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b cacheKey) int {
		return cmp.Or(cmp.Compare(a.path, b.path), cmp.Compare(a.alg, b.alg))
	})
	buf := make([]byte, 0, 16+len(keys)*64)
	buf = append(buf, statCacheMagic...)
	buf = binary.AppendUvarint(buf, uint64(len(keys)))
	prev := ""
	for _, k := range keys {
		e := entries[k]
		buf = append(buf, byte(slices.Index(algCodes, k.alg)))
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
		buf = append(buf, e.sum[:k.alg.Size()]...)
		prev = k.path
	}
	return binary.LittleEndian.AppendUint32(buf, crc32.Checksum(buf, castagnoli))
}

func readStatCache(path string) (map[cacheKey]cacheEntry, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return make(map[cacheKey]cacheEntry), nil
	}
	if err != nil {
		return nil, fmt.Errorf("dataset: read stat cache: %w", err)
	}
	return decodeStatCache(data)
}

func decodeStatCache(data []byte) (map[cacheKey]cacheEntry, error) {
	bad := func(what string) (map[cacheKey]cacheEntry, error) {
		return nil, fmt.Errorf("%w: %s", ErrCorruptCache, what)
	}
	if len(data) < len(statCacheMagic)+4 || !bytes.HasPrefix(data, []byte(statCacheMagic)) {
		return bad("bad header")
	}
	body, trailer := data[:len(data)-4], data[len(data)-4:]
	if crc32.Checksum(body, castagnoli) != binary.LittleEndian.Uint32(trailer) {
		return bad("checksum mismatch")
	}
	// Decoded straight from the slice: one allocation per entry (its
	// path), none for reading; a re-hash of an unchanged tree is mostly
	// this decoding and the status reads.
	b := body[len(statCacheMagic):]
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
	entries := make(map[cacheKey]cacheEntry, count)
	prev := ""
	var scratch []byte
	for range count {
		if len(b) == 0 || int(b[0]) >= len(algCodes) {
			return bad("bad algorithm")
		}
		alg := algCodes[b[0]]
		b = b[1:]
		shared, ok1 := uvarint()
		suffix, ok2 := uvarint()
		if !ok1 || !ok2 || shared > uint64(len(prev)) {
			return bad("bad path")
		}
		if suffix > uint64(len(b)) {
			return bad("truncated path")
		}
		scratch = append(append(scratch[:0], prev[:shared]...), b[:suffix]...)
		b = b[suffix:]
		p := string(scratch)
		var e cacheEntry
		var ok3, ok4, ok5 bool
		e.size, ok3 = varint()
		e.mtime, ok4 = varint()
		e.inode, ok5 = uvarint()
		if !ok3 || !ok4 || !ok5 {
			return bad("truncated entry")
		}
		if len(b) < alg.Size() {
			return bad("truncated digest")
		}
		copy(e.sum[:], b[:alg.Size()])
		b = b[alg.Size():]
		entries[cacheKey{alg, p}] = e
		prev = p
	}
	if len(b) > 0 {
		return bad("trailing data")
	}
	return entries, nil
}
