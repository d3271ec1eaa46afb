package batch

import "strings"

// paramToken starts a parameter reference in a command argument.
const paramToken = "Ref::"

// SubstituteParameters returns command with its parameter references
// replaced (reference §3.6). A reference is "Ref::" followed by a name: the
// longest run of letters, digits, "_" and "-" after it, so it may sit inside
// a larger argument ("--in=Ref::input", "s3://bucket/Ref::key.csv" refers to
// "key"). Its value is the submitted parameter of that name, else the job
// definition's default; a reference with neither is left as literal text.
// Substituted values are not scanned again. Only command is substituted; the
// input is not modified, and a nil command stays nil.
func SubstituteParameters(command []string, defaults, submitted map[string]string) []string {
	if command == nil {
		return nil
	}
	lookup := func(name string) (string, bool) {
		if v, ok := submitted[name]; ok {
			return v, true
		}
		v, ok := defaults[name]
		return v, ok
	}
	out := make([]string, len(command))
	for i, arg := range command {
		out[i] = substituteArg(arg, lookup)
	}
	return out
}

// substituteArg replaces the references in one argument.
func substituteArg(arg string, lookup func(string) (string, bool)) string {
	if !strings.Contains(arg, paramToken) {
		return arg
	}
	var b strings.Builder
	for {
		before, after, found := strings.Cut(arg, paramToken)
		b.WriteString(before)
		if !found {
			return b.String()
		}
		n := paramNameLen(after)
		name := after[:n]
		if v, ok := lookup(name); ok && n > 0 {
			b.WriteString(v)
		} else {
			b.WriteString(paramToken + name)
		}
		arg = after[n:]
	}
}

// paramNameLen is the length of the parameter name that starts s.
func paramNameLen(s string) int {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return i
		}
	}
	return len(s)
}
