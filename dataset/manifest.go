package dataset

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"slices"
	"strings"

	"github.com/sextant-ml/sextant/artifact"
	"github.com/sextant-ml/sextant/dataset/treehash"
)

// manifestVersion is the format version written in every manifest.
const manifestVersion = 1

// Entry is one file of a manifest.
type Entry struct {
	// Path is slash-separated and relative to the dataset root.
	Path string `json:"path"`
	// Size is the file's length in bytes.
	Size int64 `json:"size"`
	// Digest names the file's bytes in the artifact store.
	Digest artifact.Digest `json:"digest"`
	// Mode holds the permission bits (fs.ModePerm) only.
	Mode fs.FileMode `json:"mode"`
}

// Manifest lists the files of a tree, sorted by path. Its digest, the
// SHA-256 of its canonical JSON encoding, identifies a dataset version.
type Manifest struct {
	Entries []Entry
}

type manifestJSON struct {
	Version int     `json:"version"`
	Entries []Entry `json:"entries"`
}

// MarshalJSON writes the canonical encoding: a version number and the
// entries in path order, with no insignificant white space.
func (m *Manifest) MarshalJSON() ([]byte, error) {
	entries := m.Entries
	if entries == nil {
		entries = []Entry{}
	}
	return json.Marshal(manifestJSON{Version: manifestVersion, Entries: entries})
}

// Digest is the SHA-256 of the manifest's canonical JSON encoding, the
// name the artifact store keeps the manifest under.
func (m *Manifest) Digest() artifact.Digest {
	data, err := m.MarshalJSON()
	if err != nil {
		// Entries hold only strings and integers; encoding cannot fail.
		return ""
	}
	return artifact.FromBytes(data)
}

// digestLen is the length of "sha256:<64 hex digits>".
const digestLen = len("sha256:") + 64

// NewManifest returns the manifest of files hashed with SHA-256 (what
// treehash.Hasher.HashDir returns with the default algorithm), checked by
// Validate. A sum of another algorithm fails with ErrInvalidDigest: a
// manifest names contents of the artifact store, which are addressed by
// SHA-256 only.
func NewManifest(files []treehash.File) (*Manifest, error) {
	m, err := manifestOf(files)
	if err != nil {
		return nil, err
	}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return m, nil
}

// manifestOf converts files without Validate, for the output of HashDir,
// which holds valid paths in order. The digests are written into one
// string, so a manifest of any size costs three allocations
// (TestManifestOfAllocations).
func manifestOf(files []treehash.File) (*Manifest, error) {
	var b strings.Builder
	b.Grow(len(files) * digestLen)
	var text [digestLen]byte
	for _, f := range files {
		if a := f.Sum.Algorithm(); a != treehash.SHA256 {
			return nil, fmt.Errorf("%w: %s is hashed with %s, manifests hold sha256 digests", ErrInvalidDigest, f.Path, a)
		}
		b.Write(f.Sum.AppendText(text[:0]))
	}
	all := b.String()
	entries := make([]Entry, len(files))
	for i, f := range files {
		entries[i] = Entry{Path: f.Path, Size: f.Size, Mode: f.Mode, Digest: artifact.Digest(all[i*digestLen : (i+1)*digestLen])}
	}
	return &Manifest{Entries: entries}, nil
}

// Size is the total number of bytes of the manifest's files.
func (m *Manifest) Size() int64 {
	var n int64
	for _, e := range m.Entries {
		n += e.Size
	}
	return n
}

// Lookup returns the entry for path.
func (m *Manifest) Lookup(path string) (Entry, bool) {
	i, ok := slices.BinarySearchFunc(m.Entries, path, func(e Entry, p string) int {
		return strings.Compare(e.Path, p)
	})
	if !ok {
		return Entry{}, false
	}
	return m.Entries[i], true
}

// Validate checks the invariants: valid paths in strictly increasing order,
// no file that is also a directory of another, canonical SHA-256 digests,
// non-negative sizes, permission bits only.
func (m *Manifest) Validate() error {
	for i, e := range m.Entries {
		if err := treehash.ValidatePath(e.Path); err != nil {
			return fmt.Errorf("%w: entry %d: %w", ErrInvalidManifest, i, err)
		}
		if i > 0 {
			prev := m.Entries[i-1].Path
			if prev >= e.Path {
				return fmt.Errorf("%w: entries %q and %q out of order or duplicated", ErrInvalidManifest, prev, e.Path)
			}
		}
		if err := e.Digest.Validate(); err != nil {
			return fmt.Errorf("%w: entry %q: %w", ErrInvalidManifest, e.Path, err)
		}
		if e.Size < 0 {
			return fmt.Errorf("%w: entry %q has negative size", ErrInvalidManifest, e.Path)
		}
		if e.Mode&^fs.ModePerm != 0 {
			return fmt.Errorf("%w: entry %q has mode %o beyond permission bits", ErrInvalidManifest, e.Path, uint32(e.Mode))
		}
	}
	// A path that is both a file and a directory prefix of another file
	// ("a" and "a/b") cannot be checked out. Sorted order puts "a" before
	// "a/b" but other names ("a.txt") may fall between them, so use a set.
	files := make(map[string]struct{}, len(m.Entries))
	for _, e := range m.Entries {
		files[e.Path] = struct{}{}
	}
	for _, e := range m.Entries {
		for i := strings.LastIndexByte(e.Path, '/'); i > 0; i = strings.LastIndexByte(e.Path[:i], '/') {
			if _, ok := files[e.Path[:i]]; ok {
				return fmt.Errorf("%w: %q is both a file and a directory", ErrInvalidManifest, e.Path[:i])
			}
		}
	}
	return nil
}

// ParseManifest decodes and validates a manifest. Unknown fields and format
// versions are rejected.
func ParseManifest(data []byte) (*Manifest, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var mj manifestJSON
	if err := dec.Decode(&mj); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidManifest, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: trailing data", ErrInvalidManifest)
	}
	if mj.Version != manifestVersion {
		return nil, fmt.Errorf("dataset: %w: manifest version %d (this package reads %d)", ErrUnsupported, mj.Version, manifestVersion)
	}
	m := &Manifest{Entries: mj.Entries}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return m, nil
}

// Changes is the difference between two manifests, each list sorted by path.
type Changes struct {
	Added     []string `json:"added"`
	Modified  []string `json:"modified"`
	Deleted   []string `json:"deleted"`
	Unchanged []string `json:"unchanged"`
}

// Clean reports whether nothing was added, modified or deleted.
func (c *Changes) Clean() bool {
	return len(c.Added) == 0 && len(c.Modified) == 0 && len(c.Deleted) == 0
}

// Diff compares from with to: a path only in to is added, only in from is
// deleted, in both with a different digest, size or mode is modified. A
// nil manifest is an empty one.
func Diff(from, to *Manifest) Changes {
	var c Changes
	if from == nil {
		from = &Manifest{}
	}
	if to == nil {
		to = &Manifest{}
	}
	a, b := from.Entries, to.Entries
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case j == len(b) || (i < len(a) && a[i].Path < b[j].Path):
			c.Deleted = append(c.Deleted, a[i].Path)
			i++
		case i == len(a) || b[j].Path < a[i].Path:
			c.Added = append(c.Added, b[j].Path)
			j++
		default:
			if a[i].Digest != b[j].Digest || a[i].Size != b[j].Size || a[i].Mode != b[j].Mode {
				c.Modified = append(c.Modified, a[i].Path)
			} else {
				c.Unchanged = append(c.Unchanged, a[i].Path)
			}
			i++
			j++
		}
	}
	return c
}
