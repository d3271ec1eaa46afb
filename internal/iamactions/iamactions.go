// Package iamactions names the IAM actions behind AWS SDK calls. Each of
// Tanda's AWS adapters declares the part of an SDK client it calls as an
// interface; its Actions function lists that interface's methods as IAM
// actions with Of, so that the SAM template's policies can be checked
// against the code (see package templatecheck).
package iamactions

import (
	"fmt"
	"reflect"
	"slices"
)

// authorisedAs maps the operations that IAM authorises under another
// action's name to that action: SQS's batch calls need the permission of
// their single-message form.
var authorisedAs = map[string]string{
	"sqs:SendMessageBatch":             "sqs:SendMessage",
	"sqs:DeleteMessageBatch":           "sqs:DeleteMessage",
	"sqs:ChangeMessageVisibilityBatch": "sqs:ChangeMessageVisibility",
}

// Of returns the IAM actions "<service>:<Method>" of the methods of the
// interface that ifacePtr points to (pass a typed nil pointer, such as
// (*sqsAPI)(nil)), sorted and without duplicates. service is the IAM
// service prefix ("sqs", "dynamodb", "logs", …). It panics when ifacePtr
// is not a pointer to an interface: that is a mistake in the caller's
// code, which its tests find.
func Of(service string, ifacePtr any) []string {
	t := reflect.TypeOf(ifacePtr)
	if t == nil || t.Kind() != reflect.Pointer || t.Elem().Kind() != reflect.Interface {
		panic(fmt.Sprintf("iamactions.Of(%q, %T): want a nil pointer to an interface", service, ifacePtr))
	}
	iface := t.Elem()
	actions := make([]string, 0, iface.NumMethod())
	for m := range iface.Methods() {
		actions = append(actions, Action(service, m.Name))
	}
	slices.Sort(actions)
	return slices.Compact(actions)
}

// Action is the IAM action that authorises an API operation of a service
// (its IAM prefix): "<service>:<operation>", or the action IAM checks
// instead (sqs:SendMessage for SendMessageBatch).
func Action(service, operation string) string {
	action := service + ":" + operation
	if as, ok := authorisedAs[action]; ok {
		return as
	}
	return action
}

// Union merges action lists into one sorted list without duplicates.
func Union(lists ...[]string) []string {
	var all []string
	for _, l := range lists {
		all = append(all, l...)
	}
	slices.Sort(all)
	return slices.Compact(all)
}
