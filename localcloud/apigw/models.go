package apigw

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
)

// model is a Model (a JSON schema of a payload) on the wire.
type model struct {
	ContentType string `json:"contentType,omitempty"`
	Description string `json:"description,omitempty"`
	ModelId     string `json:"modelId"`
	Name        string `json:"name"`
	Schema      string `json:"schema,omitempty"`
}

type modelInput struct {
	ContentType *string `json:"contentType"`
	Description *string `json:"description"`
	Name        *string `json:"name"`
	Schema      *string `json:"schema"`
}

func modelMissing(id string) error {
	return notFound("Invalid Model identifier specified %s", id)
}

// applyModel applies in to m and validates the result against a's models.
func applyModel(a *api, m *model, in *modelInput) error {
	if in.Name != nil {
		if err := checkLen("name", *in.Name, 1, 128); err != nil {
			return err
		}
		for _, x := range a.Models {
			if x.ModelId != m.ModelId && x.Name == *in.Name {
				return conflict("Model name already exists for this REST API")
			}
		}
		m.Name = *in.Name
	}
	if in.Schema != nil {
		if err := checkLen("schema", *in.Schema, 0, 32768); err != nil {
			return err
		}
		if *in.Schema != "" && !json.Valid([]byte(*in.Schema)) {
			return badRequest("Invalid model specified: Validation Result: warnings : [], errors : [Invalid model schema specified]")
		}
		m.Schema = *in.Schema
	}
	if in.ContentType != nil {
		if err := checkLen("contentType", *in.ContentType, 1, 256); err != nil {
			return err
		}
		m.ContentType = *in.ContentType
	}
	if in.Description != nil {
		if err := checkLen("description", *in.Description, 0, 1024); err != nil {
			return err
		}
		m.Description = *in.Description
	}
	return nil
}

func (s *Service) createModel(ctx context.Context, _ *http.Request, p pathArgs, body []byte) (any, error) {
	var in modelInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if in.Name == nil {
		return nil, badRequest("name is required")
	}
	if in.Schema == nil {
		return nil, badRequest("schema is required")
	}
	return s.mutate(ctx, p.api, func(a *api, _ *change) (any, error) {
		m := &model{ModelId: newID(6)}
		if err := applyModel(a, m, &in); err != nil {
			return nil, err
		}
		a.Models[m.ModelId] = m
		return m, nil
	})
}

func (s *Service) getModel(ctx context.Context, _ *http.Request, p pathArgs, _ []byte) (any, error) {
	a, err := s.getAPI(ctx, p.api)
	if err != nil {
		return nil, err
	}
	if m := a.Models[p.sub]; m != nil {
		return m, nil
	}
	return nil, modelMissing(p.sub)
}

func (s *Service) getModels(ctx context.Context, r *http.Request, p pathArgs, _ []byte) (any, error) {
	a, err := s.getAPI(ctx, p.api)
	if err != nil {
		return nil, err
	}
	return listPage(r, a.Models)
}

func (s *Service) updateModel(ctx context.Context, _ *http.Request, p pathArgs, body []byte) (any, error) {
	var in modelInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	return s.mutate(ctx, p.api, func(a *api, _ *change) (any, error) {
		m := a.Models[p.sub]
		if m == nil {
			return nil, modelMissing(p.sub)
		}
		if err := applyModel(a, m, &in); err != nil {
			return nil, err
		}
		return m, nil
	})
}

func (s *Service) deleteModel(ctx context.Context, _ *http.Request, p pathArgs, _ []byte) (any, error) {
	_, err := s.mutate(ctx, p.api, func(a *api, _ *change) (any, error) {
		if a.Models[p.sub] == nil {
			return nil, modelMissing(p.sub)
		}
		delete(a.Models, p.sub)
		return nil, nil
	})
	return nil, err
}

// getModelTemplate answers a sample mapping template that builds a payload
// of the model's shape from the request body, as API Gateway generates it.
func (s *Service) getModelTemplate(ctx context.Context, _ *http.Request, p pathArgs, _ []byte) (any, error) {
	a, err := s.getAPI(ctx, p.api)
	if err != nil {
		return nil, err
	}
	m := a.Models[p.sub]
	if m == nil {
		return nil, modelMissing(p.sub)
	}
	var schema map[string]any
	json.Unmarshal([]byte(m.Schema), &schema)
	var b strings.Builder
	b.WriteString("#set($inputRoot = $input.path('$'))\n")
	writeTemplate(&b, schema, "$inputRoot", "")
	b.WriteString("\n")
	return struct {
		Value string `json:"value"`
	}{b.String()}, nil
}

// writeTemplate writes the template of one schema node read from path.
func writeTemplate(b *strings.Builder, schema map[string]any, path, indent string) {
	switch schema["type"] {
	case "object":
		props, _ := schema["properties"].(map[string]any)
		names := make([]string, 0, len(props))
		for k := range props {
			names = append(names, k)
		}
		sort.Strings(names)
		b.WriteString("{\n")
		for i, k := range names {
			sub, _ := props[k].(map[string]any)
			fmt.Fprintf(b, "%s  %q : ", indent, k)
			writeTemplate(b, sub, path+"."+k, indent+"  ")
			if i < len(names)-1 {
				b.WriteString(",")
			}
			b.WriteString("\n")
		}
		b.WriteString(indent + "}")
	case "array":
		items, _ := schema["items"].(map[string]any)
		elem := "$elem" + fmt.Sprint(strings.Count(indent, "  "))
		fmt.Fprintf(b, "[\n%s#foreach(%s in %s)\n%s  ", indent, elem, path, indent)
		writeTemplate(b, items, elem, indent+"  ")
		fmt.Fprintf(b, "#if($foreach.hasNext),#end\n%s#end\n%s]", indent, indent)
	case "string":
		fmt.Fprintf(b, "%q", path)
	case nil:
		b.WriteString("{ }")
	default: // number, integer, boolean
		b.WriteString(path)
	}
}
