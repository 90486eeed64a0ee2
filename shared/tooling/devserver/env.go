package devserver

import (
	"fmt"

	"github.com/jwtgate/jwtgate/shared/runtime/config"
	"github.com/jwtgate/jwtgate/shared/tooling/samtemplate"
)

// TemplateEnv is the environment `jwtgate dev` configures itself from: the
// process's variables first (as sam local's --env-vars override a
// template), then the values the template's Globals set literally
// (samtemplate.GlobalLiterals), which a deployed function would read. The
// variables bound to parameters need no such fallback: ParametersFromEnv
// reads them back, and the functions' dev defaults stand for the rest.
func TemplateEnv(src []byte, process config.Getenv) (config.Getenv, error) {
	literals, err := samtemplate.GlobalLiterals(src)
	if err != nil {
		return nil, fmt.Errorf("devserver: %w", err)
	}
	return func(name string) (string, bool) {
		if v, ok := process(name); ok {
			return v, true
		}
		v, ok := literals[name]
		return v, ok
	}, nil
}
