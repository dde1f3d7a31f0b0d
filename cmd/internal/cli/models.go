package cli

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sextant-ml/sextant/registry"
)

func modelCommands() []command {
	return []command{
		{"list", "list models, or the versions of one model", cmdModelsList},
		{"show", "show a version (MODEL/N, MODEL@ALIAS, MODEL/latest) or a model", cmdModelsShow},
		{"history", "every change recorded for a model, oldest first", cmdModelsHistory},
		{"set-alias", "point an alias at a version: set-alias MODEL ALIAS VERSION", cmdModelsSetAlias},
		{"promote", "verify a version and move an alias to it, the gate checked in the same entry", cmdPromote},
		{"rollback", "move an alias back to the version it held before", cmdModelsRollback},
		{"gate", "compare a candidate with the version holding an alias, under a gate file", cmdGate},
		{"card", "print a version's model card (the stored one, else rendered)", cmdModelsCard},
		{"verify", "check a version's signature and every file's digest", cmdModelsVerify},
		{"sign", "sign a version with an ECDSA P-256 key", cmdModelsSign},
		{"register", "version the training data, upload and register a model version, optionally sign it", cmdRegister},
		{"keygen", "write an ECDSA P-256 key pair for signing versions", cmdKeygen},
	}
}

func cmdModelsList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("models list", stderr)
	var c common
	var o output
	c.registerAuth(fs)
	o.register(fs)
	filter := fs.String("filter", "", "filter in the registry's language, e.g. \"metrics.auc > 0.8\"")
	deleted := fs.Bool("deleted", false, "include deleted models or versions")
	fs.Usage = usageWith(fs, "[MODEL]", "Without MODEL, lists the models; with it, the model's versions, newest first.")
	pos, err := o.parseArgs(fs, args, 0, 1)
	if err != nil {
		return err
	}
	sess, err := c.open(ctx, nil)
	if err != nil {
		return err
	}
	defer sess.close()
	ctx, reg := sess.ctx, sess.reg
	if len(pos) == 0 {
		var models []*registry.Model
		opts := &registry.ListOptions{Filter: *filter, IncludeDeleted: *deleted, PageSize: 1000}
		for {
			page, err := reg.ListModels(ctx, opts)
			if err != nil {
				return err
			}
			models = append(models, page.Models...)
			if page.NextPageToken == "" {
				break
			}
			opts.PageToken = page.NextPageToken
		}
		if o.json() {
			return writeJSON(stdout, nonNil(models))
		}
		rows := make([][]string, len(models))
		for i, m := range models {
			rows[i] = []string{m.Name, strconv.Itoa(m.LatestVersion), aliasList(m.Aliases), m.Updated.UTC().Format(time.RFC3339)}
		}
		return printTable(stdout, "NAME\tLATEST\tALIASES\tUPDATED", rows)
	}
	var versions []*registry.Version
	opts := &registry.SearchOptions{Model: pos[0], Filter: *filter, IncludeDeleted: *deleted, PageSize: 1000}
	for {
		page, err := reg.SearchVersions(ctx, opts)
		if err != nil {
			return err
		}
		versions = append(versions, page.Versions...)
		if page.NextPageToken == "" {
			break
		}
		opts.PageToken = page.NextPageToken
	}
	if len(versions) == 0 {
		// An unknown model is an error, not an empty listing.
		if _, err := reg.GetModel(ctx, pos[0]); err != nil {
			return err
		}
	}
	if o.json() {
		return writeJSON(stdout, nonNil(versionsJSON(versions)))
	}
	rows := make([][]string, len(versions))
	for i, v := range versions {
		rows[i] = []string{strconv.Itoa(v.Number), string(v.Status), strings.Join(v.Aliases, ","), metricList(v.Metrics), v.Created.UTC().Format(time.RFC3339)}
	}
	return printTable(stdout, "VERSION\tSTATUS\tALIASES\tMETRICS\tCREATED", rows)
}

// versionJSON is a version as printed: with its aliases, which the
// registry's own encoding leaves out because they are not stored with it.
type versionJSON struct {
	*registry.Version
	Aliases []string `json:"aliases"`
}

func versionsJSON(vs []*registry.Version) []versionJSON {
	out := make([]versionJSON, len(vs))
	for i, v := range vs {
		out[i] = versionJSON{v, nonNil(v.Aliases)}
	}
	return out
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func aliasList(m map[string]int) string {
	parts := make([]string, 0, len(m))
	for _, a := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s=%d", a, m[a]))
	}
	return strings.Join(parts, ",")
}

func metricList(m map[string]float64) string {
	parts := make([]string, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s=%.4g", k, m[k]))
	}
	return strings.Join(parts, ",")
}

func cmdModelsShow(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("models show", stderr)
	var c common
	var o output
	c.registerAuth(fs)
	o.register(fs)
	fs.Usage = usageWith(fs, "MODEL | MODEL/N | MODEL@ALIAS | MODEL/latest", "Shows a model, or one of its versions.")
	pos, err := o.parseArgs(fs, args, 1, 1)
	if err != nil {
		return err
	}
	sess, err := c.open(ctx, nil)
	if err != nil {
		return err
	}
	defer sess.close()
	ctx, reg := sess.ctx, sess.reg
	if !strings.ContainsAny(pos[0], "/@") {
		m, err := reg.GetModel(ctx, pos[0])
		if err != nil {
			return err
		}
		if o.json() {
			return writeJSON(stdout, m)
		}
		fmt.Fprintf(stdout, "model:    %s\nlatest:   %d\naliases:  %s\ncreated:  %s\nupdated:  %s\n", m.Name, m.LatestVersion, aliasList(m.Aliases),
			m.Created.UTC().Format(time.RFC3339), m.Updated.UTC().Format(time.RFC3339))
		if m.Description != "" {
			fmt.Fprintf(stdout, "about:    %s\n", m.Description)
		}
		return nil
	}
	v, err := reg.Get(ctx, pos[0])
	if err != nil {
		return err
	}
	if o.json() {
		return writeJSON(stdout, versionJSON{v, nonNil(v.Aliases)})
	}
	fmt.Fprintf(stdout, "version:  %s\nstatus:   %s\naliases:  %s\ncreated:  %s by %s\n", v.Ref(), v.Status, strings.Join(v.Aliases, ","),
		v.Created.UTC().Format(time.RFC3339), v.Author)
	if v.Description != "" {
		fmt.Fprintf(stdout, "about:    %s\n", v.Description)
	}
	fmt.Fprintf(stdout, "metrics:  %s\n", metricList(v.Metrics))
	params := make([]string, 0, len(v.Params))
	for _, k := range slices.Sorted(maps.Keys(v.Params)) {
		params = append(params, k+"="+v.Params[k])
	}
	fmt.Fprintf(stdout, "params:   %s\n", strings.Join(params, ","))
	fmt.Fprintf(stdout, "lineage:  revision %s, run %s, datasets %s\n", v.Lineage.CodeRevision, v.Lineage.RunID, strings.Join(v.Lineage.Datasets, ","))
	fmt.Fprintf(stdout, "signed:   %d signature(s)\n", len(v.Signatures))
	fmt.Fprintln(stdout, "files:")
	for _, f := range v.Files {
		fmt.Fprintf(stdout, "  %s\t%d\t%s\n", f.Path, f.Size, f.Digest)
	}
	return nil
}

func cmdModelsHistory(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("models history", stderr)
	var c common
	var o output
	c.registerAuth(fs)
	o.register(fs)
	fs.Usage = usageWith(fs, "MODEL", "Prints every change recorded for MODEL, oldest first, read from its log.")
	pos, err := o.parseArgs(fs, args, 1, 1)
	if err != nil {
		return err
	}
	sess, err := c.open(ctx, nil)
	if err != nil {
		return err
	}
	defer sess.close()
	events, err := sess.reg.History(sess.ctx, pos[0])
	if err != nil && len(events) == 0 {
		return err
	}
	if o.json() {
		if werr := writeJSON(stdout, nonNil(events)); werr != nil {
			return werr
		}
		return err
	}
	rows := make([][]string, len(events))
	for i, ev := range events {
		rows[i] = []string{strconv.FormatUint(ev.Seq, 10), ev.Time.UTC().Format(time.RFC3339), string(ev.Type), eventDetail(ev), ev.Actor}
	}
	if werr := printTable(stdout, "SEQ\tTIME\tEVENT\tDETAIL\tACTOR", rows); werr != nil {
		return werr
	}
	return err // a damaged entry: the events before it were printed
}

func eventDetail(ev registry.Event) string {
	var parts []string
	if ev.Version > 0 {
		parts = append(parts, fmt.Sprintf("version %d", ev.Version))
	}
	if ev.Alias != "" {
		s := "alias " + ev.Alias
		if ev.Previous > 0 {
			s += fmt.Sprintf(" (was %d)", ev.Previous)
		}
		parts = append(parts, s)
	}
	if ev.Digest != "" {
		parts = append(parts, string(ev.Digest))
	}
	return strings.Join(parts, ", ")
}

func cmdModelsSetAlias(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("models set-alias", stderr)
	var c common
	c.registerAuth(fs)
	fs.Usage = usageWith(fs, "MODEL ALIAS VERSION", "Points ALIAS at VERSION of MODEL without a gate (see promote for a gated move).")
	pos, err := parseArgs(fs, args, 3, 3)
	if err != nil {
		return err
	}
	n, err := strconv.Atoi(strings.TrimPrefix(pos[2], "v"))
	if err != nil || n <= 0 {
		return fmt.Errorf("%w: version %q: want a positive number", errUsage, pos[2])
	}
	if err := c.requireAuthorization("set-alias"); err != nil {
		return err
	}
	sess, err := c.open(ctx, nil)
	if err != nil {
		return err
	}
	defer sess.close()
	if err := sess.reg.SetAlias(sess.ctx, pos[0], pos[1], n); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s@%s -> version %d\n", pos[0], pos[1], n)
	return nil
}

// rollbackTarget returns the version alias pointed at before its current
// holder took it, from the model's history, as "kubectl rollout undo" goes
// back one revision: rolling back twice returns to where it started.
func rollbackTarget(events []registry.Event, alias string, current int) (int, error) {
	for _, ev := range slices.Backward(events) {
		if ev.Alias != alias {
			continue
		}
		if ev.Type == registry.EventAliasSet && ev.Version == current {
			if ev.Previous == 0 {
				return 0, fmt.Errorf("sextant: alias %q had no version before %d: nothing to roll back to (give -to N)", alias, current)
			}
			return ev.Previous, nil
		}
	}
	return 0, fmt.Errorf("sextant: the history does not show alias %q being set to %d (give -to N)", alias, current)
}

func cmdModelsRollback(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("models rollback", stderr)
	var c common
	c.registerAuth(fs)
	alias := fs.String("alias", "production", "alias to move back")
	to := fs.Int("to", 0, "version to move the alias to (default: the one it held before the current one)")
	fs.Usage = usageWith(fs, "MODEL", "Moves an alias back to the version it held before, with no gate: the way out of a bad promotion.")
	pos, err := parseArgs(fs, args, 1, 1)
	if err != nil {
		return err
	}
	if *to < 0 {
		return fmt.Errorf("%w: -to %d: want a positive version", errUsage, *to)
	}
	if err := c.requireAuthorization("rollback"); err != nil {
		return err
	}
	sess, err := c.open(ctx, nil)
	if err != nil {
		return err
	}
	defer sess.close()
	ctx, reg, model := sess.ctx, sess.reg, pos[0]
	current, err := reg.Resolve(ctx, model+"@"+*alias)
	if err != nil {
		return err
	}
	target := *to
	if target == 0 {
		events, err := reg.History(ctx, model)
		if err != nil {
			return err
		}
		if target, err = rollbackTarget(events, *alias, current); err != nil {
			return err
		}
	}
	if target == current {
		return fmt.Errorf("sextant: %s@%s is version %d already", model, *alias, current)
	}
	if err := reg.SetAlias(ctx, model, *alias, target); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s@%s -> version %d (was %d)\n", model, *alias, target, current)
	return nil
}

func cmdModelsCard(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("models card", stderr)
	var c common
	c.registerAuth(fs)
	render := fs.Bool("render", false, "render the card from the version's current state even when one is stored")
	save := fs.Bool("save", false, "render the card and store it with the version")
	fs.Usage = usageWith(fs, "MODEL/N | MODEL@ALIAS", "Prints the version's model card in Markdown.")
	pos, err := parseArgs(fs, args, 1, 1)
	if err != nil {
		return err
	}
	sess, err := c.open(ctx, nil)
	if err != nil {
		return err
	}
	defer sess.close()
	ctx, reg, ref := sess.ctx, sess.reg, pos[0]
	if *save {
		d, err := reg.SaveCard(ctx, ref, nil)
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "saved the card of %s as %s\n", ref, d)
	}
	var card []byte
	if !*render {
		card, err = reg.Card(ctx, ref)
		if errors.Is(err, registry.ErrNotFound) {
			// No stored card; a missing version fails again below.
			err, *render = nil, true
		}
		if err != nil {
			return err
		}
	}
	if *render {
		if card, err = reg.RenderCard(ctx, ref, nil); err != nil {
			return err
		}
	}
	_, err = stdout.Write(card)
	return err
}

func cmdModelsVerify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("models verify", stderr)
	var c common
	var o output
	c.registerAuth(fs)
	o.register(fs)
	var keys stringList
	fs.Var(&keys, "trusted-key", "PEM public key a signature must be made with (required; repeatable)")
	fs.Usage = usageWith(fs, "MODEL/N | MODEL@ALIAS", "Checks that a trusted key signed the version and that every file matches its digest; exit status 1 if not.")
	pos, err := o.parseArgs(fs, args, 1, 1)
	if err != nil {
		return err
	}
	if len(keys) == 0 {
		return fmt.Errorf("%w: -trusted-key is required", errUsage)
	}
	trusted := make([]crypto.PublicKey, len(keys))
	for i, k := range keys {
		if trusted[i], err = readPublicKey(k); err != nil {
			return err
		}
	}
	sess, err := c.open(ctx, nil)
	if err != nil {
		return err
	}
	defer sess.close()
	keyID, err := sess.reg.Verify(sess.ctx, pos[0], trusted)
	if err != nil {
		return err
	}
	if o.json() {
		return writeJSON(stdout, map[string]any{"ref": pos[0], "verified": true, "key": keyID})
	}
	fmt.Fprintf(stdout, "verified %s: signed by key %s, every file matches its digest\n", pos[0], keyID)
	return nil
}

func cmdModelsSign(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("models sign", stderr)
	var c common
	c.registerAuth(fs)
	key := fs.String("key", "", "PEM ECDSA P-256 private key (required; sextant models keygen writes one)")
	fs.Usage = usageWith(fs, "MODEL/N | MODEL@ALIAS", "Signs the version's files, metrics and lineage with the key.")
	pos, err := parseArgs(fs, args, 1, 1)
	if err != nil {
		return err
	}
	if *key == "" {
		return fmt.Errorf("%w: -key is required", errUsage)
	}
	signer, err := readPrivateKey(*key)
	if err != nil {
		return err
	}
	sess, err := c.open(ctx, nil)
	if err != nil {
		return err
	}
	defer sess.close()
	sig, err := sess.reg.Sign(sess.ctx, pos[0], signer)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "signed %s with key %s\n", pos[0], sig.KeyID)
	return nil
}
