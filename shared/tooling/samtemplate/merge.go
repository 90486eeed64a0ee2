package samtemplate

import (
	"bytes"
	"errors"
	"fmt"

	"gopkg.in/yaml.v3"
)

// ErrDuplicateResource means a snippet redefines a resource of the template.
var ErrDuplicateResource = errors.New("samtemplate: resource already in the template")

// WithResources returns template with the resources of snippet (a YAML
// document whose Resources map holds them) added, as a team pastes
// examples/template-snippet.yaml into its copy of template.yaml. Tags
// (!Ref, !GetAtt) and comments are kept.
func WithResources(template, snippet []byte) ([]byte, error) {
	var doc, add yaml.Node
	if err := yaml.Unmarshal(template, &doc); err != nil {
		return nil, fmt.Errorf("samtemplate: template: %w", err)
	}
	if err := yaml.Unmarshal(snippet, &add); err != nil {
		return nil, fmt.Errorf("samtemplate: snippet: %w", err)
	}
	if len(doc.Content) == 0 || len(add.Content) == 0 {
		return nil, ErrEmpty
	}
	res := get(doc.Content[0], "Resources")
	extra := get(add.Content[0], "Resources")
	if res == nil || res.Kind != yaml.MappingNode || extra == nil || extra.Kind != yaml.MappingNode {
		return nil, errors.New("samtemplate: template and snippet each need a Resources map")
	}
	for i := 0; i+1 < len(extra.Content); i += 2 {
		if get(res, extra.Content[i].Value) != nil {
			return nil, fmt.Errorf("%w: %s", ErrDuplicateResource, extra.Content[i].Value)
		}
		res.Content = append(res.Content, extra.Content[i], extra.Content[i+1])
	}
	var out bytes.Buffer
	enc := yaml.NewEncoder(&out)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return nil, fmt.Errorf("samtemplate: %w", err)
	}
	return out.Bytes(), nil
}
