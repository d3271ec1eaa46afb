package templatecheck_test

import (
	"slices"
	"testing"

	"github.com/tanda-batch/tanda/deploy/awsstack"
	"github.com/tanda-batch/tanda/infra/kmskeys"
)

// setByLambda are the variables Lambda sets itself, or that may stay
// unset on AWS, with why.
var setByLambda = map[string]string{
	awsstack.EnvRegion:   "Lambda sets it",
	awsstack.EnvEndpoint: "unset on AWS, where each service has its own endpoint",
}

// TestEnvironment checks that every environment variable a function's
// code reads is set on it, and that awsstack.EnvVars are among them.
func TestEnvironment(t *testing.T) {
	e := evaluate(t, nil)
	for _, p := range principals {
		if p.function == "" {
			continue
		}
		t.Run(p.name, func(t *testing.T) {
			env := functionEnv(t, e, p.function)
			for _, v := range awsstack.EnvVars {
				if _, ok := env[v]; !ok && setByLambda[v] == "" {
					t.Errorf("%s does not set %s (awsstack.EnvVars)", p.function, v)
				}
			}
			if !p.exists() {
				t.Skipf("%s/main.go is not written yet", p.dir)
			}
			src := source(t, p.pkg)
			for _, pkg := range src.pkgs {
				scan := src.scans[pkg.ImportPath]
				for _, where := range scan.Unresolved {
					t.Errorf("%s reads an environment variable whose name is not a constant, at %s", p.name, where)
				}
				for _, v := range scan.EnvReads {
					if _, ok := env[v]; !ok && setByLambda[v] == "" && p.envUnread[v] == "" {
						t.Errorf("%s reads %s (%s), which the template does not set on %s", p.name, v, pkg.ImportPath, p.function)
					}
				}
			}
		})
	}
}

// TestSettings checks that the functions and the agents see one stack:
// the settings in every function's environment and in the launch
// template's user data are the same.
func TestSettings(t *testing.T) {
	v := view(t)
	for _, p := range principals {
		if p.function == "" {
			continue
		}
		env := functionEnv(t, v.e, p.function)
		env[awsstack.EnvRegion] = sample.Region
		got, err := awsstack.FromEnv(func(k string) string { return env[k] })
		if err != nil {
			t.Errorf("%s's environment: %v", p.function, err)
			continue
		}
		if got != v.settings {
			t.Errorf("%s's settings = %+v, want the API's %+v", p.function, got, v.settings)
		}
	}
	// The agents know the agent API's URL, the functions the instance
	// role whose sessions it accepts; the rest is the same.
	agent := agentSettings(t, v.e)
	if want := mustString(t, v.e, map[string]any{"Fn::GetAtt": []any{"ApiFunctionUrl", "FunctionUrl"}}); agent.AgentAPI != want {
		t.Errorf("the agents' agent API = %q, want the API function's URL %q", agent.AgentAPI, want)
	}
	if want := mustString(t, v.e, map[string]any{"Ref": "InstanceRole"}); v.settings.InstanceRole != want {
		t.Errorf("the functions' instance role = %q, want the agents' role %q", v.settings.InstanceRole, want)
	}
	shared, functions := agent, v.settings
	shared.AgentAPI, functions.InstanceRole = "", ""
	if shared != functions {
		t.Errorf("the agents' settings = %+v, want the functions' %+v", shared, functions)
	}
	if v.settings.Stack != sample.Name {
		t.Errorf("stack = %q, want the CloudFormation stack's name %q", v.settings.Stack, sample.Name)
	}
	keys := v.e.Resources("AWS::KMS::Key")
	if !slices.ContainsFunc(keys, func(k string) bool {
		return v.kmsKey == mustString(t, v.e, map[string]any{"Fn::GetAtt": []any{k, "Arn"}})
	}) {
		t.Errorf("the API's %s = %q, want the ARN of one of the stack's KMS keys %v", kmskeys.EnvKeyID, v.kmsKey, keys)
	}
	if !slices.Contains([]string{"", "default"}, v.settings.EventBus) {
		t.Errorf("event bus %q: the template creates no bus, so it must be the default one", v.settings.EventBus)
	}
}
