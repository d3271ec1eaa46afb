package provisioner

import (
	"errors"
	"fmt"
)

// InsufficientCapacityError says an offering has no capacity now (EC2
// InsufficientInstanceCapacity and its kin). Fleets return it from Launch;
// the provisioner then hides the offering for a while and tries others.
type InsufficientCapacityError struct {
	Type  string // instance type
	Zone  string // availability zone, if known
	Cause error
}

// NewInsufficientCapacityError reports that type typ has no capacity in zone.
func NewInsufficientCapacityError(typ, zone string, cause error) error {
	return &InsufficientCapacityError{Type: typ, Zone: zone, Cause: cause}
}

func (e *InsufficientCapacityError) Error() string {
	where := ""
	if e.Zone != "" {
		where = " in " + e.Zone
	}
	if e.Cause == nil {
		return fmt.Sprintf("insufficient capacity for %s%s", e.Type, where)
	}
	return fmt.Sprintf("insufficient capacity for %s%s: %v", e.Type, where, e.Cause)
}

func (e *InsufficientCapacityError) Unwrap() error { return e.Cause }

// IsInsufficientCapacity reports whether err is or wraps an
// *InsufficientCapacityError.
func IsInsufficientCapacity(err error) bool {
	var e *InsufficientCapacityError
	return errors.As(err, &e)
}

// InstanceNotFoundError says an instance no longer exists.
type InstanceNotFoundError struct {
	ID    string
	Cause error
}

// NewInstanceNotFoundError reports that instance id is gone.
func NewInstanceNotFoundError(id string, cause error) error {
	return &InstanceNotFoundError{ID: id, Cause: cause}
}

func (e *InstanceNotFoundError) Error() string {
	if e.Cause == nil {
		return fmt.Sprintf("instance %s not found", e.ID)
	}
	return fmt.Sprintf("instance %s not found: %v", e.ID, e.Cause)
}

func (e *InstanceNotFoundError) Unwrap() error { return e.Cause }

// IsInstanceNotFound reports whether err is or wraps an
// *InstanceNotFoundError.
func IsInstanceNotFound(err error) bool {
	var e *InstanceNotFoundError
	return errors.As(err, &e)
}

// IgnoreInstanceNotFound returns nil when every error in err's tree that is
// a leaf is an *InstanceNotFoundError, and err otherwise.
func IgnoreInstanceNotFound(err error) error {
	if err == nil {
		return nil
	}
	for _, leaf := range leaves(err) {
		if !IsInstanceNotFound(leaf) {
			return err
		}
	}
	return nil
}

// splitCapacityErrors separates the insufficient-capacity errors in err's
// tree (errors.Join and %w chains) from the rest, which it joins again.
func splitCapacityErrors(err error) (ice []*InsufficientCapacityError, other error) {
	var rest []error
	for _, leaf := range leaves(err) {
		var e *InsufficientCapacityError
		if errors.As(leaf, &e) {
			ice = append(ice, e)
		} else {
			rest = append(rest, leaf)
		}
	}
	return ice, errors.Join(rest...)
}

// leaves flattens joined errors: a multi-error (errors.Join, several %w),
// even under single-error wrappers, becomes its members, recursively; any
// other error is one leaf. An *InsufficientCapacityError is always a leaf,
// whatever its cause.
func leaves(err error) []error {
	for e := err; e != nil; e = errors.Unwrap(e) {
		if _, ok := e.(*InsufficientCapacityError); ok {
			return []error{err}
		}
		if multi, ok := e.(interface{ Unwrap() []error }); ok {
			var out []error
			for _, m := range multi.Unwrap() {
				out = append(out, leaves(m)...)
			}
			return out
		}
	}
	if err == nil {
		return nil
	}
	return []error{err}
}
