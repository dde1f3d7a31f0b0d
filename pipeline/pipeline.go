package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/sextant-ml/sextant/artifact"
	"github.com/sextant-ml/sextant/internal/errkind"
)

// Errors returned when a pipeline is built. Each is matched with errors.Is; the
// message names the offending task.
var (
	// ErrInvalidName reports a pipeline or task name that is empty, too long or
	// uses characters outside [A-Za-z0-9._-] (names become bucket keys).
	ErrInvalidName = errkind.New("pipeline: invalid name", fs.ErrInvalid)
	// ErrDuplicateTask reports two tasks with the same name.
	ErrDuplicateTask = errors.New("pipeline: duplicate task")
	// ErrMissingDependency reports a dependency on a task the pipeline does not have.
	ErrMissingDependency = errors.New("pipeline: missing dependency")
	// ErrCycle reports a dependency cycle; the message spells it out (a -> b -> a).
	ErrCycle = errors.New("pipeline: dependency cycle")
	// ErrInvalidTask reports a task without a function or with a negative
	// timeout or an invalid retry policy.
	ErrInvalidTask = errors.New("pipeline: invalid task")
)

// Errors returned when a pipeline runs.
var (
	// ErrFailed is returned by Run when at least one task failed; the error also
	// wraps the first failed task's own error.
	ErrFailed = errors.New("pipeline: task failed")
	// ErrTimeout is recorded for an attempt that exceeded its task's timeout.
	ErrTimeout = errors.New("pipeline: task timed out")
	// ErrPanic is recorded for an attempt whose function panicked; the panic is
	// recovered so one task cannot bring the process down.
	ErrPanic = errors.New("pipeline: task panicked")
)

// maxNameLen bounds pipeline and task names.
const maxNameLen = 128

// Func is the work of one task. It must return when ctx is done: that is how a
// timeout or a cancelled run stops it. It reads its parameters and upstream
// outputs, and publishes its own outputs, through t.
type Func func(ctx context.Context, t *TaskRun) error

// Task is one node of the graph.
type Task struct {
	// Name identifies the task within its pipeline: 1 to 128 characters from
	// [A-Za-z0-9._-]. Required.
	Name string
	// Deps names the tasks that must succeed before this one starts. Default none.
	Deps []string
	// Run does the work. Required.
	Run Func
	// Timeout bounds each attempt; 0 means Options.Timeout.
	Timeout time.Duration
	// Retry overrides Options.Retry for this task; nil means Options.Retry.
	Retry *Retry
}

// Retry is a retry policy with exponential backoff and jitter. The wait before
// attempt n+1 is min(MaxBackoff, Backoff × Multiplier^(n-1)), shortened by a
// random fraction of at most Jitter so that many failing tasks do not retry in
// lock step.
type Retry struct {
	// Attempts is the total number of attempts, the first one included.
	// Default (0) 1: no retry.
	Attempts int
	// Backoff is the wait before the second attempt. Default (0) one second.
	Backoff time.Duration
	// MaxBackoff caps the wait. Default (0) five minutes.
	MaxBackoff time.Duration
	// Multiplier grows the wait after each failed attempt. Default (0) 2.
	Multiplier float64
	// Jitter in [0, 1] is the largest share of a wait removed at random.
	// Default 0: no jitter.
	Jitter float64
}

// Options configures a pipeline. The zero value, or nil, is valid.
type Options struct {
	// Concurrency is the most tasks running at once. Default (0) GOMAXPROCS.
	Concurrency int
	// Timeout bounds each attempt of a task without its own Timeout.
	// Default (0) none.
	Timeout time.Duration
	// Retry is the policy of a task without its own. Default one attempt.
	Retry Retry
	// Bucket, when set, receives a record of every run under pipelines/<name>
	// (see Store). Default none: records are only returned by Run.
	Bucket *artifact.Bucket
	// Logger receives a line per task start, retry, failure and run end.
	// Default: discard.
	Logger *slog.Logger
	// Rand returns a number in [0, 1) for jitter; it is called from several
	// goroutines at once. Default math/rand/v2's Float64.
	Rand func() float64
}

// Pipeline is a validated task graph, ready to run any number of times.
type Pipeline struct {
	name    string
	tasks   []node
	index   map[string]int
	roots   []int
	limit   int
	timeout time.Duration
	retry   Retry
	store   *Store
	log     *slog.Logger
	rand    func() float64
}

type node struct {
	Task
	deps       []int // unique, in declaration order
	dependents []int
	ancestors  []bool // ancestors[j]: task j precedes this one (outputs readable)
	retry      Retry
	timeout    time.Duration
}

// New validates the graph and returns a pipeline. It reports every problem of
// the first kind it finds: invalid names, duplicates, missing dependencies,
// then cycles.
func New(name string, tasks []Task, opts *Options) (*Pipeline, error) {
	if opts == nil {
		opts = &Options{}
	}
	if err := checkName(name); err != nil {
		return nil, fmt.Errorf("%w: pipeline %q", err, name)
	}
	if opts.Concurrency < 0 || opts.Timeout < 0 {
		return nil, fmt.Errorf("%w: negative concurrency or timeout in options", ErrInvalidTask)
	}
	defRetry, err := opts.Retry.normalize()
	if err != nil {
		return nil, fmt.Errorf("%w: options: %v", ErrInvalidTask, err)
	}
	p := &Pipeline{
		name:    name,
		index:   make(map[string]int, len(tasks)),
		limit:   opts.Concurrency,
		timeout: opts.Timeout,
		retry:   defRetry,
		log:     opts.Logger,
		rand:    opts.Rand,
	}
	if p.limit == 0 {
		p.limit = runtime.GOMAXPROCS(0)
	}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	if p.rand == nil {
		p.rand = rand.Float64
	}
	if err := p.addTasks(tasks); err != nil {
		return nil, err
	}
	if err := p.link(); err != nil {
		return nil, err
	}
	if err := p.sort(); err != nil {
		return nil, err
	}
	if opts.Bucket != nil {
		s, err := openStore(opts.Bucket, name, p.log)
		if err != nil {
			return nil, err
		}
		p.store = s
	}
	return p, nil
}

func (p *Pipeline) addTasks(tasks []Task) error {
	for i, t := range tasks {
		if err := checkName(t.Name); err != nil {
			return fmt.Errorf("%w: task %d %q", err, i, t.Name)
		}
		if _, dup := p.index[t.Name]; dup {
			return fmt.Errorf("%w: %q", ErrDuplicateTask, t.Name)
		}
		if t.Run == nil {
			return fmt.Errorf("%w: task %q has no function", ErrInvalidTask, t.Name)
		}
		if t.Timeout < 0 {
			return fmt.Errorf("%w: task %q has a negative timeout", ErrInvalidTask, t.Name)
		}
		n := node{Task: t, retry: p.retry, timeout: p.timeout}
		if t.Timeout > 0 {
			n.timeout = t.Timeout
		}
		if t.Retry != nil {
			r, err := t.Retry.normalize()
			if err != nil {
				return fmt.Errorf("%w: task %q: %v", ErrInvalidTask, t.Name, err)
			}
			n.retry = r
		}
		p.index[t.Name] = len(p.tasks)
		p.tasks = append(p.tasks, n)
	}
	return nil
}

// link resolves dependency names to indexes.
func (p *Pipeline) link() error {
	var missing []string
	for i := range p.tasks {
		n := &p.tasks[i]
		for _, d := range n.Task.Deps {
			j, ok := p.index[d]
			if !ok {
				missing = append(missing, fmt.Sprintf("%s needs %q", n.Name, d))
				continue
			}
			if !slices.Contains(n.deps, j) {
				n.deps = append(n.deps, j)
				p.tasks[j].dependents = append(p.tasks[j].dependents, i)
			}
		}
		if len(n.deps) == 0 {
			p.roots = append(p.roots, i)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w: %s", ErrMissingDependency, strings.Join(missing, "; "))
	}
	return nil
}

// sort checks the graph for cycles with Kahn's algorithm and computes each
// task's ancestors from the resulting order.
func (p *Pipeline) sort() error {
	indeg := make([]int, len(p.tasks))
	for i := range p.tasks {
		indeg[i] = len(p.tasks[i].deps)
	}
	order := slices.Clone(p.roots)
	for k := 0; k < len(order); k++ {
		for _, d := range p.tasks[order[k]].dependents {
			if indeg[d]--; indeg[d] == 0 {
				order = append(order, d)
			}
		}
	}
	if len(order) < len(p.tasks) {
		return fmt.Errorf("%w: %s", ErrCycle, p.findCycle(indeg))
	}
	for _, i := range order {
		n := &p.tasks[i]
		n.ancestors = make([]bool, len(p.tasks))
		for _, d := range n.deps {
			n.ancestors[d] = true
			for j, a := range p.tasks[d].ancestors {
				n.ancestors[j] = n.ancestors[j] || a
			}
		}
	}
	return nil
}

// findCycle walks dependencies among the tasks Kahn's algorithm could not
// order (indeg > 0) until a task repeats, and returns the cycle as text.
func (p *Pipeline) findCycle(indeg []int) string {
	start := slices.IndexFunc(indeg, func(v int) bool { return v > 0 })
	seen := map[int]int{}
	var path []int
	for i := start; ; {
		if at, ok := seen[i]; ok {
			path = append(path[at:], i)
			break
		}
		seen[i] = len(path)
		path = append(path, i)
		// Every task left over has a dependency that is also left over.
		for _, d := range p.tasks[i].deps {
			if indeg[d] > 0 {
				i = d
				break
			}
		}
	}
	// path follows "depends on" edges; print it in execution direction.
	slices.Reverse(path)
	names := make([]string, len(path))
	for k, i := range path {
		names[k] = p.tasks[i].Name
	}
	return strings.Join(names, " -> ")
}

// Name returns the pipeline's name.
func (p *Pipeline) Name() string { return p.name }

// Store returns the store run records go to, or nil without Options.Bucket.
func (p *Pipeline) Store() *Store { return p.store }

// Tasks returns the task names in declaration order.
func (p *Pipeline) Tasks() []string {
	names := make([]string, len(p.tasks))
	for i, n := range p.tasks {
		names[i] = n.Name
	}
	return names
}

func checkName(s string) error {
	if s == "" || len(s) > maxNameLen || s == "." || s == ".." {
		return ErrInvalidName
	}
	for _, c := range s {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '_', c == '-':
		default:
			return ErrInvalidName
		}
	}
	return nil
}

func (r Retry) normalize() (Retry, error) {
	switch {
	case r.Attempts < 0:
		return r, errors.New("negative attempts")
	case r.Backoff < 0 || r.MaxBackoff < 0:
		return r, errors.New("negative backoff")
	case r.Multiplier != 0 && !(r.Multiplier >= 1):
		return r, errors.New("multiplier below 1")
	case !(r.Jitter >= 0 && r.Jitter <= 1):
		return r, errors.New("jitter outside [0, 1]")
	}
	if r.Attempts == 0 {
		r.Attempts = 1
	}
	if r.Backoff == 0 {
		r.Backoff = time.Second
	}
	if r.MaxBackoff == 0 {
		r.MaxBackoff = 5 * time.Minute
	}
	if r.Multiplier == 0 {
		r.Multiplier = 2
	}
	return r, nil
}

// delay returns the wait after failed attempt n (from 1), before jitter.
func (r Retry) delay(n int) time.Duration {
	d := float64(r.Backoff)
	for k := 1; k < n && d < float64(r.MaxBackoff); k++ {
		d *= r.Multiplier
	}
	return time.Duration(min(d, float64(r.MaxBackoff)))
}

// wait returns the jittered wait after failed attempt n.
func (p *Pipeline) wait(r Retry, n int) time.Duration {
	d := r.delay(n)
	if r.Jitter > 0 {
		d -= time.Duration(float64(d) * r.Jitter * p.rand())
	}
	return d
}
