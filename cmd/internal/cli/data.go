package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"gocloud.dev/blob"

	"github.com/sextant-ml/sextant/dataset"
	"github.com/sextant-ml/sextant/dataset/dvc"
	"github.com/sextant-ml/sextant/dataset/treehash"
)

func dataCommands() []command {
	return []command{
		{"add", "start tracking a file or directory: write PATH.dvc (DVC 3 hashes) and a .gitignore entry", cmdDataAdd},
		{"commit", "record a tracked directory as the next version of its dataset on the bucket, and update its .dvc file", cmdDataCommit},
		{"status", "compare the workspace with its .dvc files (and, with -bucket, file by file with the committed version)", cmdDataStatus},
		{"diff", "compare two committed versions of a dataset, file by file", cmdDataDiff},
		{"push", "upload what .dvc files track to a DVC remote, where dvc pull finds it", cmdDataPush},
		{"pull", "download what .dvc files track from a DVC remote, verifying every byte", cmdDataPull},
		{"checkout", "write the committed version a .dvc file records (or -version) into the workspace", cmdDataCheckout},
	}
}

// errNotTracked reports a target without a .dvc file.
var errNotTracked = errors.New("sextant: not tracked")

// tracked is one .dvc file and the output it tracks.
type tracked struct {
	file string // path of the .dvc file
	dvc  *dvc.File
}

// dvcPath maps a target (PATH or PATH.dvc) to its .dvc file.
func dvcPath(target string) string {
	target = filepath.Clean(target)
	if strings.HasSuffix(target, ".dvc") {
		return target
	}
	return target + ".dvc"
}

// loadTracked reads a .dvc file that tracks exactly one output.
func loadTracked(target string) (*tracked, error) {
	path := dvcPath(target)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s is missing (run sextant data add %s first)", errNotTracked, path, strings.TrimSuffix(path, ".dvc"))
	}
	if err != nil {
		return nil, err
	}
	f, err := dvc.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(f.Outs) != 1 {
		return nil, fmt.Errorf("sextant: %s: tracks %d outputs; this command handles .dvc files of one output", path, len(f.Outs))
	}
	return &tracked{file: path, dvc: f}, nil
}

func (t *tracked) out() *dvc.Out { return &t.dvc.Outs[0] }

// dataPath is the tracked file or directory.
func (t *tracked) dataPath() string {
	return filepath.Join(filepath.Dir(t.file), t.dvc.Wdir, filepath.FromSlash(t.out().Path))
}

func (t *tracked) save() error {
	data, err := t.dvc.Marshal()
	if err != nil {
		return err
	}
	return writeFileAtomic(t.file, data)
}

// datasetRecord is what a .dvc output's meta records of its committed
// version, under the key "sextant".
type datasetRecord struct {
	Dataset  string `json:"dataset"`
	Version  int    `json:"version"`
	Manifest string `json:"manifest"`
}

func (t *tracked) record() (datasetRecord, bool) {
	m, ok := t.out().Meta.(map[string]any)
	if !ok {
		return datasetRecord{}, false
	}
	s, ok := m["sextant"].(map[string]any)
	if !ok {
		return datasetRecord{}, false
	}
	var r datasetRecord
	r.Dataset, _ = s["dataset"].(string)
	r.Manifest, _ = s["manifest"].(string)
	switch n := s["version"].(type) {
	case float64:
		r.Version = int(n)
	case int:
		r.Version = n
	case int64:
		r.Version = int(n)
	}
	return r, r.Dataset != "" && r.Version > 0
}

func (t *tracked) setRecord(v dataset.Version) {
	m, ok := t.out().Meta.(map[string]any)
	if !ok {
		m = map[string]any{}
	}
	m["sextant"] = map[string]any{"dataset": v.Dataset, "version": v.Number, "manifest": v.Manifest.String()}
	t.out().Meta = m
}

// datasetName is the dataset a tracked output is committed to: -name, the
// one recorded, or the output's base name.
func (t *tracked) datasetName(flagName string) (string, error) {
	name := flagName
	if name == "" {
		if r, ok := t.record(); ok {
			name = r.Dataset
		} else {
			name = filepath.Base(t.out().Path)
		}
	}
	if err := dataset.ValidateName(name); err != nil {
		return "", fmt.Errorf("%w: %s: dataset name %q: %v (give -name)", errUsage, t.file, name, err)
	}
	return name, nil
}

// hashOut computes the DVC output entry of the file or directory at path,
// as dvc add does: the MD5 of a file, or of a directory's listing with
// ".dir" appended.
func hashOut(ctx context.Context, path string) (dvc.Out, error) {
	h, err := treehash.New(&treehash.Options{Algorithm: treehash.MD5})
	if err != nil {
		return dvc.Out{}, err
	}
	fi, err := os.Stat(path)
	if err != nil {
		return dvc.Out{}, err
	}
	out := dvc.Out{Path: filepath.ToSlash(filepath.Base(path)), Hash: "md5"}
	if !fi.IsDir() {
		e, err := h.HashFile(ctx, path)
		if err != nil {
			return dvc.Out{}, err
		}
		out.MD5, out.Size = e.Sum.Hex(), &e.Size
		return out, nil
	}
	hashed, err := h.HashDir(ctx, path)
	if err != nil {
		return dvc.Out{}, err
	}
	entries := make([]dvc.DirEntry, len(hashed))
	var size int64
	for i, e := range hashed {
		entries[i] = dvc.DirEntry{MD5: e.Sum.Hex(), RelPath: e.Path}
		size += e.Size
	}
	files := len(hashed)
	out.MD5, out.Size, out.NFiles = dvc.HashListing(entries), &size, &files
	return out, nil
}

// refresh re-hashes the tracked output and reports whether it changed.
func (t *tracked) refresh(ctx context.Context) (changed bool, err error) {
	fresh, err := hashOut(ctx, t.dataPath())
	if err != nil {
		return false, err
	}
	o := t.out()
	changed = o.MD5 != fresh.MD5
	o.MD5, o.Size, o.NFiles, o.Hash = fresh.MD5, fresh.Size, fresh.NFiles, "md5"
	return changed, nil
}

// targets returns the .dvc files named, or every .dvc file under the
// current directory (hidden directories skipped) when none is.
func targets(pos []string) ([]string, error) {
	if len(pos) > 0 {
		out := make([]string, len(pos))
		for i, p := range pos {
			out[i] = dvcPath(p)
		}
		return out, nil
	}
	var found []string
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != "." && strings.HasPrefix(d.Name(), ".") {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(path, ".dvc") {
			found = append(found, path)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(found) == 0 {
		return nil, errors.New("sextant: no .dvc file here (run sextant data add PATH)")
	}
	return found, nil
}

// gitignore adds "/name" to the .gitignore beside a tracked output, as dvc
// add does, unless it is there already.
func gitignore(dir, name string) error {
	path := filepath.Join(dir, ".gitignore")
	line := "/" + name
	data, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if slices.Contains(strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n"), line) {
		return nil
	}
	if len(data) > 0 && !strings.HasSuffix(string(data), "\n") {
		line = "\n" + line
	}
	return appendFile(path, line+"\n")
}

func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".sextant-tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func cmdDataAdd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("data add", stderr)
	fs.Usage = usageWith(fs, "PATH...", "Hashes each file or directory as DVC 3 does and writes PATH.dvc beside it, with /PATH in the\n.gitignore there; an existing PATH.dvc keeps its other fields. Nothing is uploaded: see commit and push.")
	pos, err := parseArgs(fs, args, 1, -1)
	if err != nil {
		return err
	}
	for _, p := range pos {
		p = filepath.Clean(strings.TrimSuffix(p, ".dvc"))
		out, err := hashOut(ctx, p)
		if err != nil {
			return err
		}
		t, err := loadTracked(p)
		if errors.Is(err, errNotTracked) {
			t = &tracked{file: dvcPath(p), dvc: &dvc.File{Outs: []dvc.Out{out}}}
		} else if err != nil {
			return err
		} else {
			o := t.out()
			o.MD5, o.Size, o.NFiles, o.Hash = out.MD5, out.Size, out.NFiles, "md5"
		}
		if err := t.save(); err != nil {
			return err
		}
		if err := gitignore(filepath.Dir(p), filepath.Base(p)); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "added %s: %s (%s)\n", t.file, out.MD5, sizeText(out))
	}
	return nil
}

func sizeText(o dvc.Out) string {
	if o.IsDir() {
		return fmt.Sprintf("%d files, %s", deref(o.NFiles), humanBytes(deref(o.Size)))
	}
	return humanBytes(deref(o.Size))
}

// openDatasets opens the dataset store on -bucket.
func openDatasets(ctx context.Context, bucket string, progress func(dataset.Progress)) (*dataset.Store, error) {
	if bucket == "" {
		return nil, fmt.Errorf("%w: -bucket (or $SEXTANT_BUCKET) is required", errUsage)
	}
	return dataset.Open(ctx, bucket, &dataset.Options{Progress: progress})
}

func bucketFlag(fs interface {
	StringVar(*string, string, string, string)
}, p *string) {
	fs.StringVar(p, "bucket", os.Getenv("SEXTANT_BUCKET"), "bucket URL of the datasets (default $SEXTANT_BUCKET)")
}

func cmdDataCommit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("data commit", stderr)
	var bucket string
	var o output
	bucketFlag(fs, &bucket)
	o.register(fs)
	name := fs.String("name", "", "dataset to commit to (default: the one the .dvc file records, else the directory's name)")
	message := fs.String("m", "", "message stored with the version")
	var tags stringList
	fs.Var(&tags, "tag", "tag to set on the new version (repeatable)")
	progress := progressFlag(fs)
	fs.Usage = usageWith(fs, "[TARGET...]", "Re-hashes each tracked directory (all .dvc files here by default; an untracked PATH is added first),\nuploads what the bucket lacks, records the next version of its dataset, and writes the version into\nthe .dvc file (meta.sextant), so checkout and status know it.")
	pos, err := o.parseArgs(fs, args, 0, -1)
	if err != nil {
		return err
	}
	files, err := targets(pos)
	if err != nil {
		return err
	}
	b := newBar(stderr, *progress)
	store, err := openDatasets(ctx, bucket, b.dataset())
	if err != nil {
		return err
	}
	defer store.Close()
	var versions []dataset.Version
	for _, file := range files {
		t, err := loadTracked(file)
		if errors.Is(err, errNotTracked) && fileExists(strings.TrimSuffix(file, ".dvc")) {
			out, herr := hashOut(ctx, strings.TrimSuffix(file, ".dvc"))
			if herr != nil {
				return herr
			}
			t, err = &tracked{file: file, dvc: &dvc.File{Outs: []dvc.Out{out}}}, nil
			if err := gitignore(filepath.Dir(file), out.Path); err != nil {
				return err
			}
		}
		if err != nil {
			return err
		}
		if !t.out().IsDir() {
			return fmt.Errorf("sextant: %s tracks a file; a dataset version is a directory (move the file into one and track that)", t.file)
		}
		dsName, err := t.datasetName(*name)
		if err != nil {
			return err
		}
		if _, err := t.refresh(ctx); err != nil {
			return err
		}
		v, err := store.Commit(ctx, dsName, t.dataPath(), &dataset.CommitOptions{Message: *message, Tags: tags})
		b.done()
		if err != nil {
			return err
		}
		t.setRecord(v)
		if err := t.save(); err != nil {
			return err
		}
		versions = append(versions, v)
		if !o.json() {
			fmt.Fprintf(stdout, "committed %s as %s version %d: %d file(s), %s, manifest %s\n", t.dataPath(), v.Dataset, v.Number, v.Files, humanBytes(v.Bytes), v.Manifest)
		}
	}
	if o.json() {
		return writeJSON(stdout, versions)
	}
	return nil
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// dataStatus is the state of one tracked output.
type dataStatus struct {
	File    string           `json:"file"`
	Path    string           `json:"path"`
	State   string           `json:"state"` // "up to date", "modified", "missing"
	Dataset string           `json:"dataset,omitempty"`
	Version int              `json:"version,omitempty"`
	Changes *dataset.Changes `json:"changes,omitempty"`
}

func cmdDataStatus(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("data status", stderr)
	var bucket string
	var o output
	fs.StringVar(&bucket, "bucket", os.Getenv("SEXTANT_BUCKET"), "bucket URL of the datasets; with it, directories are compared file by file with their committed version (default $SEXTANT_BUCKET)")
	o.register(fs)
	fs.Usage = usageWith(fs, "[TARGET...]", "Compares each tracked output (all .dvc files here by default) with its .dvc file.")
	pos, err := o.parseArgs(fs, args, 0, -1)
	if err != nil {
		return err
	}
	files, err := targets(pos)
	if err != nil {
		return err
	}
	var store *dataset.Store
	if bucket != "" {
		if store, err = openDatasets(ctx, bucket, nil); err != nil {
			return err
		}
		defer store.Close()
	}
	var states []dataStatus
	for _, file := range files {
		t, err := loadTracked(file)
		if err != nil {
			return err
		}
		st := dataStatus{File: t.file, Path: t.dataPath(), State: "up to date"}
		recorded := *t.out()
		if _, err := os.Stat(t.dataPath()); errors.Is(err, os.ErrNotExist) {
			st.State = "missing"
		} else if changed, err := t.refresh(ctx); err != nil {
			return err
		} else if changed {
			st.State = "modified"
		}
		if r, ok := t.record(); ok && store != nil && st.State != "missing" && recorded.IsDir() {
			ch, err := store.Status(ctx, r.Dataset, strconv.Itoa(r.Version), t.dataPath())
			if err != nil {
				return err
			}
			ch.Unchanged = nil
			st.Dataset, st.Version, st.Changes = r.Dataset, r.Version, &ch
		}
		states = append(states, st)
	}
	if o.json() {
		return writeJSON(stdout, states)
	}
	clean := true
	for _, st := range states {
		if st.State == "up to date" && (st.Changes == nil || st.Changes.Clean()) {
			continue
		}
		clean = false
		fmt.Fprintf(stdout, "%s: %s\n", st.File, st.State)
		if st.Changes != nil {
			printChanges(stdout, "\t", *st.Changes)
		}
	}
	if clean {
		fmt.Fprintln(stdout, "Data and .dvc files are up to date.")
	}
	return nil
}

func printChanges(w io.Writer, indent string, ch dataset.Changes) {
	for _, p := range ch.Added {
		fmt.Fprintf(w, "%sadded:    %s\n", indent, p)
	}
	for _, p := range ch.Modified {
		fmt.Fprintf(w, "%smodified: %s\n", indent, p)
	}
	for _, p := range ch.Deleted {
		fmt.Fprintf(w, "%sdeleted:  %s\n", indent, p)
	}
}

func cmdDataDiff(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("data diff", stderr)
	var bucket string
	var o output
	bucketFlag(fs, &bucket)
	o.register(fs)
	fs.Usage = usageWith(fs, "DATASET|TARGET.dvc [FROM [TO]]", "Compares two versions (number, vN, tag or latest) of a dataset, or of the one a .dvc file records.\nDefaults: TO latest, FROM the version before TO.")
	pos, err := o.parseArgs(fs, args, 1, 3)
	if err != nil {
		return err
	}
	name := pos[0]
	if strings.HasSuffix(name, ".dvc") || fileExists(name+".dvc") {
		t, err := loadTracked(name)
		if err != nil {
			return err
		}
		if name, err = t.datasetName(""); err != nil {
			return err
		}
	}
	store, err := openDatasets(ctx, bucket, nil)
	if err != nil {
		return err
	}
	defer store.Close()
	to := "latest"
	if len(pos) > 2 {
		to = pos[2]
	}
	toV, err := store.Resolve(ctx, name, to)
	if err != nil {
		return err
	}
	var fromV dataset.Version
	if len(pos) > 1 {
		if fromV, err = store.Resolve(ctx, name, pos[1]); err != nil {
			return err
		}
	} else {
		if toV.Number == 1 {
			return fmt.Errorf("sextant: dataset %s has one version only: nothing to compare it with", name)
		}
		if fromV, err = store.Resolve(ctx, name, strconv.Itoa(toV.Number-1)); err != nil {
			return err
		}
	}
	ch, err := store.Diff(ctx, name, strconv.Itoa(fromV.Number), strconv.Itoa(toV.Number))
	if err != nil {
		return err
	}
	if o.json() {
		ch.Unchanged = nonNil(ch.Unchanged)
		return writeJSON(stdout, map[string]any{"dataset": name, "from": fromV.Number, "to": toV.Number,
			"added": nonNil(ch.Added), "modified": nonNil(ch.Modified), "deleted": nonNil(ch.Deleted)})
	}
	fmt.Fprintf(stdout, "%s: version %d -> %d\n", name, fromV.Number, toV.Number)
	if ch.Clean() {
		fmt.Fprintln(stdout, "no change")
	}
	printChanges(stdout, "", ch)
	return nil
}

// openRemote opens the DVC remote named by -remote.
func openRemote(ctx context.Context, url string) (*dvc.Remote, func() error, error) {
	if url == "" {
		return nil, nil, fmt.Errorf("%w: -remote (or $SEXTANT_DVC_REMOTE) is required: the bucket URL of the DVC remote, e.g. s3://bucket?prefix=dvc/", errUsage)
	}
	b, err := blob.OpenBucket(ctx, url)
	if err != nil {
		return nil, nil, err
	}
	return dvc.NewRemote(b, nil), b.Close, nil
}

func remoteFlag(fs interface {
	String(string, string, string) *string
}) *string {
	return fs.String("remote", os.Getenv("SEXTANT_DVC_REMOTE"), "bucket URL of the DVC remote (default $SEXTANT_DVC_REMOTE); dvc remote add names the same place")
}

func cmdDataPush(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("data push", stderr)
	fs.Usage = usageWith(fs, "[TARGET...]", "Uploads each tracked output (all .dvc files here by default) to the DVC remote in DVC 3 layout,\nonly the objects it lacks, the directory listing last. An output changed since its .dvc file was\nwritten is refused: run sextant data add or commit first.")
	return transferOutputs(ctx, fs, args, "push", stdout, stderr, func(remote *dvc.Remote, t *tracked) error {
		out, err := remote.Push(ctx, t.dataPath())
		if err != nil {
			return err
		}
		if out.MD5 != t.out().MD5 {
			return fmt.Errorf("sextant: %s changed since %s was written (now %s, recorded %s): run sextant data add or commit, then push", t.dataPath(), t.file, out.MD5, t.out().MD5)
		}
		return nil
	})
}

func cmdDataPull(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("data pull", stderr)
	fs.Usage = usageWith(fs, "[TARGET...]", "Downloads each tracked output (all .dvc files here by default) from the DVC remote: every object\nverified against its MD5, files already right kept, each written through a temporary file.")
	return transferOutputs(ctx, fs, args, "pull", stdout, stderr, func(remote *dvc.Remote, t *tracked) error {
		return remote.PullOut(ctx, *t.out(), filepath.Join(filepath.Dir(t.file), t.dvc.Wdir))
	})
}

// transferOutputs is push and pull: it takes the remote and progress
// flags besides fs's own, loads the tracked outputs the arguments name,
// moves each with move under a progress bar counting their recorded
// sizes, and reports what moved ("pushed" or "pulled").
func transferOutputs(ctx context.Context, fs *flag.FlagSet, args []string, verb string, stdout, stderr io.Writer, move func(*dvc.Remote, *tracked) error) error {
	remoteURL := remoteFlag(fs)
	progress := progressFlag(fs)
	pos, err := parseArgs(fs, args, 0, -1)
	if err != nil {
		return err
	}
	files, err := targets(pos)
	if err != nil {
		return err
	}
	ts := make([]*tracked, len(files))
	var total int64
	for i, f := range files {
		if ts[i], err = loadTracked(f); err != nil {
			return err
		}
		total += deref(ts[i].out().Size)
	}
	remote, closeRemote, err := openRemote(ctx, *remoteURL)
	if err != nil {
		return err
	}
	defer closeRemote()
	b := newBar(stderr, *progress)
	defer b.done()
	var done int64
	for i, t := range ts {
		b.update(verb, i, len(ts), done, total)
		if err := move(remote, t); err != nil {
			return err
		}
		done += deref(t.out().Size)
		b.update(verb, i+1, len(ts), done, total)
	}
	b.done()
	fmt.Fprintf(stdout, "%sed %d output(s), %s\n", verb, len(ts), humanBytes(total))
	return nil
}

func cmdDataCheckout(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("data checkout", stderr)
	var bucket string
	bucketFlag(fs, &bucket)
	version := fs.String("version", "", "version to write (number, vN, tag or latest; default the one the .dvc file records); the .dvc file is updated to it")
	prune := fs.Bool("prune", false, "remove files the version does not list")
	progress := progressFlag(fs)
	fs.Usage = usageWith(fs, "[TARGET...]", "Writes the committed version of each tracked directory into the workspace, every byte verified.")
	pos, err := parseArgs(fs, args, 0, -1)
	if err != nil {
		return err
	}
	files, err := targets(pos)
	if err != nil {
		return err
	}
	b := newBar(stderr, *progress)
	store, err := openDatasets(ctx, bucket, b.dataset())
	if err != nil {
		return err
	}
	defer store.Close()
	for _, file := range files {
		t, err := loadTracked(file)
		if err != nil {
			return err
		}
		r, ok := t.record()
		if !ok {
			return fmt.Errorf("sextant: %s records no committed version (run sextant data commit)", t.file)
		}
		ref := strconv.Itoa(r.Version)
		if *version != "" {
			ref = *version
		}
		v, tr, err := store.Checkout(ctx, r.Dataset, ref, t.dataPath(), &dataset.CheckoutOptions{Prune: *prune})
		b.done()
		if err != nil {
			return err
		}
		if _, err := t.refresh(ctx); err != nil {
			return err
		}
		t.setRecord(v)
		if err := t.save(); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "checked out %s version %d into %s: %d file(s) written, %d kept\n", v.Dataset, v.Number, t.dataPath(), tr.Files, tr.Present)
	}
	return nil
}

// deref returns *p, or zero for a field a .dvc file leaves out.
func deref[T int | int64](p *T) T {
	if p == nil {
		return 0
	}
	return *p
}
