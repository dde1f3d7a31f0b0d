// Package pipeline runs retraining jobs: a small graph of tasks with
// dependencies, retries, timeouts and schedules, whose every run is recorded
// on the bucket beside the models it produces.
//
// It does on one machine, inside a Go program, what an Airflow DAG does for a
// retraining job, and no more: there is no server, no database and no
// distributed scheduler. When one machine is not enough, each task maps onto
// a Kubernetes Job or an Argo Workflows step (see below).
//
// # Building
//
// New takes the tasks and checks the graph once: names (1 to 128 characters
// from [A-Za-z0-9._-], since they become bucket keys), duplicates, missing
// dependencies and cycles are errors matching ErrInvalidName,
// ErrDuplicateTask, ErrMissingDependency and ErrCycle; the cycle is spelled
// out ("pipeline: dependency cycle: train -> evaluate -> train").
//
// # Running
//
// Pipeline.Run starts every task whose dependencies have succeeded, at most
// Options.Concurrency at a time (each on its own goroutine, as a Plan
// lets it start; a task waiting for a slot stays pending). Each attempt runs
// under the task's timeout; a failed attempt is retried after an exponential
// backoff with jitter (Retry) unless the error is wrapped with Permanent. A
// task that fails for good skips every task downstream of it, while
// independent branches run to the end. A panic in a task is recovered and
// recorded as an error matching ErrPanic. When the context ends, no task
// starts any more, running tasks see their context cancelled, backoff waits
// are cut short, and Run returns once every running task has returned. A task
// waiting out a backoff keeps its slot. Tasks must honour their context: that
// is the only way a timeout can stop one.
//
// A task reads run parameters (TaskRun.Param) and the outputs of tasks
// upstream of it (TaskRun.Input), and publishes its own with TaskRun.Set:
// short strings such as a dataset digest or a model version. Only the
// successful attempt's outputs are kept.
//
// # Records and lineage
//
// Run returns a Record: trigger, parameters, start and end, and per task the
// status, start, end, number of attempts, last error and outputs. With
// Options.Bucket the record is also written to the bucket as an append-only
// log (the registry's scheme, internal/logstore):
//
//	pipelines/<name>/log/00000000000000000001.json         {"v":1,"type":"start","record":{...}}
//	pipelines/<name>/log/00000000000000000002.json         {"v":1,"type":"end","record":{...}}
//	pipelines/<name>/checkpoint/00000000000000000064.json  every run folded, every 64 entries
//
// A checkpoint is only a cache of the log: one that does not decode, breaks
// an invariant or has a newer format is skipped with a warning on
// Options.Logger and the runs are folded from the log. A damaged entry fails
// with ErrCorrupt, one from a newer writer with ErrUnsupported, the same
// values as the registry's and dataset's.
//
// One entry is written when a run starts (if that fails no task runs), one
// when it ends, so a run whose process died stays visible as running. Store
// reads the log back (Runs, Get); any number of processes may write to it.
// The run id (TaskRun.RunID, Record.ID, 32 hexadecimal digits) is what a
// model version records as its lineage, so the version leads back to the run
// that produced it, its parameters, attempts and inputs.
//
// # Triggers
//
// A Scheduler starts runs on an interval and on events (Scheduler.Fire, which
// a drift detector calls when it fires, or values received from
// SchedulerOptions.Events) and never runs two at once: a tick
// that comes while a run is in progress is skipped and counted
// (Stats.SkippedTicks); events that come during a run start one more run after
// it, however many they are (Stats.CoalescedEvents). It stops when its context
// ends.
//
// examples/maintenance shows the whole loop: a drift detector fires, the
// scheduler runs snapshot, train, evaluate, register and gate tasks, and the
// registered version records the run as its lineage.
//
// # Beyond one machine
//
// A task is a function; when it needs more than the machine running the
// pipeline (a GPU, hours of training, many shards), keep the graph and make
// the task submit the work to an engine that already does this well, and wait
// for it:
//
//   - Kubernetes Job: the task creates a batch/v1 Job whose pod runs the same
//     binary in a one-task mode (for example `retrain -task train -run <id>`),
//     watches it until the Job's Complete or Failed condition, and returns an
//     error on failure. Map Task.Timeout to the Job's activeDeadlineSeconds and
//     keep the Job's backoffLimit at 0, so retries stay with the pipeline and
//     the record counts every attempt; derive the Job's name from the run id,
//     the task and the attempt (lower-cased, '_' replaced by '-', at most 63
//     characters) so a restarted process finds the Job it already created
//     instead of starting a second one. Outputs travel through the bucket:
//     the pod writes them under a key named by the run id and the task,
//     and the task reads them back and calls Set.
//   - Argo Workflows: translate the whole graph into one Workflow with a DAG
//     template: each Task becomes a DAG task whose dependencies are Task.Deps,
//     Task.Timeout becomes the template's activeDeadlineSeconds, Retry becomes
//     retryStrategy (limit = Attempts-1, backoff.duration = Backoff,
//     backoff.factor = Multiplier; Argo's backoff.maxDuration bounds the
//     whole retrying, not one wait), Options.Concurrency becomes the
//     Workflow's parallelism, TaskRun.Set becomes an output parameter and
//     TaskRun.Input an input parameter from
//     {{tasks.<name>.outputs.parameters.<key>}}. Set failFast: false on the
//     DAG template: Argo's default stops scheduling anything once a task
//     fails, while this package lets independent branches finish. A pipeline
//     of one task that submits the Workflow, waits for it and sets its name
//     as an output keeps the scheduler and the record here.
//   - Temporal: module github.com/sextant-ml/sextant/engines/temporal runs
//     the same Pipeline as one Temporal workflow whose activities are the
//     tasks, so a run survives the death of the process running it. Another
//     engine can do the same through the seam that module uses: Pipeline.Task
//     and Pipeline.Upstream (the graph and the effective policies), a Plan
//     (which task may start, what each end releases or skips, and the
//     record, with no I/O, so Run and the workflow decide alike),
//     Pipeline.RunAttempt (one attempt, exactly as Run makes it),
//     IsPermanent, and Store.Begin and Store.Finish, which record a run
//     idempotently so that an engine may retry them after a lost reply.
//
// With a Kubernetes Job or Argo, the Scheduler can stay where it is (or
// become a CronJob or a CronWorkflow with concurrencyPolicy: Forbid, the
// equivalent of skipped ticks), and the bucket remains the place where the
// record is kept.
//
// # Concurrency
//
// A Pipeline may run any number of times, concurrently; runs share nothing
// but the Store. A Store and a Scheduler are safe for concurrent use. The
// goroutines the package starts (one per running task, one per scheduled run)
// end before Run or Scheduler.Run returns.
//
// # Testing
//
// Backoffs, timeouts and schedules use the standard time package, so tests of
// code built on this package run them on a fake clock with testing/synctest
// and never sleep: inside synctest.Test, a retry after a backoff of an hour
// happens at once and time.Now shows the hour gone. This package's own tests
// do exactly that (ordering, the concurrency bound, backoff intervals,
// timeouts, cancellation, skipped ticks). Options.Rand replaces the jitter's
// randomness. Package pipelinetest builds a pipeline recorded on an in-memory
// bucket in one call and offers task functions that fail a given number of
// times, always fail, or hang until their timeout.
//
// # Performance
//
// The runner's overhead per task (a goroutine, the Plan's bookkeeping, the
// record), with tasks that do nothing, beside calling the same functions
// directly, in three alternated runs on the 2-core development machine
// against the runner before Plan (an errgroup with a limit):
//
//	go test -run XXX -bench 'Schedule|RecordedRun' -benchtime 2000x ./pipeline/
//
//	BenchmarkSchedule/wide     1000 independent tasks     1593-1742 ns/task (errgroup: 1623-2055)
//	BenchmarkSchedule/chain    1000 tasks in a chain      1643-1909 ns/task (errgroup: 1806-2226)
//	BenchmarkSchedule/direct   the same calls in a loop     57-69 ns/task
//	BenchmarkRecordedRun/mem   a one-task run with its two log entries on mem://   0.38 ms/run
//	BenchmarkRecordedRun/file  the same on file:// (create-only writes)            2.25 ms/run
//
// A few microseconds per task is nothing next to a task that trains a model,
// reads a dataset or waits for a Kubernetes Job; recording a run costs two
// small object writes, each preceded by a probe of the log's tail.
package pipeline
