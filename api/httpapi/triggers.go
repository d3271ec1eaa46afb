package httpapi

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/tanda-batch/tanda/triggers"
)

// TriggerRules manages the rules that submit jobs for uploaded objects.
// It serves Tanda's own /tanda/v1/triggers endpoints:
//
//	POST   /tanda/v1/triggers         create a rule (body: the rule); answers the rule
//	GET    /tanda/v1/triggers         list the rules; answers {"rules": [...]}
//	DELETE /tanda/v1/triggers/{name}  delete a rule; answers {}
type TriggerRules interface {
	CreateTriggerRule(ctx context.Context, r triggers.Rule) (triggers.Rule, error)
	TriggerRules(ctx context.Context) ([]triggers.Rule, error)
	DeleteTriggerRule(ctx context.Context, name string) error
}

// triggerRuleList is the answer of GET /tanda/v1/triggers.
type triggerRuleList struct {
	Rules []triggers.Rule `json:"rules"`
}

// triggersEndpoint routes /tanda/v1/triggers and /tanda/v1/triggers/{name};
// rest is the escaped path after triggersPath.
func (h *Handler) triggersEndpoint(r *http.Request, rest string) (endpoint, error) {
	if h.triggers == nil {
		return endpoint{}, clientErrorf("this server does not manage trigger rules")
	}
	if rest == "" {
		switch r.Method {
		case http.MethodPost:
			return endpoint{name: "CreateTriggerRule", serve: h.createTriggerRule}, nil
		case http.MethodGet:
			return endpoint{name: "ListTriggerRules", serve: h.listTriggerRules}, nil
		}
		return endpoint{}, wrongMethod("CreateTriggerRule or ListTriggerRules", r.Method, http.MethodPost, http.MethodGet)
	}
	const name = "DeleteTriggerRule"
	if r.Method != http.MethodDelete {
		return endpoint{}, wrongMethod(name, r.Method, http.MethodDelete)
	}
	rule, err := url.PathUnescape(strings.TrimPrefix(rest, "/"))
	if err != nil || rule == "" || strings.Contains(rule, "/") {
		return endpoint{}, clientErrorf("%s: invalid rule name in path %q", name, truncate(rest, 200))
	}
	return endpoint{name: name, serve: func(ctx context.Context, _ []byte) (any, error) {
		if err := h.triggers.DeleteTriggerRule(ctx, rule); err != nil {
			return nil, err
		}
		return struct{}{}, nil
	}}, nil
}

// createTriggerRule decodes a rule and creates it.
func (h *Handler) createTriggerRule(ctx context.Context, body []byte) (any, error) {
	var rule triggers.Rule
	if err := decode(body, &rule, []string{"name", "bucket", "jobQueue", "jobDefinition"}); err != nil {
		return nil, err
	}
	return h.triggers.CreateTriggerRule(ctx, rule)
}

// listTriggerRules lists the rules.
func (h *Handler) listTriggerRules(ctx context.Context, _ []byte) (any, error) {
	rules, err := h.triggers.TriggerRules(ctx)
	if err != nil {
		return nil, err
	}
	if rules == nil {
		rules = []triggers.Rule{}
	}
	return triggerRuleList{Rules: rules}, nil
}
