//go:build !race

// Failing pipelines are not run under the race detector: Beam 2.78's
// SDK harness records a failed bundle in a map after releasing its lock
// (core/runtime/harness/harness.go:413, c.failed[instID] = err), so two
// bundles failing at once race inside Beam. TestCombineErrors checks the
// same errors on ProfileFn in both builds.

package beam_test

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"

	"github.com/sextant-ml/sextant/drift"
	sbeam "github.com/sextant-ml/sextant/engines/beam"
)

// TestFitProfileErrors checks that the pipeline fails where drift.Fit
// fails on the same rows, with drift's reason.
func TestFitProfileErrors(t *testing.T) {
	nan := math.NaN()
	for name, c := range map[string]struct {
		rows []sbeam.Row
		opts *drift.FitOptions
		want error
	}{
		"no rows":             {nil, nil, drift.ErrEmpty},
		"rows without values": {[]sbeam.Row{{}, {}}, nil, drift.ErrEmpty},
		"only NaN":            {[]sbeam.Row{{Num: map[string]float64{"a": 1, "b": nan}}, {Num: map[string]float64{"b": nan}}}, nil, drift.ErrEmpty},
		"only empty":          {[]sbeam.Row{{Cat: map[string]string{"c": ""}}, {Num: map[string]float64{"a": 1}}}, nil, drift.ErrEmpty},
		"both kinds":          {[]sbeam.Row{{Num: map[string]float64{"a": 1}}, {Cat: map[string]string{"a": "x"}}}, nil, drift.ErrInvalid},
		"edges unknown":       {[]sbeam.Row{{Num: map[string]float64{"a": 1}}}, &drift.FitOptions{Edges: map[string][]float64{"b": {1}}}, drift.ErrUnknownColumn},
		"bad bins":            {[]sbeam.Row{{Num: map[string]float64{"a": 1}}}, &drift.FitOptions{Bins: 1}, drift.ErrInvalid},
	} {
		t.Run(name, func(t *testing.T) {
			_, fitErr := drift.Fit(sbeam.Data(c.rows), c.opts)
			if !errors.Is(fitErr, c.want) {
				t.Fatalf("drift.Fit: %v, want %v", fitErr, c.want)
			}
			ps, err := run(t, func(s beam.Scope) beam.PCollection {
				return sbeam.FitProfile(s, beam.CreateList(s, append([]sbeam.Row{}, c.rows...)), c.opts)
			})
			// The error crosses the runner as text: check drift's message.
			if err == nil || !strings.Contains(err.Error(), c.want.Error()) {
				t.Fatalf("pipeline gave %d profiles and error %v, want one containing %q", len(ps), err, c.want)
			}
		})
	}
}
