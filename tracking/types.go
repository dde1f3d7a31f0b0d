package tracking

import (
	"maps"
	"slices"

	"github.com/sextant-ml/sextant/artifact"
)

// RunStatus is the status of a run, as MLflow names it.
type RunStatus string

// Run statuses.
const (
	StatusRunning   RunStatus = "RUNNING"
	StatusScheduled RunStatus = "SCHEDULED"
	StatusFinished  RunStatus = "FINISHED"
	StatusFailed    RunStatus = "FAILED"
	StatusKilled    RunStatus = "KILLED"
)

// Valid reports whether s is one of the five statuses.
func (s RunStatus) Valid() bool {
	switch s {
	case StatusRunning, StatusScheduled, StatusFinished, StatusFailed, StatusKilled:
		return true
	}
	return false
}

// Terminated reports whether s is FINISHED, FAILED or KILLED.
func (s RunStatus) Terminated() bool {
	return s == StatusFinished || s == StatusFailed || s == StatusKilled
}

// Lifecycle is whether an experiment or run is active or deleted
// (MLflow's lifecycle_stage).
type Lifecycle string

// Lifecycle stages.
const (
	Active  Lifecycle = "active"
	Deleted Lifecycle = "deleted"
)

// ViewType selects runs or experiments by lifecycle stage in a search.
type ViewType string

// View types, as MLflow names them. The zero value means ActiveOnly.
const (
	ActiveOnly  ViewType = "ACTIVE_ONLY"
	DeletedOnly ViewType = "DELETED_ONLY"
	All         ViewType = "ALL"
)

func (v ViewType) admits(l Lifecycle) bool {
	switch v {
	case All:
		return true
	case DeletedOnly:
		return l == Deleted
	}
	return l == Active
}

// Reserved tags, as MLflow's clients set them.
const (
	TagRunName     = "mlflow.runName"
	TagParentRunID = "mlflow.parentRunId"
	TagUser        = "mlflow.user"
)

// DefaultExperimentID is the experiment every tracker has, named
// DefaultExperimentName, as MLflow's experiment 0.
const (
	DefaultExperimentID   = "0"
	DefaultExperimentName = "Default"
)

// Experiment groups runs.
type Experiment struct {
	ID               string            `json:"id"`
	Name             string            `json:"name"`
	ArtifactLocation string            `json:"artifact_location"`
	Lifecycle        Lifecycle         `json:"lifecycle"`
	Tags             map[string]string `json:"tags,omitempty"`
	// CreationTime and LastUpdateTime are Unix milliseconds.
	CreationTime   int64 `json:"creation_time"`
	LastUpdateTime int64 `json:"last_update_time"`
}

func (e *Experiment) clone() *Experiment {
	c := *e
	c.Tags = maps.Clone(e.Tags)
	return &c
}

// Metric is one point of a metric series. Timestamp is Unix milliseconds.
type Metric struct {
	Key       string  `json:"key"`
	Value     float64 `json:"value"`
	Timestamp int64   `json:"timestamp"`
	Step      int64   `json:"step"`
}

// Param is a run parameter; once logged its value never changes.
type Param struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Tag is a run tag; setting it again replaces the value.
type Tag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Batch is what one LogBatch call writes, as one log entry.
type Batch struct {
	Metrics []Metric
	Params  []Param
	Tags    []Tag
}

// Artifact is a file recorded on a run: its path in the run and the digest
// of its bytes in the artifact store.
type Artifact struct {
	Path   string          `json:"path"`
	Digest artifact.Digest `json:"digest"`
	Size   int64           `json:"size"`
}

// RunInfo is a run's metadata. Times are Unix milliseconds; EndTime is 0
// while the run has none.
type RunInfo struct {
	ID           string    `json:"id"`
	ExperimentID string    `json:"experiment_id"`
	Name         string    `json:"name"`
	UserID       string    `json:"user_id,omitempty"`
	Status       RunStatus `json:"status"`
	StartTime    int64     `json:"start_time"`
	EndTime      int64     `json:"end_time,omitempty"`
	Lifecycle    Lifecycle `json:"lifecycle"`
	ParentID     string    `json:"parent_id,omitempty"`
	ArtifactURI  string    `json:"artifact_uri"`
}

// Run is a run as folded from its log. Values the Tracker returns are
// copies the caller may change.
type Run struct {
	Info   RunInfo
	Params map[string]string
	Tags   map[string]string
	// Metrics holds the latest point of each series, chosen as MLflow does:
	// the greatest step, then timestamp, then value.
	Metrics map[string]Metric
	// Artifacts are sorted by path.
	Artifacts []Artifact
}

func (r *Run) clone() *Run {
	c := *r
	c.Params = maps.Clone(r.Params)
	c.Tags = maps.Clone(r.Tags)
	c.Metrics = maps.Clone(r.Metrics)
	c.Artifacts = slices.Clone(r.Artifacts)
	return &c
}
