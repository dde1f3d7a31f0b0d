package cli

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/sextant-ml/sextant/dataset"
	"github.com/sextant-ml/sextant/registry"
)

func cmdRegister(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("models register", stderr)
	var c common
	c.register(fs)
	dir := fs.String("dir", "", "directory of the model's files (required)")
	metricsFile := fs.String("metrics", "", "JSON file of metric names to numbers")
	paramsFile := fs.String("params", "", "JSON file of parameter names to strings")
	description := fs.String("description", "", "version description")
	var datasets stringList
	fs.Var(&datasets, "dataset", "dataset manifest digest the model was trained on (repeatable)")
	runID := fs.String("run", githubRun(), "training run id (default $GITHUB_RUN_ID-$GITHUB_RUN_ATTEMPT)")
	revision := fs.String("revision", os.Getenv("GITHUB_SHA"), "code revision (default $GITHUB_SHA)")
	source := fs.String("source", githubRunURL(), "where the version came from (default the GitHub Actions run URL)")
	signKey := fs.String("sign-key", "", "PEM ECDSA P-256 private key to sign the version with")
	dataDir := fs.String("data", "", "directory of the training data to version first; its manifest digest joins the lineage")
	datasetName := fs.String("dataset-name", "", "dataset the -data directory is committed to (default: the model name)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *dir == "" {
		return fmt.Errorf("%w: -dir is required", errUsage)
	}
	if *datasetName == "" {
		*datasetName = c.model
	}
	spec := &registry.VersionSpec{
		Description: *description,
		Lineage:     registry.Lineage{Datasets: datasets, RunID: *runID, Source: *source, CodeRevision: *revision},
	}
	if spec.Lineage.CodeRevision == "" {
		// The registry's default is this program's own revision, which
		// says nothing about the model.
		spec.Lineage.CodeRevision = "unknown"
	}
	var err error
	if *metricsFile != "" {
		if spec.Metrics, err = readWith(*metricsFile, parseMetrics); err != nil {
			return err
		}
	}
	if *paramsFile != "" {
		if spec.Params, err = readWith(*paramsFile, parseParams); err != nil {
			return err
		}
	}
	var signer crypto.Signer
	if *signKey != "" {
		if signer, err = readPrivateKey(*signKey); err != nil {
			return err
		}
	}
	sess, err := c.openModel(ctx, nil)
	if err != nil {
		return err
	}
	defer sess.close()
	ctx, reg := sess.ctx, sess.reg
	if *dataDir != "" {
		opts := &dataset.Options{}
		if sess.authz != nil {
			opts.Authorizer = sess.authz
		}
		data, err := dataset.New(sess.store, opts)
		if err != nil {
			return err
		}
		dv, err := data.Commit(ctx, *datasetName, *dataDir, &dataset.CommitOptions{Message: "training data of " + c.model + ", run " + *runID})
		if err != nil {
			return err
		}
		spec.Lineage.Datasets = append(spec.Lineage.Datasets, dv.Manifest.String())
		fmt.Fprintf(stderr, "dataset %s version %d: %d file(s), manifest %s\n", *datasetName, dv.Number, dv.Files, dv.Manifest)
	}
	v, err := reg.RegisterDir(ctx, c.model, *dir, spec)
	if err != nil {
		return err
	}
	ref := v.Ref().String()
	if _, err := reg.SaveCard(ctx, ref, nil); err != nil {
		return err
	}
	if signer != nil {
		sig, err := reg.Sign(ctx, ref, signer)
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "signed %s with key %s\n", ref, sig.KeyID)
	}
	fmt.Fprintf(stderr, "registered %s: %d file(s), %d metric(s)\n", ref, len(v.Files), len(v.Metrics))
	fmt.Fprintln(stdout, v.Number)
	return nil
}

// gateFailedError is a gate evaluated without promoting that failed.
type gateFailedError struct{ failures []registry.MetricFailure }

func (e *gateFailedError) Error() string {
	parts := make([]string, len(e.failures))
	for i, f := range e.failures {
		parts[i] = f.String()
	}
	return "gate failed: " + strings.Join(parts, "; ")
}

func cmdGate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("models gate", stderr)
	var c common
	c.register(fs)
	gateFile := fs.String("gate", "", "gate file (required)")
	version := fs.Int("version", 0, "registered version to check")
	metricsFile := fs.String("metrics", "", "metrics file of an unregistered candidate to check instead")
	alias := fs.String("alias", "production", "alias whose version is the baseline")
	summary := fs.String("summary", os.Getenv("GITHUB_STEP_SUMMARY"), "file the Markdown report is appended to (default $GITHUB_STEP_SUMMARY)")
	fs.Usage = usageWith(fs, "[MODEL/N]", "Compares a candidate (a registered version, given as MODEL/N or with -model and -version,\nor a metrics file) with the version holding -alias, under a gate file; exit status 3 when it fails.")
	pos, err := parseArgs(fs, args, 0, 1)
	if err != nil {
		return err
	}
	if err := refArgument(pos, &c.model, version); err != nil {
		return err
	}
	if (*version > 0) == (*metricsFile != "") {
		return fmt.Errorf("%w: give exactly one of -version and -metrics", errUsage)
	}
	gate, err := readWith(*gateFile, parseGate)
	if err != nil {
		return err
	}
	sess, err := c.openModel(ctx, nil)
	if err != nil {
		return err
	}
	defer sess.close()
	ctx, reg := sess.ctx, sess.reg
	candidate, label := map[string]float64(nil), ""
	if *version > 0 {
		v, err := reg.Get(ctx, fmt.Sprintf("%s/%d", c.model, *version))
		if err != nil {
			return err
		}
		candidate, label = v.Metrics, fmt.Sprintf("version %d", v.Number)
	} else {
		if candidate, err = readWith(*metricsFile, parseMetrics); err != nil {
			return err
		}
		label = *metricsFile
	}
	baseline, baseLabel, err := aliasMetrics(ctx, reg, c.model, *alias)
	if err != nil {
		return err
	}
	failures := gate.Evaluate(candidate, baseline)
	report := gateReport(c.model, label, baseLabel, gate, candidate, baseline, failures)
	fmt.Fprint(stdout, report)
	if *summary != "" {
		if err := appendFile(*summary, report); err != nil {
			return err
		}
	}
	if len(failures) > 0 {
		return &gateFailedError{failures}
	}
	return nil
}

// aliasMetrics returns the metrics of the version holding alias, nil when
// the alias is not set.
func aliasMetrics(ctx context.Context, reg *registry.Registry, model, alias string) (map[string]float64, string, error) {
	v, err := reg.Get(ctx, model+"@"+alias)
	if errors.Is(err, registry.ErrNotFound) {
		return nil, alias + " not set", nil
	}
	if err != nil {
		return nil, "", err
	}
	return v.Metrics, fmt.Sprintf("version %d (%s)", v.Number, alias), nil
}

// gateReport renders the verdict as Markdown.
func gateReport(model, candidate, baseline string, gate registry.Gate, cm, bm map[string]float64, failures []registry.MetricFailure) string {
	var b strings.Builder
	verdict := "passed"
	if len(failures) > 0 {
		verdict = "FAILED"
	}
	fmt.Fprintf(&b, "### Promotion gate for %s: %s\n\n", model, verdict)
	fmt.Fprintf(&b, "Candidate: %s. Baseline: %s.\n\n", candidate, baseline)
	b.WriteString("| Metric | Candidate | Baseline | Criteria | Result |\n|---|---|---|---|---|\n")
	for _, name := range slices.Sorted(maps.Keys(gate)) {
		t := gate[name]
		result := "pass"
		for _, f := range failures {
			if f.Metric == name {
				result = "fail: " + f.String()
				break
			}
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", name, metricCell(cm, name), metricCell(bm, name), criteria(t), result)
	}
	b.WriteString("\n")
	return b.String()
}

func metricCell(m map[string]float64, name string) string {
	if v, ok := m[name]; ok {
		return fmt.Sprintf("%.4g", v)
	}
	return "–"
}

func criteria(t registry.MetricThreshold) string {
	dir, op := "lower is better", "<="
	if t.GreaterIsBetter {
		dir, op = "greater is better", ">="
	}
	parts := []string{dir}
	if t.Threshold != nil {
		parts = append(parts, fmt.Sprintf("%s %g", op, *t.Threshold))
	}
	if t.MinAbsoluteChange != nil {
		parts = append(parts, fmt.Sprintf("change ≥ %g", *t.MinAbsoluteChange))
	}
	if t.MinRelativeChange != nil {
		parts = append(parts, fmt.Sprintf("relative change ≥ %g", *t.MinRelativeChange))
	}
	return strings.Join(parts, ", ")
}

func cmdPromote(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("models promote", stderr)
	var c common
	c.register(fs)
	gateFile := fs.String("gate", "", "gate file (required; checked again as the alias moves)")
	version := fs.Int("version", 0, "version to promote (required)")
	alias := fs.String("alias", "production", "alias to move")
	trustedKey := fs.String("trusted-key", "", "PEM public key the version must be signed by")
	fs.Usage = usageWith(fs, "[MODEL/N]", "Verifies a version (MODEL/N, or -model and -version) when -trusted-key is given and moves -alias to it,\nthe gate checked again in the same registry entry; exit status 3 when the gate fails.")
	pos, err := parseArgs(fs, args, 0, 1)
	if err != nil {
		return err
	}
	if err := refArgument(pos, &c.model, version); err != nil {
		return err
	}
	if *version <= 0 {
		return fmt.Errorf("%w: -version is required", errUsage)
	}
	gate, err := readWith(*gateFile, parseGate)
	if err != nil {
		return err
	}
	if err := c.requireAuthorization(fmt.Sprintf("promote (moving %q)", *alias)); err != nil {
		return err
	}
	var trusted []crypto.PublicKey
	if *trustedKey != "" {
		pub, err := readPublicKey(*trustedKey)
		if err != nil {
			return err
		}
		trusted = append(trusted, pub)
	}
	sess, err := c.openModel(ctx, trusted)
	if err != nil {
		return err
	}
	defer sess.close()
	ctx, reg := sess.ctx, sess.reg
	ref := fmt.Sprintf("%s/%d", c.model, *version)
	if len(trusted) > 0 {
		keyID, err := reg.Verify(ctx, ref, trusted)
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "verified %s: signed by key %s, every file matches its digest\n", ref, keyID)
	}
	v, err := reg.Promote(ctx, ref, *alias, gate)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s@%s -> version %d\n", c.model, *alias, v.Number)
	return nil
}

func cmdKeygen(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("models keygen", stderr)
	out := fs.String("out", "", "path prefix of the key files (required): PREFIX.pem and PREFIX.pub.pem")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *out == "" {
		return fmt.Errorf("%w: -out is required", errUsage)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	priv, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	pub, err := x509.MarshalPKIXPublicKey(key.Public())
	if err != nil {
		return err
	}
	if err := os.WriteFile(*out+".pem", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: priv}), 0o600); err != nil {
		return err
	}
	if err := os.WriteFile(*out+".pub.pem", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}), 0o644); err != nil {
		return err
	}
	id, err := registry.KeyID(&key.PublicKey)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s.pem and %s.pub.pem (key %s)\n", *out, *out, id)
	return nil
}

// readPrivateKey reads a PEM ECDSA P-256 private key (PKCS #8 or SEC 1).
func readPrivateKey(path string) (crypto.Signer, error) {
	block, err := readPEM(path)
	if err != nil {
		return nil, err
	}
	var key any
	switch block.Type {
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(block.Bytes)
	default:
		return nil, fmt.Errorf("sextant: %s: PEM block %q is not a private key", path, block.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("sextant: %s: %w", path, err)
	}
	ec, ok := key.(*ecdsa.PrivateKey)
	if !ok || ec.Curve != elliptic.P256() {
		return nil, fmt.Errorf("sextant: %s: not an ECDSA P-256 key", path)
	}
	return ec, nil
}

// readPublicKey reads a PEM PKIX ECDSA public key.
func readPublicKey(path string) (crypto.PublicKey, error) {
	block, err := readPEM(path)
	if err != nil {
		return nil, err
	}
	if block.Type != "PUBLIC KEY" {
		return nil, fmt.Errorf("sextant: %s: PEM block %q is not a public key", path, block.Type)
	}
	key, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("sextant: %s: %w", path, err)
	}
	if _, ok := key.(*ecdsa.PublicKey); !ok {
		return nil, fmt.Errorf("sextant: %s: not an ECDSA key", path)
	}
	return key, nil
}

func readPEM(path string) (*pem.Block, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("sextant: %s: no PEM block", path)
	}
	return block, nil
}

// readWith reads a file and parses it.
func readWith[T any](path string, parse func([]byte) (T, error)) (T, error) {
	var zero T
	if path == "" {
		return zero, fmt.Errorf("%w: a required file flag is missing", errUsage)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return zero, err
	}
	v, err := parse(data)
	if err != nil {
		return zero, fmt.Errorf("%s: %w", path, err)
	}
	return v, nil
}

func appendFile(path, text string) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(text); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func githubRun() string {
	id := os.Getenv("GITHUB_RUN_ID")
	if id == "" {
		return ""
	}
	if a := os.Getenv("GITHUB_RUN_ATTEMPT"); a != "" {
		return id + "-" + a
	}
	return id
}

func githubRunURL() string {
	server, repo, id := os.Getenv("GITHUB_SERVER_URL"), os.Getenv("GITHUB_REPOSITORY"), os.Getenv("GITHUB_RUN_ID")
	if server == "" || repo == "" || id == "" {
		return ""
	}
	return server + "/" + repo + "/actions/runs/" + id
}

// refArgument takes a version given as MODEL/N in place of -model and
// -version.
func refArgument(pos []string, model *string, version *int) error {
	if len(pos) == 0 {
		return nil
	}
	ref, err := registry.ParseRef(pos[0])
	if err != nil || ref.Version == 0 {
		return fmt.Errorf("%w: %q: want MODEL/N", errUsage, pos[0])
	}
	if (*model != "" && *model != ref.Model) || (*version != 0 && *version != ref.Version) {
		return fmt.Errorf("%w: %q contradicts -model or -version", errUsage, pos[0])
	}
	*model, *version = ref.Model, ref.Version
	return nil
}
