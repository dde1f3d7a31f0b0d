package artifact

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gocloud.dev/blob"

	"github.com/sextant-ml/sextant/rbac"
)

// DefaultGrace is the age below which GC keeps an unreferenced object
// unless GCOptions.Grace says otherwise.
const DefaultGrace = time.Hour

// GCOptions configure a garbage collection. A nil *GCOptions is the zero
// value.
type GCOptions struct {
	// Grace protects young objects: one written less than Grace before Now
	// is kept even when not live, so content that another process has just
	// put, and not yet recorded anywhere, survives. Temporary uploads older
	// than Grace are removed. Default: DefaultGrace (one hour).
	Grace time.Duration
	// DryRun counts what would be deleted without deleting. Default: false.
	DryRun bool
	// Now returns the current time. Default: time.Now.
	Now func() time.Time
}

// GCStats report what a collection found and did.
type GCStats struct {
	Scanned      int   // objects examined
	Live         int   // kept because live
	Young        int   // kept because younger than the grace period
	Deleted      int   // unreferenced objects deleted (or, with DryRun, to delete)
	DeletedBytes int64 // stored bytes of the deleted objects
	Uploads      int   // abandoned temporary uploads deleted
	// Multipart counts the S3 multipart uploads under the store's
	// directory started before the grace period that were aborted (parts
	// of Puts whose process died mid-upload).
	Multipart int
	// Indexes counts the chunk indexes deleted: those of deleted objects,
	// and those older than the grace period whose object is gone.
	Indexes int
}

// GC deletes every stored object whose digest live rejects and that is
// older than the grace period, and temporary uploads left behind by
// interrupted Puts; on S3 it also aborts the multipart uploads under the
// store's directory started before the grace period (a process killed
// during a large Put or PutKnown leaves its parts there, invisible to
// listing and billed until aborted). live is the mark phase, supplied by the caller (the
// digests referenced by registry versions and dataset manifests); GC is
// the sweep. An object that disappears meanwhile (another GC) is not an
// error.
//
// Content that a writer finds already stored is old, so the grace period
// alone does not protect it. Put therefore renews the modification time of
// such content when it is older than RefreshAge (by copying its upload
// over it, or touching the file on file://), and PutKnown does so on
// file://: with a grace period longer than RefreshAge plus the time a
// writer takes to record its reference, GC does not delete content a Put
// has just returned. Elsewhere PutKnown reports content found already
// stored without renewing it; record such references before collecting,
// or run GC when no writer re-uses old content.
func (s *Store) GC(ctx context.Context, live func(Digest) bool, opts *GCOptions) (GCStats, error) {
	var o GCOptions
	if opts != nil {
		o = *opts
	}
	if o.Grace == 0 {
		o.Grace = DefaultGrace
	}
	if o.Grace < 0 {
		return GCStats{}, fmt.Errorf("artifact: negative grace period %v", o.Grace)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if live == nil {
		return GCStats{}, errors.New("artifact: gc needs a live set")
	}
	if err := s.authorize(ctx, rbac.VerbDelete, ""); err != nil {
		return GCStats{}, err
	}
	cutoff := o.Now().Add(-o.Grace)
	var st GCStats
	var doomed []Info
	var doomedRel []string
	present := map[string]bool{}
	var orphans []string // indexes older than the cutoff, checked below
	err := s.walkAll(ctx, func(info Info, rel string) error {
		present[rel] = true
		st.Scanned++
		switch {
		case live(info.Digest):
			st.Live++
		case info.ModTime.After(cutoff):
			st.Young++
		default:
			doomed = append(doomed, info)
			doomedRel = append(doomedRel, rel)
		}
		return nil
	}, func(rel string, obj *blob.ListObject) {
		if obj.ModTime.Before(cutoff) {
			orphans = append(orphans, rel)
		}
	})
	if err != nil {
		return st, err
	}
	deleteIndex := func(rel string) error {
		if !o.DryRun {
			if err := s.b.Delete(ctx, rel); err != nil {
				if errors.Is(err, ErrNotFound) {
					return nil
				}
				return err
			}
		}
		st.Indexes++
		return nil
	}
	for i, info := range doomed {
		if !o.DryRun {
			if err := s.b.Delete(ctx, doomedRel[i]); err != nil {
				if errors.Is(err, ErrNotFound) {
					continue
				}
				return st, err
			}
		}
		st.Deleted++
		st.DeletedBytes += info.StoredSize
		delete(present, doomedRel[i])
		s.log.DebugContext(ctx, "artifact: gc delete", "digest", info.Digest, "dry_run", o.DryRun)
	}
	// An index whose object is gone (deleted above, or never committed by
	// a failed Put) is collected once it is older than the grace period;
	// a younger one may belong to a Put about to commit its object.
	for _, rel := range orphans {
		if present[strings.TrimSuffix(rel, indexSuffix)] {
			continue
		}
		if err := deleteIndex(rel); err != nil {
			return st, err
		}
	}
	var uploads []string
	err = s.b.List(ctx, s.root+"uploads/", func(rel string, obj *blob.ListObject) error {
		if obj.ModTime.Before(cutoff) {
			uploads = append(uploads, rel)
		}
		return nil
	})
	if err != nil {
		return st, err
	}
	for _, rel := range uploads {
		if !o.DryRun {
			if err := s.b.Delete(ctx, rel); err != nil && !errors.Is(err, ErrNotFound) {
				return st, err
			}
		}
		st.Uploads++
	}
	n, err := s.abortStaleMultipart(ctx, cutoff, o.DryRun)
	st.Multipart = n
	if err != nil {
		return st, err
	}
	if s.b.localDir != "" {
		n, err := s.sweepLocalTemp(ctx, cutoff, o.DryRun)
		st.Uploads += n
		if err != nil {
			return st, err
		}
	}
	s.log.InfoContext(ctx, "artifact: gc done", "scanned", st.Scanned, "live", st.Live, "young", st.Young,
		"deleted", st.Deleted, "deleted_bytes", st.DeletedBytes, "uploads", st.Uploads, "indexes", st.Indexes, "multipart", st.Multipart, "dry_run", o.DryRun)
	return st, nil
}

// sweepLocalTemp removes the temporary files that fileblob writers leave
// beside their targets (name.<hex>.tmp) when a process dies mid-upload.
// Listing hides them, so on a local directory GC looks at the files.
func (s *Store) sweepLocalTemp(ctx context.Context, cutoff time.Time, dryRun bool) (int, error) {
	root, err := s.b.Key(strings.TrimSuffix(s.root, "/"))
	if err != nil {
		return 0, err
	}
	dir := filepath.Join(s.b.localDir, filepath.FromSlash(root))
	n := 0
	err = filepath.WalkDir(dir, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".tmp") {
			return nil
		}
		info, err := e.Info()
		if err != nil || !info.ModTime().Before(cutoff) {
			return nil
		}
		if !dryRun {
			if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
		}
		n++
		return nil
	})
	if err != nil {
		return n, fmt.Errorf("artifact: gc temporary files: %w", err)
	}
	return n, nil
}
