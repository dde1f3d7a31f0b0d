// Package lambda serves an http.Handler, typically deploy/oip's Open Inference
// Protocol Handler, on AWS Lambda through github.com/aws/aws-lambda-go.
//
//	h := oip.NewHandler(nil)
//	_ = h.AddRouter(meta, router)
//	lambda.Start(h, nil) // never returns
//
// Import it under another name (sextantlambda) beside aws-lambda-go's own
// lambda package.
//
// # Events
//
// Handler.Invoke reads three invocation payloads, told apart by Detect:
//
//   - RESTv1: API Gateway REST API proxy events (payload format 1.0, also
//     what an HTTP API configured for 1.0 sends). The request's path is
//     the event's path (without the stage); query parameters and headers
//     come from the multi-value maps when present, else the single-value
//     ones. The answer has statusCode, headers (the last value of each),
//     multiValueHeaders (every value) and body.
//   - HTTPv2: API Gateway HTTP API events (payload format 2.0). The path is
//     rawPath, with a named stage's prefix removed ($default has none),
//     and the query rawQueryString as sent; cookies become one Cookie
//     header. The answer has statusCode, headers (values of one name
//     joined by commas), cookies (every Set-Cookie) and body.
//   - FunctionURL: Lambda function URL events, which have the 2.0 shape
//     and are answered as HTTPv2 is; they are recognised by their
//     *.lambda-url.* domain.
//
// Bodies flagged isBase64Encoded are decoded; answers whose Content-Type
// is textual (text/*, JSON, XML, JavaScript) go back as they are, any
// other as base64 with isBase64Encoded set. The request's Host is the
// Host header (else the event's domain), its RemoteAddr the caller's
// source IP, and its X-Request-Id, unless the client sent one, the
// invocation's Lambda request id (the id in the function's logs), else
// the API's request id. oip's Handler keeps a client's id only when it
// is 1 to 64 letters, digits or "-_.:", and draws its own otherwise.
//
// A payload that is none of these (an S3 notification, a direct invoke
// with a JSON document of one's own, malformed JSON, a body that is not
// base64 though flagged) fails with ErrEvent, which the Lambda runtime
// reports as a function error; the loop goes on with the next invocation.
// Everything the wrapped handler says is an HTTP answer, never an error.
// A response body over Options.MaxResponseBytes (default 4 MiB, below
// Lambda's 6 MB synchronous response limit once base64 and the envelope
// are counted) is replaced by a 500 with a JSON error.
//
// # Deploying
//
// template.yaml, beside this file, is an AWS SAM template that builds
// examples/serve/lambda (the examples/serve model server: the registry on
// S3, the version an alias names loaded at cold start, signatures verified
// against a trusted key) for provided.al2023 on arm64, and puts it behind
// an HTTP API, a REST API and a function URL. TestSAMTemplate checks that
// the template's code directory is the main package and that the
// function reads every variable the template sets; the template has not
// been deployed from this repository's tests, which have no AWS account.
// monitor.LambdaPricing turns the function's memory and architecture into
// the Prices of monitor's cost per 1,000 predictions.
//
// # Testing
//
// The tests invoke the Handler with event documents in testdata/, written
// in the shapes AWS documents for each event, and run it as a real
// function: the test binary, started again with AWS_LAMBDA_RUNTIME_API
// pointing at a Lambda Runtime API the test serves (next invocation,
// response and error), answers HTTP events and reports an S3 notification
// as a function error through aws-lambda-go's own loop
// (TestRuntimeAPILoop). FuzzInvoke checks that any payload gets an answer
// or ErrEvent.
//
// # Concurrency
//
// A Handler is safe for concurrent use if the wrapped handler is. The
// Lambda runtime sends one invocation at a time to a process.
//
// # Dependencies
//
// github.com/aws/aws-lambda-go: its event types and runtime loop.
package lambda
