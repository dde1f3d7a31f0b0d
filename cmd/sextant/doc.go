// Command sextant is the command line for daily work with Sextant: data
// versioned beside .dvc files, the model registry, pipeline runs, drift
// reports, rbac questions and garbage collection, on any bucket Sextant
// opens (mem://, file:///path, s3://bucket, gs://bucket, azblob://container;
// every gocloud.dev driver is linked, and -bucket defaults to
// $SEXTANT_BUCKET).
//
//	sextant data add PATH...                       write PATH.dvc (DVC 3 hashes) and /PATH in .gitignore
//	sextant data commit [-m MSG] [-tag T] [TARGET...]  record a tracked directory as the next dataset version
//	sextant data status [TARGET...]                 workspace against .dvc files (file by file with -bucket)
//	sextant data diff DATASET|TARGET.dvc [FROM [TO]]   two committed versions, file by file
//	sextant data push|pull [-remote URL] [TARGET...]   to and from a DVC remote ($SEXTANT_DVC_REMOTE)
//	sextant data checkout [-version REF] [-prune] [TARGET...]  write a committed version into the workspace
//
//	sextant models list [MODEL]                     models, or one model's versions, newest first
//	sextant models show MODEL | MODEL/N | MODEL@ALIAS
//	sextant models history MODEL                    every change, oldest first, from the log
//	sextant models set-alias MODEL ALIAS VERSION    move an alias, no gate
//	sextant models promote MODEL/N -gate FILE [-alias production] [-trusted-key FILE]
//	sextant models rollback MODEL [-alias production] [-to N]
//	sextant models gate MODEL/N -gate FILE | -model M -metrics FILE -gate FILE
//	sextant models card MODEL/N [-render] [-save]
//	sextant models verify MODEL/N -trusted-key FILE...
//	sextant models sign MODEL/N -key FILE
//	sextant models register -model NAME -dir DIR [-metrics FILE] [-params FILE] [-data DIR [-dataset-name N]] [-sign-key FILE]
//	sextant models keygen -out PREFIX
//
//	sextant runs list [-experiment NAME] [-status S]
//	sextant runs show RUN
//	sextant runs compare RUN RUN...
//
//	sextant drift report -reference FILE -current FILE [-o text|json|html] [-out FILE] [-share S]
//	sextant rbac can-i VERB RESOURCE [NAME] --as KIND:NAME -policy FILE [-groups G,...] [-scope S]
//	sextant gc [-dry-run] [-grace 1h]
//	sextant ui [-addr :8080] [-prefix /ml] [-policy FILE -user-header X-User]
//
// sextant, each group and each subcommand answer -h (also -help and
// --help; sextant and the groups also "help") with their usage, exit status
// 0: on standard output for sextant and the groups, on standard error (with
// the flags) for a subcommand.
// Flags may come before or after the arguments; "--" ends them. Listing and
// show commands (models list, show, history, verify; data commit, status,
// diff; runs list, show, compare; drift report; rbac can-i; gc) take
// -o json, an indented JSON document for scripts.
//
// # Exit status
//
//	0  success (rbac can-i: yes; drift report: no drift)
//	1  error, a denial by the policy included (rbac can-i: no)
//	2  usage: unknown command or flag, missing or malformed argument
//	3  a promotion gate failed (models gate, models promote)
//	4  drift found (drift report)
//
// # Data
//
// data add hashes as DVC 3 does (MD5 per file; a directory is the MD5 of its
// listing followed by ".dir") and writes PATH.dvc beside PATH, keeping the
// other fields of an existing one, and "/PATH" in the .gitignore there.
// Nothing is uploaded. data commit re-hashes a tracked directory (an
// untracked PATH is added first), uploads the contents the bucket lacks
// into its content-addressed store, records the next version of the
// dataset (named by -name, by the .dvc file, or after the directory) and
// writes that version into the .dvc file's output under meta.sextant
// (dataset, version, manifest), where data checkout and data status find it
// and DVC carries it along. A commit versions a directory; a tracked single
// file is refused. data push and pull move what .dvc files name to and
// from a DVC 3 remote (files/md5/..), only the missing objects, every byte
// checked, so `dvc pull` in a Python checkout reads what sextant pushed and
// the reverse. Push refuses an output that changed since its .dvc file was
// written. Without targets, the data commands take every .dvc file under the
// current directory (hidden directories skipped). A file:// remote must
// exist (or carry ?create_dir=true).
//
// push, pull, commit and checkout draw a progress bar on standard error when
// standard output is a terminal (-progress=false turns it off, -progress on
// elsewhere): bytes and files hashed, uploaded or downloaded for commit and
// checkout; for push and pull, per output, since a DVC remote reports no
// finer progress.
//
// # Models
//
// register, gate, promote and keygen are sextant-gate's commands, with its
// flags: register versions the training data under -data as a dataset
// version first, uploads DIR as the model's next version with its metrics,
// parameters and lineage (revision, run and source default to GitHub
// Actions' GITHUB_SHA, GITHUB_RUN_ID and run URL), saves its card,
// optionally signs it and prints the version number alone. gate compares a
// candidate with the version holding -alias under a gate file of MLflow's
// MetricThreshold criteria (threshold, min_absolute_change,
// min_relative_change; greater_is_better required for every metric),
// prints a Markdown table (also appended to $GITHUB_STEP_SUMMARY) and exits 3
// when it fails. promote verifies the signature when -trusted-key is given
// and moves the alias with the gate checked again in the same registry
// entry. rollback moves an alias back without a gate, as kubectl rollout
// undo does: to the version the alias held before its current one took it
// (rolling back twice returns), or to -to N.
//
// # Who runs a command
//
// Registry commands take -policy FILE with -oidc-token FILE -oidc-jwks
// FILE -oidc-issuer URL -oidc-audience AUD [-oidc-claim sub]: every
// operation is then authorised by that rbac policy for the User named by the
// claim of the CI job's OIDC token (RS256 or ES256, checked against the key
// set for issuer, audience and expiry, 60 s of skew). -as KIND:NAME names a
// subject without proof and is accepted only with -insecure-subject, for a
// workstation. Without -policy nothing is authorised, so promote, set-alias
// and rollback refuse to run unless -no-authorization states that none is
// wanted. The bucket's own access control stays the outer boundary.
// rbac can-i only asks the policy and needs no proof: --as names whom the
// question is about.
//
// # Runs
//
// The runs commands read the run records pipelines keep on the bucket
// (pipelines/<name>/) and the runs experiment tracking keeps there
// (package tracking: tracking/); -experiment (or -pipeline) names a
// pipeline or a tracked experiment. An id may be written EXPERIMENT/ID or
// shortened to a unique prefix of 6 or more characters. A task's outputs
// are shown as TASK.KEY, and those that are numbers count as the run's
// metrics; a tracked run's metrics are the latest point of each series.
//
// # Drift
//
// drift report reads two tables, CSV (.csv, .tsv), JSON Lines (.jsonl,
// .ndjson, .json; a file of another name starting with '{') or Parquet
// (.parquet, or a file starting with PAR1; read a page of each column at
// a time through drift/tabular), the current
// one in the column types inferred from the reference, and compares every
// column with the method chosen as Evidently does. The dataset drifts when
// the share of drifted columns reaches -share (default 0.5); the command
// then exits 4 after writing the report.
//
// # Garbage collection
//
// gc deletes the content under the bucket's store that no model version or
// card or signature (registry), no dataset version (datasets) and no
// pipeline run or tracked run (its artifacts) refers to, once older than -grace (default one hour, so a
// write in progress elsewhere is never lost). Every referrer is read before
// anything is deleted, and an error from any of them deletes nothing.
//
// sextant-gate, the former command, remains as an alias of models
// register, gate, promote and keygen.
package main
