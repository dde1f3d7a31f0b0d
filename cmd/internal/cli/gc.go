package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/sextant-ml/sextant/artifact"
	"github.com/sextant-ml/sextant/dataset"
	"github.com/sextant-ml/sextant/pipeline"
	"github.com/sextant-ml/sextant/registry"
	"github.com/sextant-ml/sextant/tracking"
)

func cmdGC(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("gc", stderr)
	bucket := fs.String("bucket", os.Getenv("SEXTANT_BUCKET"), "bucket URL (default $SEXTANT_BUCKET)")
	dryRun := fs.Bool("dry-run", false, "count what would be deleted, delete nothing")
	grace := fs.Duration("grace", artifact.DefaultGrace, "keep unreferenced content younger than this (it may belong to a write in progress)")
	var o output
	o.register(fs)
	fs.Usage = usageWith(fs, "", "Deletes the content no model version, dataset version, pipeline run or tracked run on the bucket refers to,\n"+
		"once it is older than -grace. Every referrer is read before anything is deleted; an error from any\nof them deletes nothing.")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := o.check(); err != nil {
		return err
	}
	if *bucket == "" {
		return fmt.Errorf("%w: -bucket (or $SEXTANT_BUCKET) is required", errUsage)
	}
	if *grace < 0 {
		return fmt.Errorf("%w: -grace %s: want a duration of zero or more", errUsage, *grace)
	}
	store, err := artifact.Open(ctx, *bucket, nil)
	if err != nil {
		return err
	}
	defer store.Close()
	reg, err := registry.Open(ctx, store, nil)
	if err != nil {
		return err
	}
	data, err := dataset.New(store, nil)
	if err != nil {
		return err
	}
	tr, err := tracking.Open(ctx, store, nil)
	if err != nil {
		return err
	}
	refs := []artifact.Referrer{reg, data, pipeline.References(store.Bucket()), tr}
	g := *grace
	if g == 0 {
		g = time.Nanosecond // GCOptions reads 0 as the default hour
	}
	st, err := store.Collect(ctx, refs, &artifact.GCOptions{Grace: g, DryRun: *dryRun})
	if err != nil {
		return err
	}
	if o.json() {
		return writeJSON(stdout, gcResult{*dryRun, st.Scanned, st.Live, st.Young, st.Deleted, st.DeletedBytes, st.Uploads, st.Multipart, st.Indexes})
	}
	verb := "deleted"
	if *dryRun {
		verb = "would delete"
	}
	fmt.Fprintf(stdout, "scanned %d object(s): %d live, %d younger than %s; %s %d (%s), %d abandoned upload(s), %d chunk index(es)\n",
		st.Scanned, st.Live, st.Young, *grace, verb, st.Deleted, humanBytes(st.DeletedBytes), st.Uploads, st.Indexes)
	return nil
}

// gcResult is gc's -o json output.
type gcResult struct {
	DryRun       bool  `json:"dry_run"`
	Scanned      int   `json:"scanned"`
	Live         int   `json:"live"`
	Young        int   `json:"young"`
	Deleted      int   `json:"deleted"`
	DeletedBytes int64 `json:"deleted_bytes"`
	Uploads      int   `json:"uploads"`
	Multipart    int   `json:"multipart"`
	Indexes      int   `json:"indexes"`
}
