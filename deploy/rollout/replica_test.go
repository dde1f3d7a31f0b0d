package rollout_test

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"

	"github.com/sextant-ml/sextant/artifact"
	"github.com/sextant-ml/sextant/deploy/rollout"
)

// handlerTransport serves the requests of an HTTP client with a handler
// in the same process, without a socket, so that the real Prometheus API
// client can run inside a testing/synctest bubble.
type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	t.h.ServeHTTP(rec, r)
	if r.Body != nil {
		r.Body.Close()
	}
	return rec.Result(), nil
}

// Two replicas of a service: the leader runs the rollout, judging by a
// Prometheus query (so that any replica would judge alike), and writes
// its state to a file:// bucket; the follower applies what it reads.
// Time is synctest's, so the windows are real minutes that cost nothing.
func TestReplicasFollowThePrometheusDecision(t *testing.T) {
	tests := []struct {
		name       string
		errorRate  string
		samples    string // requests of the canary in a window
		wantPhase  rollout.Phase
		wantWeight float64
		wantTime   time.Duration // from start to the decision
	}{
		// Two steps of two one-minute measurements each.
		{"healthy canary promoted everywhere", "0.001", "600", rollout.Promoted, 100, 4 * time.Minute},
		{"failing canary rolled back everywhere", "0.3", "600", rollout.RolledBack, 0, time.Minute},
		// A rate of errors is 0 without traffic, which alone would pass.
		{"no traffic pauses", "0", "0", rollout.Paused, 30, 2 * time.Minute},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var mu sync.Mutex
				var queries []string
				prom := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					r.ParseForm()
					w.Header().Set("Content-Type", "application/json")
					q := r.Form.Get("query")
					if strings.HasPrefix(q, "sum(increase(") {
						fmt.Fprint(w, vector(tc.samples))
						return
					}
					mu.Lock()
					queries = append(queries, q+" @"+r.Form.Get("time"))
					mu.Unlock()
					fmt.Fprint(w, vector(tc.errorRate))
				})
				client, err := api.NewClient(api.Config{Address: "http://prometheus.test", RoundTripper: handlerTransport{prom}})
				if err != nil {
					t.Fatal(err)
				}
				check, err := rollout.NewPromCheck("error-rate", promv1.NewAPI(client),
					`sum(rate(sextant_predictions_total{model="{{.Model}}",version="{{.Canary}}",outcome="error"}[{{.Window}}]))`,
					func(v float64) bool { return v < 0.01 })
				if err != nil {
					t.Fatal(err)
				}
				if err := check.RequireSamples(`sum(increase(sextant_predictions_total{model="{{.Model}}",version="{{.Canary}}"}[{{.Window}}]))`, 100); err != nil {
					t.Fatal(err)
				}
				bucket, err := artifact.OpenBucket(context.Background(), "file://"+t.TempDir())
				if err != nil {
					t.Fatal(err)
				}
				defer bucket.Close()
				store, _ := rollout.NewBlobStore(bucket, "churn", nil)

				leader := newRouter(t, "stable", "canary")
				follower := newRouter(t, "stable", "canary")
				a := rollout.Analysis{Interval: time.Minute, Count: 2, Checks: []rollout.Check{check}}
				ro, err := rollout.New(leader, spec(rollout.SetWeight(30), rollout.Analyze(a), rollout.SetWeight(60), rollout.Analyze(a)),
					&rollout.Options{Store: store})
				if err != nil {
					t.Fatal(err)
				}

				ctx, cancel := context.WithCancel(t.Context())
				defer cancel()
				var seen []rollout.State
				followed := make(chan error, 1)
				go func() {
					followed <- rollout.Follow(ctx, store, follower, 5*time.Second, func(st rollout.State) {
						mu.Lock()
						defer mu.Unlock()
						seen = append(seen, st)
					})
				}()

				start := time.Now()
				var st rollout.State
				if tc.wantPhase == rollout.Paused {
					ran := make(chan struct{})
					go func() {
						defer close(ran)
						ro.Run(ctx)
					}()
					time.Sleep(10 * time.Minute) // nobody resumes
					synctest.Wait()
					st = ro.State()
					if d := st.Updated.Sub(start); d != tc.wantTime {
						t.Errorf("paused after %s, want %s", d, tc.wantTime)
					}
					cancel()
					<-ran
					<-followed
				} else {
					st, err = ro.Run(ctx)
					if err != nil {
						t.Fatal(err)
					}
					if d := time.Since(start); d != tc.wantTime {
						t.Errorf("decided after %s, want %s", d, tc.wantTime)
					}
					if err := <-followed; err != nil {
						t.Fatalf("Follow: %v", err)
					}
				}
				if st.Phase != tc.wantPhase {
					t.Fatalf("leader ended %s (%s), want %s", st.Phase, st.Reason, tc.wantPhase)
				}
				mu.Lock()
				defer mu.Unlock()
				last := seen[len(seen)-1]
				if last.Phase != tc.wantPhase || last.Weight != tc.wantWeight || last.Revision != st.Revision {
					t.Errorf("follower last saw %s at %g%% (revision %d), leader %s (revision %d)", last.Phase, last.Weight, last.Revision, st.Phase, st.Revision)
				}
				if got, want := canaryShare(t, follower), canaryShare(t, leader); got != want || math.Abs(got-tc.wantWeight/100) > 0.03 {
					t.Errorf("follower routes %v to the canary, leader %v, want %v", got, want, tc.wantWeight/100)
				}
				// Every measurement with enough samples asked once, for the
				// minute that had just ended, at its end.
				if tc.samples == "0" {
					if len(queries) != 0 {
						t.Errorf("asked %q without samples", queries)
					}
					return
				}
				wantQuery := fmt.Sprintf(`sum(rate(sextant_predictions_total{model="churn",version="canary",outcome="error"}[1m])) @%d`, start.Add(time.Minute).Unix())
				if len(queries) == 0 || queries[0] != wantQuery {
					t.Errorf("first query %q, want %q", queries, wantQuery)
				}
				if want := int(tc.wantTime / time.Minute); len(queries) != want {
					t.Errorf("%d queries, want %d: %q", len(queries), want, queries)
				}
			})
		})
	}
}
