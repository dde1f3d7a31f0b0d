package tracking

import (
	"context"
	"fmt"
	"maps"
	"math"
	"strings"

	"github.com/sextant-ml/sextant/registry"
)

// RegisterOptions shape the model version RegisterModel creates.
type RegisterOptions struct {
	// ArtifactPrefix selects the run's artifacts under it ("model/") as the
	// version's files, with the prefix cut from their paths. Default "":
	// every artifact, paths as recorded.
	ArtifactPrefix string
	Description    string
	Tags           map[string]string
	// Datasets are dataset manifest digests, for the version's lineage.
	Datasets []string
}

// RegisterModel registers a new version of model in reg from a run: its
// files are the run's artifacts (by digest: nothing is uploaded again), its
// params the run's params, its metrics the latest value of each of the
// run's series (NaN values left out, as the registry stores finite values
// only), and its lineage names the run, so that a registry opened with
// Options.Runs set to this tracker resolves it.
func (t *Tracker) RegisterModel(ctx context.Context, reg *registry.Registry, runID, model string, opts *RegisterOptions) (*registry.Version, error) {
	if reg == nil {
		return nil, fmt.Errorf("%w: nil registry", ErrInvalidParameter)
	}
	if opts == nil {
		opts = &RegisterOptions{}
	}
	run, err := t.GetRun(ctx, runID)
	if err != nil {
		return nil, err
	}
	spec := &registry.VersionSpec{
		Description: opts.Description,
		Tags:        maps.Clone(opts.Tags),
		Params:      maps.Clone(run.Params),
		Metrics:     map[string]float64{},
		Lineage:     registry.Lineage{RunID: runID, Source: "runs:/" + runID + "/" + opts.ArtifactPrefix, Datasets: opts.Datasets},
	}
	for k, m := range run.Metrics {
		if !math.IsNaN(m.Value) {
			spec.Metrics[k] = m.Value
		}
	}
	for _, a := range run.Artifacts {
		p, ok := strings.CutPrefix(a.Path, opts.ArtifactPrefix)
		if !ok || p == "" {
			continue
		}
		spec.Files = append(spec.Files, registry.Upload{Path: p, Digest: a.Digest})
	}
	return reg.Register(ctx, model, spec)
}
