package deploy

import (
	"fmt"
	"math"
	"sync/atomic"

	"gonum.org/v1/gonum/stat/distuv"
)

// arm is the Beta posterior of one version's reward rate. Rewards in
// [0, 1] add r to the successes and 1-r to the failures.
type arm struct {
	succ, fail atomic.Uint64 // float64 bits
}

func addFloat(u *atomic.Uint64, d float64) {
	for {
		old := u.Load()
		if u.CompareAndSwap(old, math.Float64bits(math.Float64frombits(old)+d)) {
			return
		}
	}
}

func (a *arm) counts() (succ, fail float64) {
	return math.Float64frombits(a.succ.Load()), math.Float64frombits(a.fail.Load())
}

// thompson draws from each split target's posterior, Beta(1+s, 1+f),
// and returns the index of the largest draw.
func (t *table[In, Out]) thompson() int {
	best, bestDraw := 0, -1.0
	for i := range t.upper {
		s, f := t.routes[i].arm.counts()
		d := distuv.Beta{Alpha: 1 + s, Beta: 1 + f}.Rand()
		if d > bestDraw {
			best, bestDraw = i, d
		}
	}
	return best
}

// Reward reports the reward of one request served by version, in [0, 1]
// (1 a success, 0 a failure, fractions for graded outcomes). Bandit
// routing favours versions with higher rewards. Safe to call from any
// goroutine at any rate.
func (r *Router[In, Out]) Reward(version string, reward float64) error {
	if !(reward >= 0 && reward <= 1) {
		return fmt.Errorf("%w: reward %v not in [0, 1]", ErrInvalid, reward)
	}
	e := r.reg.Load().versions[version]
	if e == nil {
		return fmt.Errorf("%w: %q", ErrUnknownVersion, version)
	}
	a := e.arm
	addFloat(&a.succ, reward)
	addFloat(&a.fail, 1-reward)
	return nil
}

// Posterior returns the reward counts of version: the Beta posterior of
// its reward rate is Beta(1+successes, 1+failures).
func (r *Router[In, Out]) Posterior(version string) (successes, failures float64, err error) {
	e := r.reg.Load().versions[version]
	if e == nil {
		return 0, 0, fmt.Errorf("%w: %q", ErrUnknownVersion, version)
	}
	a := e.arm
	s, f := a.counts()
	return s, f, nil
}
