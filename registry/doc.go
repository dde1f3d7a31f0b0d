// Package registry is a model registry that needs no server: models,
// numbered versions, aliases, lineage, metrics, promotion gates, model cards
// and signatures, kept as an append-only log per model on the bucket of an
// artifact.Store (mem://, file://, s3://, gs://, azblob://). Its anchors are
// MLflow's Model Registry, Kubeflow's Model Registry and KitOps.
//
//	store, _ := artifact.Open(ctx, "s3://models?region=eu-west-1", nil)
//	reg, _ := registry.Open(ctx, store, nil)
//	v, _ := reg.RegisterDir(ctx, "fraud", "./out", &registry.VersionSpec{Metrics: metrics})
//	_, err := reg.Promote(ctx, v.Ref().String(), "production", gate)
//	n, _ := reg.Resolve(ctx, "fraud@production")
//
// # What a version holds
//
// A version has a number assigned by the log (1, 2, 3, ... per model, never
// reused), its files as a manifest of paths to artifact digests (uploaded
// through the store, so identical content is stored once, shared with
// datasets), a description, tags, params, metrics, a status (pending, ready,
// failed), its author (Options.Actor, typically the rbac subject of the
// context), timestamps and lineage: dataset manifest digests, the code
// revision (by default the vcs.revision of the running binary's build info),
// the parent version, a run id and a free-form source.
//
// References name versions: "fraud/3", "fraud@production", "fraud@latest"
// (the newest version neither archived nor deleted), "fraud@v3", and the same
// with MLflow's "models:/" prefix. Aliases follow MLflow's rules
// (ValidateAlias): ^[\w\-]*$, at most 255 characters, "latest" and
// "v<digits>" reserved. Archiving or deleting a version drops its aliases;
// deletion is soft and recorded, like everything else (History).
//
// # Layout on the bucket
//
//	registry/models/<name>/log/<20-digit seq>.json         one entry per change, create-only
//	registry/models/<name>/checkpoint/<20-digit seq>.json  folded state every CheckpointEvery entries
//	registry/catalog/<name>                                 one create-only marker per model
//	cas/sha256/<2 hex>/<62 hex>                             files, model cards, signature envelopes
//
// Each entry is a JSON object with a format version, a type
// ("version.register", "alias.set", ...), the time, the actor and the fields
// of that type. The writer that loses the race for a sequence number re-reads,
// re-checks its change against the newer state (a gate is evaluated again
// against the alias's new holder, for instance) and retries after a jittered
// backoff, so concurrent writers in any number of processes get distinct,
// consecutive numbers and nothing is lost. Writers of one process queue per
// model rather than collide. An entry of an unknown type or a newer format
// fails with ErrUnsupportedEntry; a damaged entry with ErrCorruptEntry naming
// the model and the entry, without a panic; other models stay readable and
// searches skip the damaged model with a warning on the Logger. These two
// errors are the same values as the dataset, pipeline and deploy packages'
// (all come from one folded-log implementation), so errors.Is matches them
// across packages. A checkpoint is only a cache of the log: one that does
// not decode, breaks an invariant or has a newer format is skipped with a
// warning on the Logger and the state is folded from the log, losing
// nothing.
//
// Models are listed from the catalog, a marker written with a model's first
// entry (once that entry is known to be valid), so listing and searching
// find models without scanning the logs on the bucket; each model found is
// then read through the cache.
//
// # Search
//
// SearchVersions and ListModels take a filter in a small language (see
// ParseFilter): "tags.team = 'risk' and metrics.auc >= 0.9 and not alias =
// 'production'", with created/updated time comparisons and LIKE (and
// case-insensitive ILIKE) patterns; a key with other characters is quoted,
// tags.`my key`. The language is shared with package tracking.
// Pages resume strictly after the last item of the previous page (the token
// also binds the query), so concurrent registrations never shift a listing.
//
// # Runs
//
// Lineage.RunID names the training run. With Options.Runs set (a
// *tracking.Tracker implements RunResolver), Register refuses a run id the
// resolver does not know with ErrNotFound; registry itself never imports
// tracking, which registers versions from runs (tracking.RegisterModel).
//
// # Promotion gates
//
// Promote moves an alias only if the candidate's metrics pass a Gate of
// MetricThreshold values with MLflow's semantics (threshold, minimum absolute
// change, minimum relative change, greater is better) against the version
// holding the alias at the time of the write. The relative change is
// measured against |baseline|, so it keeps its direction for metrics whose
// baseline is negative (log-likelihood, R², profit). A rejection is a
// *GateError listing each failed metric, the criterion and the shortfall.
// With Options.TrustedKeys set, the gate's evidence must be signed: the
// candidate and the baseline must each carry a signature by a trusted key
// whose statement holds the metrics the version has now (ErrSignature
// otherwise, and nothing moves). SetAlias moves an alias without a gate:
// deploy's promotion uses
//
//	func (r *Registry) SetAlias(ctx context.Context, model, alias string, version int) error
//
// # Model cards
//
// RenderCard produces Markdown with an overview, training data and lineage,
// evaluation metrics, parameters, files and deployment steps
// (DefaultCardTemplate), or the caller's text/template over CardData.
// SaveCard stores the card in the artifact store and records its digest on
// the version (Version.Card).
//
// # Signatures
//
// Sign writes the layout of the OpenSSF model-signing format: an in-toto v1
// Statement (predicate type https://model_signing/Digests/v0.1) with one
// subject per file, its path and SHA-256, in a DSSE envelope whose signature
// is ECDSA P-256 over SHA-256 of the DSSE pre-authentication encoding (PAE),
// ASN.1 DER, base64. The predicate binds the files to where they are
// (Predicate): the registry's Options.Name, the model, the version number,
// and the version's metrics at signing time. Sign verifies the envelope
// against the signer's public key before anything is stored, and records
// the key id that verified it; a signer whose signature does not verify
// leaves nothing behind. The envelope is stored in the artifact store and
// recorded on the version.
//
// Verify checks that a signature by a trusted key covers exactly the
// manifest, that its predicate names this registry, model and version and
// holds the version's current metrics (a *BindingError otherwise, matching
// ErrSignature), and every file's bytes. So an envelope copied onto another
// version or model with the same files, read in a registry of another Name,
// or kept after the version's metrics were rewritten (through UpdateVersion
// or by writing the log directly) does not verify. Envelopes of the older
// layout, whose predicate was empty, bind nothing and no longer verify:
// sign those versions again.
//
// Load and OpenFile hand out files only under an explicit choice: with
// Options.TrustedKeys they refuse a version without a valid signature by one
// of the keys (ErrSignature), and verify every file against its digest as it
// is read; with neither TrustedKeys nor Options.AllowUnsigned they refuse
// every version (ErrNoTrustedKeys). AllowUnsigned skips signatures, for
// tests and registries nobody else writes.
//
// What this does not cover: the log itself is not signed. Whoever may write
// the bucket can append entries (move an alias with SetAlias's entry, for
// instance); signatures make such writes detectable where files are loaded
// and, with TrustedKeys, where gates are evaluated.
//
// # Watching aliases
//
// Watch polls a model's log and delivers alias moves (and aliases dropped by
// archiving or deletion) on a channel, so a serving process can follow
// "production". WatchOptions.After replays the changes after a given entry,
// and WatchOptions.Alias follows one alias. The channel closes when the
// context ends, or at an entry that cannot be decoded, once the events before
// it are delivered.
//
// # Authorization
//
// Options.Authorizer, when set, is asked before every operation with the
// model's name (empty for searches and listings across models), before
// anything is read or written:
//
//	models           get (GetModel, History, Refresh), list (ListModels),
//	                 create (CreateModel; Register when it creates the model),
//	                 update (UpdateModel, ArchiveModel), delete (DeleteModel)
//	models/versions  get (Get, Resolve, Load, OpenFile, Verify, RenderCard, Card,
//	                 Compare, once per model), list (SearchVersions),
//	                 create (Register, RegisterDir), update (UpdateVersion of
//	                 description, tags or status, ArchiveVersion, SaveCard),
//	                 evaluate (UpdateVersion of metrics), delete (DeleteVersion),
//	                 sign (Sign)
//	models/aliases   get (Watch), update (SetAlias), delete (DeleteAlias), promote (Promote)
//	artifacts        get, without a name (Register of a file by digest; see below)
//
// Metrics are what a gate reads, so recording them after registration is
// its own verb: permission to describe or tag a version is not permission
// to rewrite its evaluation. Metrics given to Register come with the
// version and are asked as create.
//
// A file registered by digest (an Upload without a Body) makes content
// already in the shared store readable through the new version, so with an
// Authorizer the subject must be able to read it already: the digest was
// uploaded by the same call, or "get artifacts" is granted without a name,
// or a live version of a live model on which the subject may "get
// models/versions" lists it (the target model is searched first, then the
// catalog). Otherwise Register fails with ErrUnknownDigest, with the same
// message as for a digest the store lacks, so a subject learns nothing about
// content it may not read.
//
// Permission to add versions is not permission to add models: registering
// the first version of a model also asks "create models". A refusal is
// returned wrapped, so errors.Is(err, rbac.ErrDenied) (or rbac.ErrNoSubject)
// holds with rbac's authorizer, and a refused write leaves the bucket as it
// was. rbac's rules that name resources never grant a request without a name,
// so listing across models needs a rule without names. A name that cannot be
// a model's fails with ErrInvalidName before the authorizer is asked.
//
// # Concurrency
//
// A Registry is safe for concurrent use by multiple goroutines, and any
// number of processes may share a bucket. Reads are served from an in-memory
// cache of each model's folded state, refreshed incrementally from the log
// when older than Options.MaxStaleness (default 1s; Refresh forces it);
// writes through a Registry update its cache at once; writes that name a
// version through an alias resolve it against the log, never a stale cache.
// Watch starts one goroutine, which stops when its context ends (or at an
// entry it cannot decode), closing its channel.
//
// # Performance
//
// Reads come from the in-memory cache of each model's folded log, so
// resolving an alias from cache neither allocates nor touches the bucket. A
// cold open reads the newest checkpoint and the entries after it; the log
// probes its tail in batches growing from 2 to 32 entries and backs off with
// jitter after a lost race. A search page resumes at its token directly:
// the model by binary search over the sorted catalog, the version by its
// number (versions are stored in order), so listing every version page by
// page examines each version at most twice in all (once returned, once as
// the look-ahead that tells a next page exists) instead of rescanning from
// the newest on every page (TestSearchListingIsLinear counts it). The
// catalog itself is listed from the bucket once per page. The benchmarks
// (BenchmarkRegister, BenchmarkResolveAlias, BenchmarkOpenCold10k) and their
// figures are in BENCHMARKS.md at the repository's root.
//
// # Testing
//
// Package registrytest gives a seeded registry on mem:// in one call
// (registrytest.New), fault injection (registrytest.NewFaulty: a damaged
// entry, an entry from a newer writer, a tampered file) and
// registrytest.Consumer, the questions the registry asks an Authorizer,
// which rbactest.RunConformance checks an Authorizer of one's own against. This package's own suite runs on mem://,
// file:// and S3 (the AWS SDK v2 through gocloud's s3blob against an
// in-process gofakes3 server, which honours If-None-Match on PutObject
// atomically), and races 4 processes of 8 goroutines on one file:// bucket
// and one S3 server.
package registry
