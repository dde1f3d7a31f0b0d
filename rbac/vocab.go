package rbac

// Verbs a rule may grant. "*" in a rule grants all of them, including
// escalate and bind.
var verbNames = [...]string{
	"get", "list", "create", "update", "delete",
	"promote", "deploy", "rollback", "sign",
	"escalate", "bind",
	"evaluate",
}

// Resources a rule may name. "*" in a rule names all of them.
var resourceNames = [...]string{
	"models", "models/versions", "models/aliases",
	"datasets", "artifacts", "deployments", "policies",
}

const (
	numVerbs     = len(verbNames)
	numResources = len(resourceNames)
	wildcard     = "*"
)

// verbIndex returns the position of v in verbNames, or -1.
func verbIndex(v string) int {
	switch v {
	case "get":
		return 0
	case "list":
		return 1
	case "create":
		return 2
	case "update":
		return 3
	case "delete":
		return 4
	case "promote":
		return 5
	case "deploy":
		return 6
	case "rollback":
		return 7
	case "sign":
		return 8
	case "escalate":
		return 9
	case "bind":
		return 10
	case "evaluate":
		return 11
	}
	return -1
}

// resourceIndex returns the position of r in resourceNames, or -1.
func resourceIndex(r string) int {
	switch r {
	case "models":
		return 0
	case "models/versions":
		return 1
	case "models/aliases":
		return 2
	case "datasets":
		return 3
	case "artifacts":
		return 4
	case "deployments":
		return 5
	case "policies":
		return 6
	}
	return -1
}

// Verbs returns the verbs a rule may grant, in a fixed order.
func Verbs() []string { return append([]string(nil), verbNames[:]...) }

// Resources returns the resources a rule may name, in a fixed order.
func Resources() []string { return append([]string(nil), resourceNames[:]...) }
