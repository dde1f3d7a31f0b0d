package lambda

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	awslambda "github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

// ErrEvent reports an invocation payload that is none of the HTTP events
// the adapter serves.
var ErrEvent = errors.New("lambda: not an API Gateway or function URL event")

// DefaultMaxResponseBytes is the default bound on a response body: Lambda's
// 6 MB limit on a synchronous response, less room for the JSON envelope
// and base64.
const DefaultMaxResponseBytes = 4 << 20

// Kind names the event shape of an invocation.
type Kind string

// Event shapes.
const (
	// RESTv1 is API Gateway's REST API proxy event (payload format 1.0,
	// also sent by HTTP APIs configured for 1.0).
	RESTv1 Kind = "apigateway-rest-v1"
	// HTTPv2 is API Gateway's HTTP API event, payload format 2.0.
	HTTPv2 Kind = "apigateway-http-v2"
	// FunctionURL is a Lambda function URL event (payload format 2.0,
	// answered as HTTPv2 is).
	FunctionURL Kind = "function-url"
)

// Options configure a Handler. The zero value (or nil) gives the defaults.
type Options struct {
	// MaxResponseBytes bounds the body a handler may answer with; a larger
	// one is replaced by a 500 with a JSON error, since Lambda would refuse
	// it anyway. Default DefaultMaxResponseBytes.
	MaxResponseBytes int
}

// Handler serves an http.Handler to Lambda invocations from API Gateway
// (REST v1 and HTTP v2 payloads) and function URLs. It implements the
// aws-lambda-go lambda.Handler interface.
type Handler struct {
	h    http.Handler
	opts Options
}

// New returns a Handler serving h. opts may be nil.
func New(h http.Handler, opts *Options) *Handler {
	l := &Handler{h: h}
	if opts != nil {
		l.opts = *opts
	}
	if l.opts.MaxResponseBytes <= 0 {
		l.opts.MaxResponseBytes = DefaultMaxResponseBytes
	}
	return l
}

// Start runs h as the function's handler through aws-lambda-go's runtime
// loop (AWS_LAMBDA_RUNTIME_API must be set, as it is on Lambda). It does
// not return.
func Start(h http.Handler, opts *Options) {
	awslambda.Start(New(h, opts))
}

// probe reads just enough of a payload to tell the shapes apart.
type probe struct {
	Version        string `json:"version"`
	HTTPMethod     string `json:"httpMethod"`
	RequestContext struct {
		DomainName string `json:"domainName"`
		HTTP       struct {
			Method string `json:"method"`
		} `json:"http"`
	} `json:"requestContext"`
}

// Detect returns the shape of an invocation payload, or ErrEvent.
func Detect(payload []byte) (Kind, error) {
	var p probe
	if err := json.Unmarshal(payload, &p); err != nil {
		return "", fmt.Errorf("%w: %v", ErrEvent, err)
	}
	switch {
	case p.Version == "2.0" && p.RequestContext.HTTP.Method != "":
		if strings.Contains(p.RequestContext.DomainName, ".lambda-url.") {
			return FunctionURL, nil
		}
		return HTTPv2, nil
	case (p.Version == "" || p.Version == "1.0") && p.HTTPMethod != "":
		return RESTv1, nil
	}
	return "", fmt.Errorf("%w: version %q, no HTTP method", ErrEvent, p.Version)
}

// Invoke serves one invocation: it decodes the event into an
// http.Request, serves it and encodes the answer in the event's response
// shape. Only a payload that is no HTTP event is an error (ErrEvent); the
// handler's own failures are HTTP statuses.
func (l *Handler) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	kind, err := Detect(payload)
	if err != nil {
		return nil, err
	}
	var req *http.Request
	switch kind {
	case RESTv1:
		var ev events.APIGatewayProxyRequest
		if err := json.Unmarshal(payload, &ev); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrEvent, err)
		}
		req, err = restRequest(ctx, &ev)
	default:
		var ev events.APIGatewayV2HTTPRequest
		if err := json.Unmarshal(payload, &ev); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrEvent, err)
		}
		req, err = httpRequest(ctx, &ev)
	}
	if err != nil {
		return nil, err
	}
	w := &recorder{header: http.Header{}, limit: l.opts.MaxResponseBytes}
	l.h.ServeHTTP(w, req)
	if w.over {
		w.replace(http.StatusInternalServerError, `{"error":"lambda: response body over the Lambda response limit"}`)
	}
	if w.status == 0 {
		w.status = http.StatusOK
	}
	body, b64 := encodeBody(w.header.Get("Content-Type"), w.body.Bytes())
	if kind == RESTv1 {
		resp := events.APIGatewayProxyResponse{StatusCode: w.status, Headers: map[string]string{}, MultiValueHeaders: map[string][]string{}, Body: body, IsBase64Encoded: b64}
		for k, vs := range w.header {
			resp.Headers[k] = vs[len(vs)-1]
			resp.MultiValueHeaders[k] = vs
		}
		return json.Marshal(resp)
	}
	resp := events.APIGatewayV2HTTPResponse{StatusCode: w.status, Headers: map[string]string{}, Body: body, IsBase64Encoded: b64, Cookies: []string{}}
	for k, vs := range w.header {
		if k == "Set-Cookie" {
			resp.Cookies = append(resp.Cookies, vs...)
			continue
		}
		resp.Headers[k] = strings.Join(vs, ",")
	}
	return json.Marshal(resp)
}

func decodeBody(body string, b64 bool) ([]byte, error) {
	if !b64 {
		return []byte(body), nil
	}
	b, err := base64.StdEncoding.DecodeString(body)
	if err != nil {
		return nil, fmt.Errorf("%w: body is not base64: %v", ErrEvent, err)
	}
	return b, nil
}

func restRequest(ctx context.Context, ev *events.APIGatewayProxyRequest) (*http.Request, error) {
	body, err := decodeBody(ev.Body, ev.IsBase64Encoded)
	if err != nil {
		return nil, err
	}
	q := url.Values{}
	if len(ev.MultiValueQueryStringParameters) > 0 {
		for k, vs := range ev.MultiValueQueryStringParameters {
			q[k] = vs
		}
	} else {
		for k, v := range ev.QueryStringParameters {
			q.Set(k, v)
		}
	}
	u := &url.URL{Path: ev.Path, RawQuery: q.Encode()}
	req, err := http.NewRequestWithContext(ctx, ev.HTTPMethod, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrEvent, err)
	}
	if len(ev.MultiValueHeaders) > 0 {
		for k, vs := range ev.MultiValueHeaders {
			for _, v := range vs {
				req.Header.Add(k, v)
			}
		}
	} else {
		for k, v := range ev.Headers {
			req.Header.Set(k, v)
		}
	}
	finish(req, req.Header.Get("Host"), ev.RequestContext.Identity.SourceIP, requestID(ctx, ev.RequestContext.RequestID))
	return req, nil
}

func httpRequest(ctx context.Context, ev *events.APIGatewayV2HTTPRequest) (*http.Request, error) {
	body, err := decodeBody(ev.Body, ev.IsBase64Encoded)
	if err != nil {
		return nil, err
	}
	// An HTTP API stage other than $default prefixes the path with its name.
	target := ev.RawPath
	if st := ev.RequestContext.Stage; st != "" && st != "$default" && strings.HasPrefix(target, "/"+st+"/") {
		target = strings.TrimPrefix(target, "/"+st)
	}
	if ev.RawQueryString != "" {
		target += "?" + ev.RawQueryString
	}
	req, err := http.NewRequestWithContext(ctx, ev.RequestContext.HTTP.Method, target, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrEvent, err)
	}
	for k, v := range ev.Headers {
		req.Header.Set(k, v)
	}
	if len(ev.Cookies) > 0 {
		req.Header.Set("Cookie", strings.Join(ev.Cookies, "; "))
	}
	host := ev.RequestContext.DomainName
	if h := req.Header.Get("Host"); h != "" {
		host = h
	}
	finish(req, host, ev.RequestContext.HTTP.SourceIP, requestID(ctx, ev.RequestContext.RequestID))
	return req, nil
}

// requestID returns the invocation's Lambda request id (the one in the
// function's logs), or else the API's.
func requestID(ctx context.Context, api string) string {
	if lc, ok := lambdacontext.FromContext(ctx); ok && lc.AwsRequestID != "" {
		return lc.AwsRequestID
	}
	return api
}

// finish sets what a server would: the host, the peer and the request id (as X-Request-Id, unless the client sent one).
func finish(req *http.Request, host, sourceIP, requestID string) {
	req.Host = host
	req.RequestURI = req.URL.RequestURI()
	if sourceIP != "" {
		req.RemoteAddr = sourceIP + ":0"
	}
	if requestID != "" && req.Header.Get("X-Request-Id") == "" {
		req.Header.Set("X-Request-Id", requestID)
	}
}

// encodeBody returns a textual body as it is and any other base64-encoded.
func encodeBody(contentType string, b []byte) (string, bool) {
	if len(b) == 0 || textual(contentType) {
		return string(b), false
	}
	return base64.StdEncoding.EncodeToString(b), true
}

func textual(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	return strings.HasPrefix(mt, "text/") || mt == "application/json" || strings.HasSuffix(mt, "+json") ||
		mt == "application/xml" || strings.HasSuffix(mt, "+xml") || mt == "application/javascript"
}

// recorder is the http.ResponseWriter an invocation is served into.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
	limit  int
	over   bool
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
}

func (r *recorder) Write(p []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	if r.over || r.body.Len()+len(p) > r.limit {
		r.over = true
		return 0, fmt.Errorf("lambda: response body over %d bytes", r.limit)
	}
	return r.body.Write(p)
}

func (r *recorder) replace(code int, body string) {
	r.header = http.Header{"Content-Type": {"application/json"}}
	r.status = code
	r.body.Reset()
	r.body.WriteString(body)
}
