package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
)

// decode reads a request body into v, the operation's input. An empty body
// counts as {}. Unknown members are ignored and null members are absent, as
// AWS does. Every failure is a ClientException saying what is wrong and
// where. required lists the members the service model requires; they must be
// present and not null (the backend validates their values).
//
// encoding/json checks the whole body before decoding and refuses nesting
// deeper than 10,000 levels, so decoding recursion is bounded whatever the
// body; the tests send such bodies.
func decode(body []byte, v any, required []string) error {
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) == 0 {
		return missingMember(required, nil)
	}
	if trimmed[0] != '{' {
		return clientErrorf("cannot decode request: the body must be a JSON object, got %s", jsonKind(trimmed))
	}
	if err := json.Unmarshal(body, v); err != nil {
		return decodeError(err)
	}
	if len(required) == 0 {
		return nil
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(body, &members); err != nil {
		return decodeError(err)
	}
	return missingMember(required, members)
}

// missingMember reports the first required member that is absent or null.
func missingMember(required []string, members map[string]json.RawMessage) error {
	for _, name := range required {
		raw, ok := members[name]
		if !ok || string(raw) == "null" {
			return clientErrorf("missing required member %s", name)
		}
	}
	return nil
}

// decodeError turns an encoding/json error into a ClientException naming
// the field or the offset at fault.
func decodeError(err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return clientErrorf("cannot decode request: invalid JSON at offset %d: %v", se.Offset, se)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		field := te.Field
		if field == "" {
			field = "request"
		}
		if isInteger(te.Type) && strings.HasPrefix(te.Value, "number") {
			return clientErrorf("cannot decode request: %s: expected an integer in range, got %s", field, te.Value)
		}
		return clientErrorf("cannot decode request: %s: expected %s, got %s", field, goKind(te.Type), te.Value)
	}
	return clientErrorf("cannot decode request: %v", err)
}

// goKind names the JSON kind a Go type decodes from.
func goKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Slice, reflect.Array:
		return "array"
	default:
		return "object"
	}
}

// isInteger reports whether t is an integer type, which rejects fractions
// and out-of-range numbers.
func isInteger(t reflect.Type) bool {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return true
	}
	return false
}

// jsonKind names the kind of the JSON value b starts with.
func jsonKind(b []byte) string {
	switch b[0] {
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return "a number"
	default:
		return fmt.Sprintf("invalid JSON starting with %q", string(b[:min(len(b), 10)]))
	}
}
