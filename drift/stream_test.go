package drift

import (
	"errors"
	"math"
	"math/rand/v2"
	"sync"
	"testing"
	"time"
)

// fakeClock is a controllable clock for time-based windows.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func streamProfile(t testing.TB) *Profile {
	t.Helper()
	rng := rand.New(rand.NewPCG(10, 20))
	p, err := Fit(Data{
		Numeric:     map[string][]float64{"x": normalSample(rng, 800, 0, 1)},
		Categorical: map[string][]string{"c": categorySample(rng, 800, []string{"a", "b", "c"}, []float64{6, 3, 1})},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestStreamMatchesBatchCompare(t *testing.T) {
	p := streamProfile(t)
	rng := rand.New(rand.NewPCG(1, 1))
	s, err := NewStream(p, "x", &StreamOptions{Size: 300})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Check(); !errors.Is(err, ErrEmpty) {
		t.Fatalf("empty window: err = %v", err)
	}
	old := normalSample(rng, 500, 3, 1) // pushed out of the window
	recent := normalSample(rng, 300, 0, 1)
	recent[7] = math.NaN()
	s.ObserveBatch(old)
	s.ObserveBatch(recent)
	got, err := s.Check()
	if err != nil {
		t.Fatal(err)
	}
	want, err := p.Compare(Data{Numeric: map[string][]float64{"x": recent}, Categorical: map[string][]string{"c": {"a"}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.Score != want.Columns[1].Score || got.Current != want.Columns[1].Current || got.Method != MethodKS {
		t.Errorf("window %+v, batch %+v", got.ColumnResult, want.Columns[1])
	}
	if got.Observed != 800 || got.Current.NaN != 1 || got.Drifted {
		t.Errorf("observed %d nan %d drifted %v", got.Observed, got.Current.NaN, got.Drifted)
	}
	// Shift the live data: the window follows.
	s.ObserveBatch(normalSample(rng, 300, 2, 1))
	shifted, err := s.Check()
	if err != nil {
		t.Fatal(err)
	}
	if !shifted.Drifted {
		t.Errorf("shifted window not flagged: %+v", shifted.ColumnResult)
	}
}

func TestStreamTimeWindow(t *testing.T) {
	p := streamProfile(t)
	clock := &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	s, err := NewStream(p, "x", &StreamOptions{Size: 1000, Window: time.Minute, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(2, 2))
	s.ObserveBatch(normalSample(rng, 200, 4, 1))
	clock.Advance(30 * time.Second)
	s.ObserveBatch(normalSample(rng, 100, 0, 1))
	r, err := s.Check()
	if err != nil {
		t.Fatal(err)
	}
	if r.Current.Rows != 300 || !r.Drifted {
		t.Errorf("at 30s: rows %d drifted %v", r.Current.Rows, r.Drifted)
	}
	clock.Advance(45 * time.Second) // the first 200 are now 75s old
	r, err = s.Check()
	if err != nil {
		t.Fatal(err)
	}
	if r.Current.Rows != 100 || r.Drifted || !r.At.Equal(clock.Now()) {
		t.Errorf("at 75s: rows %d drifted %v at %v", r.Current.Rows, r.Drifted, r.At)
	}
	clock.Advance(time.Hour)
	if _, err := s.Check(); !errors.Is(err, ErrEmpty) {
		t.Errorf("expired window: err = %v, want ErrEmpty", err)
	}
}

func TestStreamCategorical(t *testing.T) {
	p := streamProfile(t)
	s, err := NewStream(p, "c", &StreamOptions{Size: 500})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 400 {
		switch {
		case i%10 < 6:
			s.ObserveCategory("a")
		case i%10 < 9:
			s.ObserveCategory("b")
		default:
			s.ObserveCategory("c")
		}
	}
	s.ObserveCategory("")
	s.Observe(1.5) // wrong kind: ignored
	r, err := s.Check()
	if err != nil {
		t.Fatal(err)
	}
	if r.Current.Rows != 401 || r.Current.NaN != 1 || r.Drifted || r.Method != MethodChiSquare {
		t.Errorf("in-distribution: %+v", r.ColumnResult)
	}
	for i := range 100 {
		s.ObserveCategory("new" + string(rune('A'+i%70)))
	}
	r, err = s.Check()
	if err != nil {
		t.Fatal(err)
	}
	if !r.Drifted || len(r.Unseen) != maxUnseen+1 || r.Unseen[0] != OtherUnseen {
		t.Errorf("unseen: drifted %v, %d unseen %v", r.Drifted, len(r.Unseen), r.Unseen)
	}
}

func TestStreamOptionsErrors(t *testing.T) {
	p := streamProfile(t)
	if _, err := NewStream(p, "nope", nil); !errors.Is(err, ErrUnknownColumn) {
		t.Errorf("unknown column: %v", err)
	}
	if _, err := NewStream(p, "x", &StreamOptions{Size: -1}); !errors.Is(err, ErrInvalid) {
		t.Errorf("negative size: %v", err)
	}
	if _, err := NewStream(p, "c", &StreamOptions{Column: ColumnOptions{Method: MethodKS}}); !errors.Is(err, ErrMethod) {
		t.Errorf("ks on categorical: %v", err)
	}
}

// TestStreamConcurrent observes from many goroutines while checking; run
// under -race it proves Observe and Check need no external locking.
func TestStreamConcurrent(t *testing.T) {
	p := streamProfile(t)
	num, err := NewStream(p, "x", &StreamOptions{Size: 256})
	if err != nil {
		t.Fatal(err)
	}
	cat, err := NewStream(p, "c", &StreamOptions{Size: 256, Window: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	const writers, per = 8, 2000
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 3))
			if w%2 == 1 {
				// Half the writers send batches of 16 through ObserveBatch.
				batch := make([]float64, 16)
				for i := 0; i < per; i += len(batch) {
					for j := range batch {
						batch[j] = rng.NormFloat64()
					}
					num.ObserveBatch(batch)
					for j := range batch {
						cat.ObserveCategory([]string{"a", "b", "c", "zz" + string(rune('a'+w))}[(i+j)%4])
					}
				}
				return
			}
			for i := range per {
				num.Observe(rng.NormFloat64())
				cat.ObserveCategory([]string{"a", "b", "c", "zz" + string(rune('a'+w))}[i%4])
			}
		}()
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 50 {
			if r, err := num.Check(); err == nil && r.Current.Rows > 256 {
				t.Errorf("window grew to %d", r.Current.Rows)
			}
			_, _ = cat.Check()
		}
	}()
	wg.Wait()
	<-done
	r, err := num.Check()
	if err != nil {
		t.Fatal(err)
	}
	if r.Observed != writers*per || r.Current.Rows != 256 {
		t.Errorf("observed %d, window %d", r.Observed, r.Current.Rows)
	}
	c, err := cat.Check()
	if err != nil {
		t.Fatal(err)
	}
	if c.Current.Rows != 256 || len(c.Unseen) == 0 {
		t.Errorf("categorical window %d rows, unseen %v", c.Current.Rows, c.Unseen)
	}
}

func TestObserveDoesNotAllocate(t *testing.T) {
	p := streamProfile(t)
	s, _ := NewStream(p, "x", nil)
	c, _ := NewStream(p, "c", &StreamOptions{Window: time.Minute})
	c.ObserveCategory("unseen-once")
	if n := testing.AllocsPerRun(1000, func() { s.Observe(1.25) }); n != 0 {
		t.Errorf("Observe allocates %v times", n)
	}
	if n := testing.AllocsPerRun(1000, func() { c.ObserveCategory("b"); c.ObserveCategory("unseen-once") }); n != 0 {
		t.Errorf("ObserveCategory allocates %v times", n)
	}
}

func TestObserveBatchMatchesObserve(t *testing.T) {
	p := streamProfile(t)
	one, _ := NewStream(p, "x", &StreamOptions{Size: 100})
	many, _ := NewStream(p, "x", &StreamOptions{Size: 100})
	rng := rand.New(rand.NewPCG(5, 5))
	for _, n := range []int{3, 250, 0, 40} {
		x := normalSample(rng, n, 0.3, 1)
		if n > 0 {
			x[0] = math.NaN()
		}
		for _, v := range x {
			one.Observe(v)
		}
		many.ObserveBatch(x)
	}
	a, err := one.Check()
	if err != nil {
		t.Fatal(err)
	}
	b, err := many.Check()
	if err != nil {
		t.Fatal(err)
	}
	if a.Score != b.Score || a.Current != b.Current || a.Observed != b.Observed {
		t.Errorf("one by one %+v (observed %d), batched %+v (observed %d)", a.Current, a.Observed, b.Current, b.Observed)
	}
}

func BenchmarkObserveBatch(b *testing.B) {
	p := streamProfile(b)
	s, _ := NewStream(p, "x", nil)
	batch := normalSample(rand.New(rand.NewPCG(1, 2)), 64, 0, 1)
	b.ReportAllocs()
	for b.Loop() {
		s.ObserveBatch(batch)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(batch)), "ns/value")
}

func BenchmarkObserve(b *testing.B) {
	p := streamProfile(b)
	s, _ := NewStream(p, "x", nil)
	b.ReportAllocs()
	for b.Loop() {
		s.Observe(0.5)
	}
}

func BenchmarkObserveParallel(b *testing.B) {
	p := streamProfile(b)
	s, _ := NewStream(p, "x", nil)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			s.Observe(0.5)
		}
	})
}

func BenchmarkObserveCategory(b *testing.B) {
	p := streamProfile(b)
	s, _ := NewStream(p, "c", nil)
	b.ReportAllocs()
	for b.Loop() {
		s.ObserveCategory("b")
	}
}
