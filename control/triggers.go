package control

import (
	"context"
	"errors"
	"fmt"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/triggers"
)

// CreateTriggerRule stores a new trigger rule, stamped with its creation
// time. The rule must be valid, its name unused, and its job queue and
// job definition must exist, the definition ACTIVE and a container job's.
func (s *Service) CreateTriggerRule(ctx context.Context, r triggers.Rule) (triggers.Rule, error) {
	if err := r.Validate(); err != nil {
		return triggers.Rule{}, err
	}
	if _, err := s.JobQueue(ctx, r.JobQueue); err != nil {
		return triggers.Rule{}, ruleError(r.Name, err)
	}
	jd, err := s.JobDefinition(ctx, r.JobDefinition)
	if err != nil {
		return triggers.Rule{}, ruleError(r.Name, err)
	}
	switch {
	case jd.Status != batch.DefinitionActive:
		return triggers.Rule{}, batch.Clientf("trigger rule %s: JobDefinition %s is INACTIVE; name an ACTIVE revision", r.Name, jd.JobDefinitionArn)
	case jd.ContainerProperties == nil:
		return triggers.Rule{}, batch.Clientf("trigger rule %s: JobDefinition %s has no containerProperties; Tanda runs container jobs only", r.Name, jd.JobDefinitionArn)
	}
	r.CreatedAt = s.nowMillis()
	_, err = putDoc(ctx, s.store, triggers.KindRule, r.Name, r, 0)
	if errors.Is(err, batch.ErrConflict) {
		return triggers.Rule{}, batch.Clientf("trigger rule %s already exists; delete it first to replace it", r.Name)
	}
	if err != nil {
		return triggers.Rule{}, fmt.Errorf("writing trigger rule %s: %w", r.Name, err)
	}
	return r, nil
}

// TriggerRules lists every trigger rule, by name.
func (s *Service) TriggerRules(ctx context.Context) ([]triggers.Rule, error) {
	rules, _, err := listDocs[triggers.Rule](ctx, s.store, triggers.KindRule, "")
	return rules, err
}

// DeleteTriggerRule deletes a trigger rule. Jobs it submitted are not
// touched.
func (s *Service) DeleteTriggerRule(ctx context.Context, name string) error {
	it, err := s.store.GetItem(ctx, triggers.KindRule, name)
	if errors.Is(err, batch.ErrNotFound) {
		return batch.Clientf("trigger rule %s not found", quoteName(name))
	}
	if err != nil {
		return fmt.Errorf("reading trigger rule %s: %w", name, err)
	}
	if err := s.store.DeleteItem(ctx, triggers.KindRule, name, it.Version); err != nil {
		return fmt.Errorf("deleting trigger rule %s: %w", name, err)
	}
	return nil
}

// ruleError puts a client error about a rule's job queue or definition in
// the rule's context; other errors pass unchanged.
func ruleError(rule string, err error) error {
	var ce *batch.ClientError
	if errors.As(err, &ce) {
		return batch.Clientf("trigger rule %s: %s", rule, ce.Message)
	}
	return err
}

// quoteName quotes a name from a request for a message, shortened if long.
func quoteName(name string) string {
	const limit = 128
	if len(name) > limit {
		name = name[:limit] + "..."
	}
	return fmt.Sprintf("%q", name)
}
