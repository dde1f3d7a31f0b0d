package lambda_test

import (
	"context"
	"fmt"
	"io"
	"net/http"

	sextantlambda "github.com/sextant-ml/sextant/deploy/lambda"
)

// Invoke answers one API Gateway HTTP API event through an http.Handler,
// as the Lambda runtime hands it over.
func ExampleHandler_Invoke() {
	h := sextantlambda.New(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"path":%q,"got":%s}`, r.URL.Path, body)
	}), nil)
	event := []byte(`{"version":"2.0","rawPath":"/v2/models/m/infer","rawQueryString":"",
		"headers":{"content-type":"application/json"},
		"requestContext":{"http":{"method":"POST","path":"/v2/models/m/infer","sourceIp":"203.0.113.9"},"stage":"$default","requestId":"r1","domainName":"api.example.com"},
		"body":"{\"inputs\":[]}","isBase64Encoded":false}`)
	kind, _ := sextantlambda.Detect(event)
	out, err := h.Invoke(context.Background(), event)
	fmt.Println(kind, err)
	fmt.Println(string(out))
	// Output:
	// apigateway-http-v2 <nil>
	// {"statusCode":200,"headers":{"Content-Type":"application/json"},"multiValueHeaders":null,"body":"{\"path\":\"/v2/models/m/infer\",\"got\":{\"inputs\":[]}}","cookies":[]}
}
