package control

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/tanda-batch/tanda/batch"
)

// jdKey is the store key of one revision; revisions sort numerically.
func jdKey(name string, rev int) string { return fmt.Sprintf("%s#%010d", name, rev) }

// RegisterJobDefinition registers the next revision of a job definition.
// Revisions start at 1 and are never reused.
func (s *Service) RegisterJobDefinition(ctx context.Context, in *batch.RegisterJobDefinitionInput) (*batch.RegisterJobDefinitionOutput, error) {
	if err := batch.ValidateRegisterJobDefinition(in); err != nil {
		return nil, err
	}
	seq, err := s.store.NextSequence(ctx, "jd/"+in.JobDefinitionName)
	if err != nil {
		return nil, fmt.Errorf("allocating a revision of %s: %w", in.JobDefinitionName, err)
	}
	rev := int(seq)
	jd := batch.JobDefinition{
		JobDefinitionName:          in.JobDefinitionName,
		JobDefinitionArn:           s.opts.Partition.JobDefinitionARN(in.JobDefinitionName, rev),
		Revision:                   rev,
		Status:                     batch.DefinitionActive,
		Type:                       in.Type,
		SchedulingPriority:         in.SchedulingPriority,
		Parameters:                 in.Parameters,
		RetryStrategy:              in.RetryStrategy,
		ContainerProperties:        in.ContainerProperties,
		Timeout:                    in.Timeout,
		NodeProperties:             in.NodeProperties,
		Tags:                       in.Tags,
		PropagateTags:              in.PropagateTags,
		PlatformCapabilities:       in.PlatformCapabilities,
		ContainerOrchestrationType: batch.OrchestrationECS,
	}
	if len(jd.PlatformCapabilities) == 0 {
		jd.PlatformCapabilities = []string{"EC2"}
	}
	if _, err := putDoc(ctx, s.store, batch.KindJobDefinition, jdKey(jd.JobDefinitionName, rev), jd, 0); err != nil {
		return nil, fmt.Errorf("registering %s:%d: %w", jd.JobDefinitionName, rev, err)
	}
	return &batch.RegisterJobDefinitionOutput{JobDefinitionName: jd.JobDefinitionName, JobDefinitionArn: jd.JobDefinitionArn, Revision: rev}, nil
}

// revisions lists a definition's revisions, oldest first.
func (s *Service) revisions(ctx context.Context, name string) ([]batch.JobDefinition, error) {
	all, _, err := listDocs[batch.JobDefinition](ctx, s.store, batch.KindJobDefinition, name+"#")
	return all, err
}

// JobDefinition resolves `name`, `name:rev` or an ARN. Without a revision
// it is the latest ACTIVE one; a job may only use an ACTIVE revision.
func (s *Service) JobDefinition(ctx context.Context, ref string) (batch.JobDefinition, error) {
	name, rev, err := batch.ParseJobDefinitionRef(ref)
	if err != nil {
		return batch.JobDefinition{}, err
	}
	if !s.opts.Partition.Owns(ref) {
		return batch.JobDefinition{}, batch.Clientf("JobDefinition %s not found.", ref)
	}
	if rev > 0 {
		jd, _, err := getDoc[batch.JobDefinition](ctx, s.store, batch.KindJobDefinition, jdKey(name, rev))
		if errors.Is(err, batch.ErrNotFound) {
			return jd, batch.Clientf("JobDefinition %s not found.", ref)
		}
		return jd, err
	}
	// The latest ACTIVE revision: decode from the newest until one is.
	items, err := s.store.ListItems(ctx, batch.KindJobDefinition, name+"#")
	if err != nil {
		return batch.JobDefinition{}, fmt.Errorf("listing revisions of %s: %w", name, err)
	}
	for i := len(items) - 1; i >= 0; i-- {
		var jd batch.JobDefinition
		if err := json.Unmarshal(items[i].Doc, &jd); err != nil {
			return jd, fmt.Errorf("decoding %s: %w", items[i].Key, err)
		}
		if jd.Status == batch.DefinitionActive {
			return jd, nil
		}
	}
	return batch.JobDefinition{}, batch.Clientf("JobDefinition name %s does not exist or is not in ACTIVE status", name)
}

// DescribeJobDefinitions lists job definitions.
func (s *Service) DescribeJobDefinitions(ctx context.Context, in *batch.DescribeJobDefinitionsInput) (*batch.DescribeJobDefinitionsOutput, error) {
	if err := batch.ValidateDescribeJobDefinitions(in); err != nil {
		return nil, err
	}
	limit, err := pageLimit(in.MaxResults, 100, 100)
	if err != nil {
		return nil, err
	}
	var all []batch.JobDefinition
	switch {
	case len(in.JobDefinitions) > 0:
		for _, ref := range in.JobDefinitions {
			name, rev, err := batch.ParseJobDefinitionRef(ref)
			if err != nil {
				return nil, err
			}
			if !s.opts.Partition.Owns(ref) {
				continue
			}
			revs, err := s.revisions(ctx, name)
			if err != nil {
				return nil, err
			}
			for _, jd := range revs {
				if rev == 0 || jd.Revision == rev {
					all = append(all, jd)
				}
			}
		}
	case in.JobDefinitionName != "":
		if all, err = s.revisions(ctx, in.JobDefinitionName); err != nil {
			return nil, err
		}
	default:
		if all, _, err = listDocs[batch.JobDefinition](ctx, s.store, batch.KindJobDefinition, ""); err != nil {
			return nil, err
		}
	}
	if in.Status != "" {
		all = filter(all, func(jd batch.JobDefinition) bool { return jd.Status == in.Status })
	}
	sort.SliceStable(all, func(a, b int) bool {
		if all[a].JobDefinitionName != all[b].JobDefinitionName {
			return all[a].JobDefinitionName < all[b].JobDefinitionName
		}
		return all[a].Revision < all[b].Revision
	})
	pg, next, err := page(all, in.NextToken, limit)
	if err != nil {
		return nil, err
	}
	for i := range pg {
		batch.PresentJobDefinition(&pg[i])
	}
	return &batch.DescribeJobDefinitionsOutput{JobDefinitions: pg, NextToken: next}, nil
}

// DeregisterJobDefinition makes a revision INACTIVE. It stays describable.
// A bare name (or an ARN without a revision) names the latest ACTIVE
// revision, as it does in SubmitJob: AWS's example deregisters "sleep10".
func (s *Service) DeregisterJobDefinition(ctx context.Context, in *batch.DeregisterJobDefinitionInput) error {
	if err := batch.ValidateDeregisterJobDefinition(in); err != nil {
		return err
	}
	name, rev, err := batch.ParseJobDefinitionRef(in.JobDefinition)
	if err != nil {
		return err
	}
	if !s.opts.Partition.Owns(in.JobDefinition) {
		return batch.Clientf("JobDefinition %s not found.", in.JobDefinition)
	}
	if rev == 0 {
		latest, err := s.JobDefinition(ctx, in.JobDefinition)
		if err != nil {
			return err
		}
		rev = latest.Revision
	}
	_, err = updateDoc(ctx, s.store, batch.KindJobDefinition, jdKey(name, rev), func(jd *batch.JobDefinition) error {
		if jd.Status == batch.DefinitionInactive {
			return errNoChange
		}
		jd.Status = batch.DefinitionInactive
		return nil
	})
	if errors.Is(err, batch.ErrNotFound) {
		return batch.Clientf("JobDefinition %s not found.", in.JobDefinition)
	}
	return err
}

// definitionKeyFromARN maps a job-definition resource "name:rev" to its key.
func definitionKeyFromResource(resource string) (string, error) {
	i := strings.LastIndexByte(resource, ':')
	if i < 0 {
		return "", batch.Clientf("job definition ARN must include a revision (name:revision)")
	}
	name, rev, err := batch.ParseJobDefinitionRef(resource)
	if err != nil || rev == 0 {
		return "", batch.Clientf("job definition ARN must include a revision (name:revision)")
	}
	return jdKey(name, rev), nil
}
