package deploy_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"gocloud.dev/blob/fileblob"

	"github.com/sextant-ml/sextant/deploy"
)

// Two replicas of a service: the leader runs the rollout, judging by a
// Prometheus query (so that any replica would judge alike), and writes
// its state to a file:// bucket; the follower applies what it reads.
func TestReplicasFollowThePrometheusDecision(t *testing.T) {
	tests := []struct {
		name       string
		errorRate  string
		wantPhase  deploy.Phase
		wantWeight float64
	}{
		{"healthy canary promoted everywhere", "0.001", deploy.Promoted, 100},
		{"failing canary rolled back everywhere", "0.3", deploy.RolledBack, 0},
		{"no data pauses", "NaN", deploy.Paused, 30},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var queries atomic.Int64
			var lastQuery atomic.Value
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				r.ParseForm()
				queries.Add(1)
				lastQuery.Store(r.Form.Get("query"))
				w.Header().Set("Content-Type", "application/json")
				fmt.Fprint(w, vector(tc.errorRate))
			}))
			defer srv.Close()
			client, err := api.NewClient(api.Config{Address: srv.URL})
			if err != nil {
				t.Fatal(err)
			}
			check, err := deploy.NewPromCheck("error-rate", promv1.NewAPI(client),
				`sum(rate(sextant_predictions_total{model="{{.Model}}",version="{{.Canary}}",outcome="error"}[{{.Window}}]))`,
				func(v float64) bool { return v < 0.01 })
			if err != nil {
				t.Fatal(err)
			}
			bucket, err := fileblob.OpenBucket(t.TempDir(), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer bucket.Close()
			store, _ := deploy.NewBlobStore(bucket, "rollouts/churn.json")

			leader, _ := newRouter(t, nil, "stable", "canary")
			follower, _ := newRouter(t, nil, "stable", "canary")
			a := deploy.Analysis{Interval: 10 * time.Millisecond, Count: 2, Checks: []deploy.Check{check}}
			ro, err := deploy.NewRollout(leader, spec(deploy.SetWeight(30), deploy.Analyze(a), deploy.SetWeight(60), deploy.Analyze(a)),
				&deploy.RolloutOptions{Store: store})
			if err != nil {
				t.Fatal(err)
			}

			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			var mu sync.Mutex
			var seen []deploy.State
			followed := make(chan error, 1)
			go func() {
				followed <- deploy.Follow(ctx, store, follower, 2*time.Millisecond, func(st deploy.State) {
					mu.Lock()
					defer mu.Unlock()
					seen = append(seen, st)
				})
			}()

			var st deploy.State
			if tc.wantPhase == deploy.Paused {
				for ro.State().Phase != deploy.Paused && ctx.Err() == nil {
					runCtx, stop := context.WithTimeout(ctx, 200*time.Millisecond)
					st, _ = ro.Run(runCtx)
					stop()
				}
				// Let the follower catch up, then stop it.
				for {
					mu.Lock()
					n := len(seen)
					caught := n > 0 && seen[n-1].Revision == st.Revision
					mu.Unlock()
					if caught || ctx.Err() != nil {
						break
					}
					time.Sleep(time.Millisecond)
				}
				cancel()
				<-followed
			} else {
				st, err = ro.Run(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if err := <-followed; err != nil {
					t.Fatalf("Follow: %v", err)
				}
			}
			if st.Phase != tc.wantPhase {
				t.Fatalf("leader ended %s (%s), want %s", st.Phase, st.Reason, tc.wantPhase)
			}
			mu.Lock()
			last := seen[len(seen)-1]
			mu.Unlock()
			if last.Phase != tc.wantPhase || last.Weight != tc.wantWeight || last.Revision != st.Revision {
				t.Errorf("follower last saw %s at %g%% (revision %d), leader %s (revision %d)", last.Phase, last.Weight, last.Revision, st.Phase, st.Revision)
			}
			if got, want := canaryShare(t, follower), canaryShare(t, leader); got != want {
				t.Errorf("follower routes %v to the canary, leader %v", got, want)
			}
			if q := lastQuery.Load().(string); !strings.Contains(q, `version="canary"`) || !strings.Contains(q, "[10ms]") {
				t.Errorf("query sent: %s", q)
			}
			if queries.Load() == 0 {
				t.Error("Prometheus was never asked")
			}
		})
	}
}
