// Package oip serves predictors and routers of package deploy over the
// Open Inference Protocol v2 REST API (the protocol of KServe, Triton and
// Seldon MLServer).
//
// Handler serves predictors and routers over the Open Inference Protocol
// v2 REST API: health, server and model metadata, readiness, and
// inference with typed tensors (BOOL; INT8 to INT64; UINT8 to UINT64;
// FP16, FP32 and FP64, carried as float64 with range checks; BYTES),
// flat or nested data checked against the shape and against the
// model's declared inputs. Malformed requests get 400, unknown models
// 404, each with a JSON error body; DecodeInferRequest is fuzzed.
//
// Hostile requests are bounded before they cost memory:
//
//   - a body over HandlerOptions.MaxBodyBytes (default 8 MiB,
//     DefaultMaxBodyBytes) gets 413 (ErrBodyTooLarge), from the
//     Content-Length before anything is read, or as soon as the limit
//     is passed while reading;
//   - the input tensors' shapes together may ask for at most
//     HandlerOptions.MaxElements values (default 4,194,304,
//     DefaultMaxElements); the products are computed without overflow
//     from the shapes alone, before any value is read or any slice
//     allocated, and a request over the limit gets 400
//     (ErrTooManyElements, which also matches ErrBadRequest). A shape
//     asking for more values than its data has bytes is refused the same
//     way, so a small body cannot make a large allocation;
//   - tensor data is converted by a scanner that stores each value
//     straight into the typed slice, allocated once at the size the
//     shape gives: no token, interface or string per value, and BYTES
//     values share one backing array. What a request allocates is the
//     body, one copy of each tensor's data text, and the typed slices.
//     TestInferAllocationsPerValue measures it through the Handler
//     (2^20 values of each datatype, runtime.MemStats around one
//     request): at most twice a value's text plus its typed size per
//     value, and at most 2,000 objects in all;
//   - parameters (of the request, of each tensor, of each requested
//     output) stay JSON text (json.RawMessage, compacted and checked to
//     be an object), never decoded into maps of interfaces.
//
// DecodeInferRequest applies the same Limits outside the Handler.
//
// Every Handler response carries a request id in the X-Request-Id
// header: the client's own when it is sane (1 to 64 bytes of ASCII
// letters, digits and "-_.:"), else 26 random base32 characters. When a
// predictor fails (any error but one matching ErrBadRequest, deploy.ErrNoRoute,
// deploy.ErrClosed or deploy.ErrNotRouted), or returns no or an unencodable response,
// the client gets 500 with only "oip: model "m" failed (request id
// ID)", and the error text goes to HandlerOptions.Logger at error level
// with the same request_id. The Logger defaults to slog.Default(), so
// that the cause is never lost; pass slog.New(slog.DiscardHandler) to
// drop it. A predictor error that matches ErrBadRequest is the
// predictor's own verdict on the input and is shown to the client as a
// 400 with its text: wrap ErrBadRequest only around text meant for the
// client. A /versions/{v} request for a router's version goes through
// Router.PredictVersion: a version without routed traffic gets 404.
//
// Serve a Handler through deploy.NewServer, whose timeouts cut off
// clients that stall.
//
// # Concurrency
//
// A Handler is safe for concurrent use; Add, AddRouter and Remove may be
// called while it serves.
//
// # Dependencies
//
// oip imports deploy (the Predictor, the Router and its sentinel errors);
// deploy does not import oip.
package oip
