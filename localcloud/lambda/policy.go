package lambda

import (
	"cmp"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// statement is one statement of a function's resource-based policy.
type statement struct {
	Sid       string                       `json:"Sid"`
	Effect    string                       `json:"Effect"`
	Principal any                          `json:"Principal"`
	Action    string                       `json:"Action"`
	Resource  string                       `json:"Resource"`
	Condition map[string]map[string]string `json:"Condition,omitempty"`
}

// Each version and alias has a policy of its own (AddPermission, GetPolicy
// and RemovePermission take a Qualifier): the statements are all kept with
// the function, each naming its resource, the function's ARN with the
// qualifier it was added for.

// requestQualifier is the version or alias a request names: its Qualifier
// parameter or the qualifier of its function name (lookup has checked they
// agree and exist); "" when it names neither.
func requestQualifier(r *http.Request) string {
	ref, _ := parseFunctionRef(r.PathValue("name"))
	return cmp.Or(r.URL.Query().Get("Qualifier"), ref.qualifier)
}

// policyResource is the resource a permission request is about: f's
// unqualified ARN, or with the qualifier the request names.
func policyResource(r *http.Request, f *function) string {
	if q := requestQualifier(r); q != "" {
		return f.arn() + ":" + q
	}
	return f.arn()
}

// invokedResource is the policy resource that authorises an invocation of
// f's qualifier: a version's or alias's own ARN; the unqualified ARN for
// the function itself and for $LATEST ("If you use the function ARN, the
// permission is valid only for invoking the function using the function
// ARN or the $LATEST version ARN").
func invokedResource(f *function, qualifier string) string {
	if qualifier == "" || qualifier == "$LATEST" {
		return f.arn()
	}
	return f.arn() + ":" + qualifier
}

// statementsOn returns the statements of policy about resource.
func statementsOn(policy []*statement, resource string) []*statement {
	var out []*statement
	for _, st := range policy {
		if st.Resource == resource {
			out = append(out, st)
		}
	}
	return out
}

// principalOf turns AddPermission's Principal into the policy's shape; an
// account id becomes its root ARN in the partition of region, the
// request's.
func principalOf(p, region string) (any, error) {
	switch {
	case p == "*":
		return "*", nil
	case strings.HasSuffix(p, ".amazonaws.com") || strings.HasSuffix(p, ".amazon.com"):
		return map[string]string{"Service": p}, nil
	case protocol.IsAccountID(p):
		return map[string]string{"AWS": protocol.RootARN(region, p)}, nil
	case isIAMARN(p):
		return map[string]string{"AWS": p}, nil
	}
	return nil, protocol.Errorf("InvalidParameterValueException", "The provided principal was invalid. Please check the principal and try again.")
}

func (s *Service) addPermission(w http.ResponseWriter, r *http.Request) error {
	body, err := readBody(w, r, 1<<20, "AddPermission")
	if err != nil {
		return err
	}
	var in struct {
		StatementId, Action, Principal, SourceArn, SourceAccount string
		EventSourceToken, RevisionId, PrincipalOrgID             string
		FunctionUrlAuthType                                      string
	}
	if err := decode(body, &in); err != nil {
		return err
	}
	if !statementRE.MatchString(in.StatementId) {
		return protocol.Errorf("ValidationException", "1 validation error detected: Value '%s' at 'statementId' failed to satisfy constraint: Member must satisfy regular expression pattern: ([a-zA-Z0-9-_]+)", truncate(in.StatementId, 120))
	}
	if !actionRE.MatchString(in.Action) {
		return protocol.Errorf("ValidationException", "1 validation error detected: Value '%s' at 'action' failed to satisfy constraint: Member must satisfy regular expression pattern: (lambda:[*]|lambda:[a-zA-Z]+|[*])", truncate(in.Action, 120))
	}
	if in.Principal == "" || strings.ContainsAny(in.Principal, " \t\n") {
		return protocol.Errorf("ValidationException", "1 validation error detected: Value '%s' at 'principal' failed to satisfy constraint: Member must satisfy regular expression pattern: [^\\s]+", truncate(in.Principal, 120))
	}
	principal, err := principalOf(in.Principal, protocol.IdentityFrom(r.Context()).Region)
	if err != nil {
		return err
	}
	if in.SourceArn != "" {
		if _, ok := protocol.ParseARN(in.SourceArn); !ok {
			return protocol.Errorf("ValidationException", "1 validation error detected: Value '%s' at 'sourceArn' failed to satisfy constraint: Member must satisfy regular expression pattern: arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9\\-])+:([a-z]{2}(-gov)?-[a-z]+-\\d{1})?:(\\d{12})?:(.*)", truncate(in.SourceArn, 200))
		}
	}
	if in.SourceAccount != "" && !protocol.IsAccountID(in.SourceAccount) {
		return protocol.Errorf("ValidationException", "1 validation error detected: Value '%s' at 'sourceAccount' failed to satisfy constraint: Member must satisfy regular expression pattern: \\d{12}", truncate(in.SourceAccount, 64))
	}
	if requestQualifier(r) == "$LATEST" {
		// $LATEST answers to the function's own (unqualified) policy.
		return protocol.Errorf("InvalidParameterValueException", "We currently do not support adding policies for $LATEST.")
	}
	var st *statement
	_, err = s.update(r, in.RevisionId, false, func(f *function) error {
		resource := policyResource(r, f)
		for _, x := range statementsOn(f.Policy, resource) {
			if x.Sid == in.StatementId {
				return protocol.StatusErrorf(http.StatusConflict, "ResourceConflictException", "The statement id (%s) provided already exists. Please provide a new statement id, or remove the existing statement.", in.StatementId)
			}
		}
		st = &statement{Sid: in.StatementId, Effect: "Allow", Principal: principal, Action: in.Action, Resource: resource}
		cond := map[string]map[string]string{}
		stringEquals := func(k, v string) {
			if cond["StringEquals"] == nil {
				cond["StringEquals"] = map[string]string{}
			}
			cond["StringEquals"][k] = v
		}
		if in.SourceArn != "" {
			cond["ArnLike"] = map[string]string{"AWS:SourceArn": in.SourceArn}
		}
		if in.SourceAccount != "" {
			stringEquals("AWS:SourceAccount", in.SourceAccount)
		}
		if in.PrincipalOrgID != "" {
			stringEquals("aws:PrincipalOrgID", in.PrincipalOrgID)
		}
		if in.FunctionUrlAuthType != "" {
			stringEquals("lambda:FunctionUrlAuthType", in.FunctionUrlAuthType)
		}
		if len(cond) > 0 {
			st.Condition = cond
		}
		f.Policy = append(f.Policy, st)
		return nil
	})
	if err != nil {
		return err
	}
	b, _ := json.Marshal(st)
	protocol.WriteJSON(w, http.StatusCreated, map[string]string{"Statement": string(b)})
	return nil
}

func (s *Service) getPolicy(w http.ResponseWriter, r *http.Request) error {
	found, err := s.lookup(r, r.PathValue("name"))
	if err != nil {
		return err
	}
	f := s.current(found.key())
	if f == nil {
		return notFound(found.arn())
	}
	sts := statementsOn(f.Policy, policyResource(r, f))
	if len(sts) == 0 {
		return protocol.StatusErrorf(http.StatusNotFound, "ResourceNotFoundException", "The resource you requested does not exist.")
	}
	doc, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Id": "default", "Statement": sts})
	protocol.WriteJSON(w, http.StatusOK, map[string]string{"Policy": string(doc), "RevisionId": f.RevisionID})
	return nil
}

func (s *Service) removePermission(w http.ResponseWriter, r *http.Request) error {
	sid := r.PathValue("sid")
	_, err := s.update(r, r.URL.Query().Get("RevisionId"), false, func(f *function) error {
		resource := policyResource(r, f)
		for i, x := range f.Policy {
			if x.Sid == sid && x.Resource == resource {
				f.Policy = append(f.Policy[:i:i], f.Policy[i+1:]...)
				return nil
			}
		}
		if len(statementsOn(f.Policy, resource)) == 0 {
			return protocol.StatusErrorf(http.StatusNotFound, "ResourceNotFoundException", "No policy is associated with the given resource.")
		}
		return protocol.StatusErrorf(http.StatusNotFound, "ResourceNotFoundException", "Statement %s is not found in resource policy.", truncate(sid, 120))
	})
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// lookupInvoke resolves the function an Invoke or InvokeAsync request
// names. Another account's function (named by its ARN) answers when the
// policy of the ARN invoked (the function's, or the version's or alias's
// own) grants the caller's account lambda:InvokeFunction ("Granting
// function access to other accounts"); otherwise AccessDeniedException.
func (s *Service) lookupInvoke(r *http.Request) (*function, error) {
	id := protocol.IdentityFrom(r.Context())
	ref, err := parseFunctionRef(r.PathValue("name"))
	if err != nil || ref.account == "" || ref.account == id.AccountID {
		return s.lookup(r, r.PathValue("name"))
	}
	q := requestQualifier(r)
	if ref.qualifier != "" && q != ref.qualifier {
		return nil, protocol.Errorf("InvalidParameterValueException", "The derived qualifier from the function name does not match the specified qualifier.")
	}
	ref.qualifier = q
	denied := func() error {
		resource := "function:" + ref.name
		if q != "" {
			resource += ":" + q
		}
		return protocol.StatusErrorf(http.StatusForbidden, "AccessDeniedException", "User: %s is not authorized to perform: lambda:InvokeFunction on resource: %s because no resource-based policy allows the lambda:InvokeFunction action",
			protocol.RootARN(id.Region, id.AccountID), protocol.ARN("lambda", cmp.Or(ref.region, id.Region), ref.account, resource))
	}
	f, err := s.find(ref.account, id.Region, ref)
	if err != nil {
		return nil, denied() // another account's functions are not listed to the caller
	}
	policy := f.Policy
	if cur := s.current(f.key()); cur != nil {
		policy = cur.Policy
	}
	if !allows(statementsOn(policy, invokedResource(f, q)), protocol.ServiceInvocation{SourcePrincipal: id.AccountID, SourceAccount: id.AccountID}) {
		return nil, denied()
	}
	return f, nil
}

// allows reports whether a policy lets a service invoke the function.
func allows(policy []*statement, in protocol.ServiceInvocation) bool {
	for _, st := range policy {
		if st.Effect != "Allow" || !actionAllowsInvoke(st.Action) || !principalMatches(st.Principal, in) {
			continue
		}
		if conditionsHold(st.Condition, in) {
			return true
		}
	}
	return false
}

func actionAllowsInvoke(a string) bool {
	return a == "*" || strings.EqualFold(a, "lambda:*") || strings.EqualFold(a, "lambda:InvokeFunction")
}

func principalMatches(p any, in protocol.ServiceInvocation) bool {
	switch v := p.(type) {
	case string:
		return v == "*"
	case map[string]string:
		return mapPrincipalMatches(v["Service"], v["AWS"], in)
	case map[string]any:
		svc, _ := v["Service"].(string)
		aws, _ := v["AWS"].(string)
		return mapPrincipalMatches(svc, aws, in)
	}
	return false
}

// isIAMARN reports whether p is an IAM ARN (arn:aws:iam::..., in any
// partition).
func isIAMARN(p string) bool {
	a, ok := protocol.ParseARN(p)
	return ok && protocol.IsPartition(a.Partition) && a.Service == "iam" && a.Region == ""
}

func mapPrincipalMatches(service, aws string, in protocol.ServiceInvocation) bool {
	if service != "" && strings.EqualFold(service, in.SourcePrincipal) {
		return true
	}
	if aws == "*" {
		return true
	}
	return aws != "" && in.SourcePrincipal != "" && (aws == in.SourcePrincipal || protocol.IsRootARN(aws, in.SourcePrincipal))
}

// conditionsHold evaluates the condition operators AddPermission writes.
// An operator or key it does not know fails closed.
func conditionsHold(cond map[string]map[string]string, in protocol.ServiceInvocation) bool {
	sourceAccount := in.SourceAccount
	if sourceAccount == "" {
		if a, ok := protocol.ParseARN(in.SourceARN); ok {
			sourceAccount = a.Account
		}
	}
	for op, kv := range cond {
		for key, want := range kv {
			var got string
			switch strings.ToLower(key) {
			case "aws:sourcearn":
				got = in.SourceARN
			case "aws:sourceaccount":
				got = sourceAccount
			default:
				return false
			}
			var ok bool
			switch op {
			case "ArnLike", "StringLike":
				ok = protocol.WildcardMatch(want, got)
			case "ArnEquals", "StringEquals":
				ok = want == got
			default:
				return false
			}
			if !ok {
				return false
			}
		}
	}
	return true
}
