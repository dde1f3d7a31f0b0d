package rbac

// The verbs a rule may grant. "*" in a rule grants all of them, including
// VerbEscalate and VerbBind. Every package that asks an authorizer spells
// its questions with these constants, so the vocabulary is written once.
const (
	VerbGet    = "get"
	VerbList   = "list"
	VerbCreate = "create"
	VerbUpdate = "update"
	VerbDelete = "delete"
	// VerbPromote moves an alias (registry) or completes a rollout (deploy).
	VerbPromote = "promote"
	// VerbDeploy starts or retries a rollout.
	VerbDeploy = "deploy"
	// VerbRollback aborts a rollout.
	VerbRollback = "rollback"
	// VerbSign signs a model version.
	VerbSign = "sign"
	// VerbEscalate lets a subject grant rules it does not hold itself.
	VerbEscalate = "escalate"
	// VerbBind lets a subject bind a role it does not hold itself.
	VerbBind = "bind"
	// VerbEvaluate records evaluation metrics on a model version.
	VerbEvaluate = "evaluate"
)

// The resources a rule may name. "*" in a rule names all of them.
const (
	ResourceModels        = "models"
	ResourceModelVersions = "models/versions"
	ResourceModelAliases  = "models/aliases"
	ResourceDatasets      = "datasets"
	ResourceArtifacts     = "artifacts"
	ResourceDeployments   = "deployments"
	ResourcePolicies      = "policies"
)

var verbNames = [...]string{
	VerbGet, VerbList, VerbCreate, VerbUpdate, VerbDelete,
	VerbPromote, VerbDeploy, VerbRollback, VerbSign,
	VerbEscalate, VerbBind,
	VerbEvaluate,
}

var resourceNames = [...]string{
	ResourceModels, ResourceModelVersions, ResourceModelAliases,
	ResourceDatasets, ResourceArtifacts, ResourceDeployments, ResourcePolicies,
}

const (
	numVerbs     = len(verbNames)
	numResources = len(resourceNames)
	wildcard     = "*"
)

// verbIndex returns the position of v in verbNames, or -1.
func verbIndex(v string) int {
	switch v {
	case VerbGet:
		return 0
	case VerbList:
		return 1
	case VerbCreate:
		return 2
	case VerbUpdate:
		return 3
	case VerbDelete:
		return 4
	case VerbPromote:
		return 5
	case VerbDeploy:
		return 6
	case VerbRollback:
		return 7
	case VerbSign:
		return 8
	case VerbEscalate:
		return 9
	case VerbBind:
		return 10
	case VerbEvaluate:
		return 11
	}
	return -1
}

// resourceIndex returns the position of r in resourceNames, or -1.
func resourceIndex(r string) int {
	switch r {
	case ResourceModels:
		return 0
	case ResourceModelVersions:
		return 1
	case ResourceModelAliases:
		return 2
	case ResourceDatasets:
		return 3
	case ResourceArtifacts:
		return 4
	case ResourceDeployments:
		return 5
	case ResourcePolicies:
		return 6
	}
	return -1
}

// Verbs returns the verbs a rule may grant, in a fixed order.
func Verbs() []string { return append([]string(nil), verbNames[:]...) }

// Resources returns the resources a rule may name, in a fixed order.
func Resources() []string { return append([]string(nil), resourceNames[:]...) }
