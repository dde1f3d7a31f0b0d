package registry

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func filterVersions() []*Version {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	return []*Version{
		{Model: "fraud", Number: 1, Status: StatusReady, Author: "alice", Created: t0,
			Tags: map[string]string{"team": "risk", "stage": "dev"}, Params: map[string]string{"lr": "0.1"},
			Metrics: map[string]float64{"auc": 0.81, "loss": 0.5}, Lineage: Lineage{RunID: "run-1", Datasets: []string{testDigest}}},
		{Model: "fraud", Number: 2, Status: StatusFailed, Author: "bob", Created: t0.Add(24 * time.Hour),
			Tags: map[string]string{"team": "risk"}, Metrics: map[string]float64{"auc": 0.79}, Archived: true},
		{Model: "fraud", Number: 3, Status: StatusReady, Author: "alice", Created: t0.Add(48 * time.Hour),
			Tags: map[string]string{"team": "o'neil"}, Metrics: map[string]float64{"auc": 0.93, "loss": 0.2},
			Aliases: []string{"champion", "production"}, Description: "boosted trees"},
	}
}

func TestFilterMatch(t *testing.T) {
	tests := []struct {
		filter string
		want   []int
	}{
		{"", []int{1, 2, 3}},
		{"metrics.auc > 0.8", []int{1, 3}},
		{"metrics.auc >= 0.93", []int{3}},
		{"metrics.loss < 1", []int{1, 3}}, // version 2 has no loss: false
		{"tags.team = 'risk'", []int{1, 2}},
		{"tags.team = 'o''neil'", []int{3}},
		{"tags.team != 'risk'", []int{3}},
		{"tags.stage = 'dev' or version = 3", []int{1, 3}},
		{"status = 'ready' and not alias = 'production'", []int{1}},
		{"alias = 'production'", []int{3}},
		{"alias != 'production'", []int{1, 2}},
		{"archived = true", []int{2}},
		{"ARCHIVED = FALSE AND Author = 'alice'", []int{1, 3}},
		{"created >= '2026-03-02'", []int{2, 3}},
		{"created < '2026-03-02T00:00:00Z'", []int{1}},
		{"description like '%trees'", []int{3}},
		{"name like 'fr_ud'", []int{1, 2, 3}},
		{"run_id = 'run-1'", []int{1}},
		{"dataset = '" + testDigest + "'", []int{1}},
		{"params.lr = '0.1'", []int{1}},
		{"(metrics.auc > 0.9 or metrics.auc < 0.8) and tags.team like '%'", []int{2, 3}},
		{"not (version > 1)", []int{1}},
		{"metrics.auc > -1e3", []int{1, 2, 3}},
	}
	for _, tt := range tests {
		t.Run(tt.filter, func(t *testing.T) {
			f, err := ParseFilter(tt.filter)
			if err != nil {
				t.Fatalf("ParseFilter: %v", err)
			}
			var got []int
			for _, v := range filterVersions() {
				if f.Match(v) {
					got = append(got, v.Number)
				}
			}
			if len(got) != len(tt.want) {
				t.Fatalf("matched %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("matched %v, want %v", got, tt.want)
				}
			}
		})
	}
}

func TestFilterModel(t *testing.T) {
	m := &Model{Name: "fraud", Owner: "alice", Tags: map[string]string{"team": "risk"}, Aliases: map[string]int{"production": 3}}
	for filter, want := range map[string]bool{
		"name = 'fraud'":               true,
		"owner = 'alice'":              true,
		"tags.team = 'risk'":           true,
		"alias = 'production'":         true,
		"alias = 'staging'":            false,
		"archived = true":              false,
		"version = 0 or name = 'x'":    true, // LatestVersion is 0 here
		"tags.team = 'risk' and not 1": false,
	} {
		t.Run(filter, func(t *testing.T) {
			f, err := ParseFilter(filter)
			if err != nil {
				if filter == "tags.team = 'risk' and not 1" && errors.Is(err, ErrInvalidFilter) {
					return
				}
				t.Fatal(err)
			}
			if got := f.MatchModel(m); got != want {
				t.Fatalf("MatchModel = %v, want %v", got, want)
			}
		})
	}
}

func TestParseFilterErrors(t *testing.T) {
	for _, s := range []string{
		strings.Repeat("not ", maxFilterDepth+1) + "status = 'x'",
		"name = '" + strings.Repeat("a", maxFilterLen) + "'",
		"metrics.auc >", "metrics.auc > 'x'", "tags.team = risk", "bogus = 'x'", "tags. = 'x'", "metrics.auc like '%'",
		"version = '3'", "archived > true", "archived = maybe", "created > 5", "created > 'yesterday'",
		"(status = 'ready'", "status = 'ready')", "status = 'ready' and", "status 'ready'", "status ! 'x'",
		"status = 'unterminated", "status = 'x' # comment", "metrics.auc > 1e999", "and", "not",
		"(((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((status = 'x')))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))",
	} {
		t.Run(s[:min(len(s), 40)], func(t *testing.T) {
			if _, err := ParseFilter(s); !errors.Is(err, ErrInvalidFilter) {
				t.Fatalf("ParseFilter(%q) = %v, want ErrInvalidFilter", s, err)
			}
		})
	}
}

// TestParseFilterLimits: filters at the length and nesting limits parse.
func TestParseFilterLimits(t *testing.T) {
	long := "name = '" + strings.Repeat("a", maxFilterLen-len("name = ''")) + "'"
	deep := strings.Repeat("not ", maxFilterDepth) + "status = 'x'"
	for _, s := range []string{long, deep} {
		if _, err := ParseFilter(s); err != nil {
			t.Errorf("ParseFilter of %d bytes: %v", len(s), err)
		}
	}
}

// FuzzParseFilter: the parser never panics, errors match ErrInvalidFilter,
// and an accepted filter's canonical form parses to the same canonical form
// and the same verdicts.
func FuzzParseFilter(f *testing.F) {
	for _, s := range []string{
		"metrics.auc > 0.9 and tags.team = 'risk'", "not (alias = 'production' or status != 'ready')",
		"created >= '2026-03-02T00:00:00Z'", "description like '%tre_s'", "archived = true", "version <= 3",
		"metrics.x > -1.5e-3", "tags.a = 'it''s'", `params.p = "q"`, "((name = 'a'))", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		flt, err := ParseFilter(s)
		if err != nil {
			if !errors.Is(err, ErrInvalidFilter) {
				t.Fatalf("error %v does not match ErrInvalidFilter", err)
			}
			return
		}
		canon := flt.String()
		again, err := ParseFilter(canon)
		if err != nil {
			t.Fatalf("canonical form %q of %q does not parse: %v", canon, s, err)
		}
		if again.String() != canon {
			t.Fatalf("canonical form not stable: %q then %q", canon, again.String())
		}
		for _, v := range filterVersions() {
			if flt.Match(v) != again.Match(v) {
				t.Fatalf("%q and its canonical form %q disagree on version %d", s, canon, v.Number)
			}
		}
	})
}

// TestFilterMatchAllocatesNothing: a search scans every version of a
// model through Match, so matching costs no allocation per version,
// whatever fields the filter reads.
func TestFilterMatchAllocatesNothing(t *testing.T) {
	v := &Version{Model: "fraud", Number: 7, Status: StatusReady, Author: "ana",
		Tags: map[string]string{"team": "risk"}, Params: map[string]string{"lr": "0.1"},
		Metrics: map[string]float64{"auc": 0.91}, Aliases: []string{"champion"},
		Lineage: Lineage{RunID: "r1", Datasets: []string{"sha256:ab"}}}
	f, err := ParseFilter("name ilike 'FR%' and tags.team = 'risk' and params.lr = '0.1' and metrics.auc > 0.9 and status = 'ready' and alias = 'champion' and run_id != 'r2' and version >= 7")
	if err != nil {
		t.Fatal(err)
	}
	if !f.Match(v) {
		t.Fatal("the version does not match")
	}
	if n := testing.AllocsPerRun(200, func() { f.Match(v) }); n != 0 {
		t.Fatalf("Match allocates %v times per version, want 0", n)
	}
}
