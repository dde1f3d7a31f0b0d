// Package temporal runs a pipeline.Pipeline on Temporal: the graph becomes
// one workflow, each task an activity, and the run record goes to the
// pipeline's bucket exactly as pipeline.Pipeline.Run writes it, so
// `sextant runs list`, `sextant runs show` and the UI show Temporal runs
// beside local ones.
//
// It lives in its own module (github.com/sextant-ml/sextant/engines/temporal)
// so that users of the core module never download Temporal.
//
// # Why
//
// pipeline.Run keeps its state in the process that runs it: when that
// process dies, the run dies with it (the record stays "running"). Temporal
// keeps the state of a run in its server: a worker that dies or is
// redeployed mid-run is replaced by another one, which carries on from the
// last finished task; retries and timeouts are enforced by the server; the
// Temporal UI shows every attempt. The pipeline definition does not change:
// the same []pipeline.Task, retry policies, timeouts and task functions run
// locally in tests and on Temporal in production.
//
// # How
//
// A worker process builds the pipeline as usual and registers it on a
// worker; any process with a client starts runs:
//
//	p, _ := pipeline.New("retrain", tasks, &pipeline.Options{Bucket: b})
//	w := worker.New(c, "ml", worker.Options{})
//	temporal.Register(w, p, nil) // workflow "retrain", activities "retrain/<task>"
//	w.Start()
//
//	rec, err := temporal.Run(ctx, c, "retrain", temporal.Input{Params: params},
//		client.StartWorkflowOptions{ID: "retrain-churn", TaskQueue: "ml"})
//
// Start and Wait split Run in two; RunID gives the record's id from the
// Temporal run id. Run's results are pipeline.Run's: the record, a nil
// error when every task succeeded, an error matching pipeline.ErrFailed
// (with the record) when one failed, context.Canceled (with the record)
// when the workflow was cancelled. A failed run is a failed workflow in
// Temporal (error type ErrorTypeRunFailed, the record in its details), so
// it shows as one in Temporal's UI.
//
// # What maps to what
//
//	pipeline                          Temporal
//	Pipeline (name)                   workflow type (the same name)
//	Task                              activity type "<pipeline>/<task>", activity id = task name
//	Task.Deps                         the workflow schedules a task once its dependencies succeeded;
//	                                  independent branches run in parallel; a failed task skips its
//	                                  downstream and lets independent branches finish: the workflow
//	                                  drives a pipeline.Plan, as Run does
//	Task.Timeout (or Options.Timeout) StartToCloseTimeout (Options.TaskTimeout when both are 0)
//	Retry.Attempts                    RetryPolicy.MaximumAttempts
//	Retry.Backoff                     RetryPolicy.InitialInterval
//	Retry.Multiplier                  RetryPolicy.BackoffCoefficient
//	Retry.MaxBackoff                  RetryPolicy.MaximumInterval
//	Retry.Jitter                      none (Temporal's retry policy has no jitter)
//	pipeline.Permanent(err)           non-retryable application error, type ErrorTypePermanent
//	ErrPanic, ErrTimeout              as in Run: RunAttempt runs the function
//	TaskRun.Set / TaskRun.Input       the activity's result / the outputs of the task's ancestors in
//	                                  the activity's input
//	TaskRun.Attempt                   the activity's attempt number
//	TaskRun.RunID, Record.ID          the Temporal run id without dashes (32 hexadecimal digits)
//	Run's parameters, trigger         Input.Params, Input.Trigger (default "manual")
//	Options.Concurrency               Input.Concurrency (default no limit but the workers' slots)
//	Record                            the workflow's result, and two entries on the Store
//
// Every task activity heartbeats on its own while the function runs (at a
// third of Options.Heartbeat), so a worker that dies is noticed within
// Options.Heartbeat and the attempt retried on another worker, and a
// cancelled run reaches the function's context.
//
// # Records
//
// The record is built in the workflow from the history (the times are the
// workflow's clock) and written by two activities through the pipeline's
// Store: pipeline.Store.Begin before the first task (if it fails, no task
// runs) and pipeline.Store.Finish after the last (also when the run was
// cancelled). Temporal retries an activity whose reply was lost, so both are
// idempotent: each checks the folded log, in the same create-only append,
// for an entry of the same run and kind, and writes nothing if there is one.
// A run therefore leaves exactly one start and one end entry, however often
// workers die. Per task, the record holds the status, the attempts (the
// attempt number the last attempt reported, else Temporal's retry state),
// the last error, and the outputs of the successful attempt. The texts are
// Run's, except that a timed-out attempt reads "pipeline: task timed out
// after 2h0m0s: start-to-close timeout" where Run says "... context deadline
// exceeded", and a worker that stopped heartbeating reads "temporal: no
// heartbeat from the worker for 30s".
//
// # Limits
//
//   - The workflow is replayed from its history on whichever worker takes
//     it, so every worker of a task queue must register the same graph.
//     Changing the tasks or their dependencies while runs are in flight
//     breaks their replay: drain the queue first, or register the new graph
//     under a new pipeline name (or use Temporal's worker versioning).
//     Retry policies and timeouts are read when a task is scheduled and may
//     change freely.
//   - pipeline.Options.Concurrency is not used: it defaults to the worker's
//     GOMAXPROCS, which would make two workers schedule differently on
//     replay. Input.Concurrency travels with the run instead.
//   - Outputs travel in Temporal's history, whose payloads are bounded
//     (2 MiB each by default): keep them short strings, such as digests and
//     version numbers, as package pipeline asks.
//   - A worker that stops while a task runs cancels the task's context, and
//     Temporal counts that attempt as failed: give tasks that may be caught
//     by a redeploy Attempts of 2 or more, or set worker.Options.WorkerStopTimeout
//     so that running tasks can finish. A function that ignores its context
//     keeps running after its timeout, on Temporal as in Run.
//   - Temporal's server caps an activity's heartbeat timeout at its
//     StartToCloseTimeout.
//   - pipeline.Scheduler has no part here: use a Temporal Schedule that starts
//     the workflow (overlap policy Skip is the Scheduler's skipped ticks,
//     BufferOne its coalesced events), with Input.Trigger naming it.
//   - A workflow that is reset, or retried by a workflow retry policy, is a
//     new Temporal run and writes a new record; the record of the run it
//     replaced stays "running", as a local run whose process died does.
//
// # Concurrency
//
// Register, Start, Wait and Run are safe for concurrent use; any number of
// runs of one pipeline may be in flight, on any number of workers. The only
// goroutine the package starts is a task activity's heartbeat, which ends
// before the activity returns.
//
// # Versions
//
// go.temporal.io/server v1.30.8 is the newest release whose go.mod asks for
// no newer Go than this module's go 1.26.0 (v1.31.3 and later ask for 1.26.8
// or 1.26.10, and adding them would raise the module's go line). It builds
// against go.temporal.io/api v1.62 and github.com/nexus-rpc/sdk-go v0.5.1,
// which pins go.temporal.io/sdk at v1.40.0: v1.41 and later need nexus v0.6,
// which removed an API the server uses, and sdk v1.51 needs api v1.64, with
// which no released server builds. The server is needed by this module's
// tests only: a program that imports the package compiles the SDK, not the
// server, and downloads the server's go.mod but not its code, though the
// server's requirements still take part in the program's version selection.
//
// # Testing
//
// The tests start a real Temporal server in the test process
// (go.temporal.io/server/temporaltest: frontend, history and matching
// services on an in-memory SQLite store) and check, against it: a diamond
// whose record equals pipeline.Run's (statuses, attempts, outputs passed
// downstream, both branches running at once); a flaky task retried per its
// policy with the attempts counted, and the policy Temporal applied read
// back from the history; a Permanent error run once and its downstream
// skipped; a timeout mapped to StartToCloseTimeout; a cancelled run; a
// worker stopped mid-task and replaced, with record activities that lose
// their first reply, leaving one run and two log entries on a file://
// bucket, read back through pipeline.OpenStore.
//
//	cd engines/temporal && go test -race ./...
package temporal
