package apigw

import (
	"context"
	"net/http"
	"regexp"
)

type stageInput struct {
	AccessLogSettings    *accessLogSettings        `json:"accessLogSettings"`
	AutoDeploy           *bool                     `json:"autoDeploy"`
	ClientCertificateId  *string                   `json:"clientCertificateId"`
	DefaultRouteSettings *routeSettings            `json:"defaultRouteSettings"`
	DeploymentId         *string                   `json:"deploymentId"`
	Description          *string                   `json:"description"`
	RouteSettings        map[string]*routeSettings `json:"routeSettings"`
	StageName            *string                   `json:"stageName"`
	StageVariables       map[string]string         `json:"stageVariables"`
	Tags                 map[string]string         `json:"tags"`
}

var (
	stageNameRE     = regexp.MustCompile(`^[A-Za-z0-9_\-]{1,128}$`)
	stageVarNameRE  = regexp.MustCompile(`^[A-Za-z0-9_]{1,64}$`)
	stageVarValueRE = regexp.MustCompile(`^[A-Za-z0-9\-._~:/?#&=, ]*$`)
)

func checkRouteSettings(a *api, rs *routeSettings, where string) error {
	if rs == nil {
		return nil
	}
	if rs.ThrottlingBurstLimit != nil && *rs.ThrottlingBurstLimit < 0 {
		return badRequest("%s.throttlingBurstLimit must not be negative", where)
	}
	if rs.ThrottlingRateLimit != nil && *rs.ThrottlingRateLimit < 0 {
		return badRequest("%s.throttlingRateLimit must not be negative", where)
	}
	if a.websocket() {
		return checkWSRouteSettings(rs, where)
	}
	if rs.LoggingLevel != "" || rs.DataTraceEnabled != nil {
		// Execution logging (loggingLevel, dataTraceEnabled) is WebSocket only.
		return badRequest("Execution logs are not supported on protocolType HTTP")
	}
	return nil
}

func (s *Service) applyStage(a *api, st *stage, in *stageInput, ch *change) error {
	if in.AccessLogSettings != nil {
		st.AccessLogSettings = in.AccessLogSettings
	}
	if in.ClientCertificateId != nil {
		st.ClientCertificateId = *in.ClientCertificateId
	}
	if in.Description != nil {
		if err := checkLen("description", *in.Description, 0, 1024); err != nil {
			return err
		}
		st.Description = *in.Description
	}
	if in.DefaultRouteSettings != nil {
		if err := checkRouteSettings(a, in.DefaultRouteSettings, "defaultRouteSettings"); err != nil {
			return err
		}
		st.DefaultRouteSettings = in.DefaultRouteSettings
	}
	if st.DefaultRouteSettings == nil {
		st.DefaultRouteSettings = &routeSettings{}
	}
	if st.DefaultRouteSettings.DetailedMetricsEnabled == nil {
		st.DefaultRouteSettings.DetailedMetricsEnabled = ptr(false)
	}
	if in.RouteSettings != nil {
		keys := map[string]bool{}
		for _, rt := range a.Routes {
			keys[rt.RouteKey] = true
		}
		if st.RouteSettings == nil {
			st.RouteSettings = map[string]*routeSettings{}
		}
		for k, rs := range in.RouteSettings {
			if !keys[k] {
				return notFound("Unable to find Route by key %s within the provided RouteSettings", k)
			}
			if err := checkRouteSettings(a, rs, "routeSettings."+k); err != nil {
				return err
			}
			if rs == nil {
				rs = &routeSettings{}
			}
			st.RouteSettings[k] = rs
		}
	}
	if in.StageVariables != nil {
		if st.StageVariables == nil {
			st.StageVariables = map[string]string{}
		}
		for k, v := range in.StageVariables {
			if !stageVarNameRE.MatchString(k) {
				return badRequest("Invalid stage variable name %q: use letters, digits and _", k)
			}
			if !stageVarValueRE.MatchString(v) {
				return badRequest("Invalid stage variable value for %q: allowed characters are letters, digits and -._~:/?#&=,", k)
			}
			st.StageVariables[k] = v
		}
	}
	if in.DeploymentId != nil {
		if a.deployments[*in.DeploymentId] == nil {
			return badRequest("Invalid deployment identifier specified %s", *in.DeploymentId)
		}
		st.DeploymentId = *in.DeploymentId
	}
	if in.AutoDeploy != nil {
		was := st.AutoDeploy
		st.AutoDeploy = *in.AutoDeploy
		if st.AutoDeploy && in.DeploymentId != nil {
			return badRequest("deploymentId cannot be set on a stage with autoDeploy enabled")
		}
		if st.AutoDeploy && !was {
			d := s.newDeployment(a, "", true)
			ch.putDeployments = append(ch.putDeployments, d)
			st.DeploymentId = d.DeploymentId
			st.LastDeploymentStatusMessage = "Successfully deployed stage with deployment ID '" + d.DeploymentId + "'"
		}
	}
	if st.RouteSettings == nil {
		st.RouteSettings = map[string]*routeSettings{}
	}
	if st.StageVariables == nil {
		st.StageVariables = map[string]string{}
	}
	if st.Tags == nil {
		st.Tags = map[string]string{}
	}
	return nil
}

func (s *Service) newDeployment(a *api, description string, auto bool) *deployment {
	return &deployment{AutoDeployed: auto, CreatedDate: now(s.now()), DeploymentId: newID(6), DeploymentStatus: "DEPLOYED",
		Description: description, snap: a.snapshot()}
}

func (s *Service) createStage(ctx context.Context, _ *http.Request, p pathArgs, body []byte) (any, error) {
	var in stageInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	name := deref(in.StageName)
	if name == "" {
		return nil, badRequest("stageName is required")
	}
	if name != defaultRouteKey && !stageNameRE.MatchString(name) {
		return nil, badRequest("Invalid stageName %q: use $default or up to 128 letters, digits, - and _", name)
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	return s.mutate(ctx, p.api, func(a *api, ch *change) (any, error) {
		if a.Stages[name] != nil {
			return nil, conflict("Stage %s already exists", name)
		}
		t := now(s.now())
		st := &stage{StageName: name, CreatedDate: t, LastUpdatedDate: t, Tags: in.Tags}
		if err := s.applyStage(a, st, &in, ch); err != nil {
			return nil, err
		}
		a.Stages[name] = st
		return st, nil
	})
}

func (s *Service) getStage(ctx context.Context, _ *http.Request, p pathArgs, _ []byte) (any, error) {
	a, err := s.getAPI(ctx, p.api)
	if err != nil {
		return nil, err
	}
	if st := a.Stages[p.sub]; st != nil {
		return st, nil
	}
	return nil, notFound("Invalid stage identifier specified")
}

func (s *Service) getStages(ctx context.Context, r *http.Request, p pathArgs, _ []byte) (any, error) {
	a, err := s.getAPI(ctx, p.api)
	if err != nil {
		return nil, err
	}
	return listPage(r, a.Stages)
}

func (s *Service) updateStage(ctx context.Context, _ *http.Request, p pathArgs, body []byte) (any, error) {
	var in stageInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if in.Tags != nil {
		return nil, badRequest("tags cannot be changed with UpdateStage: use TagResource")
	}
	return s.mutate(ctx, p.api, func(a *api, ch *change) (any, error) {
		st := a.Stages[p.sub]
		if st == nil {
			return nil, notFound("Invalid stage identifier specified")
		}
		if err := s.applyStage(a, st, &in, ch); err != nil {
			return nil, err
		}
		st.LastUpdatedDate = now(s.now())
		return st, nil
	})
}

func (s *Service) deleteStage(ctx context.Context, _ *http.Request, p pathArgs, _ []byte) (any, error) {
	_, err := s.mutate(ctx, p.api, func(a *api, _ *change) (any, error) {
		if a.Stages[p.sub] == nil {
			return nil, notFound("Invalid stage identifier specified")
		}
		delete(a.Stages, p.sub)
		return nil, nil
	})
	if err == nil {
		s.throttle.forget(p.api)
		s.authCache.forget(p.api)
	}
	return nil, err
}

func (s *Service) deleteRouteSettings(ctx context.Context, _ *http.Request, p pathArgs, _ []byte) (any, error) {
	_, err := s.mutate(ctx, p.api, func(a *api, _ *change) (any, error) {
		st := a.Stages[p.sub]
		if st == nil {
			return nil, notFound("Invalid stage identifier specified")
		}
		if st.RouteSettings[p.sub2] == nil {
			return nil, notFound("Unable to find route settings for route key %s", p.sub2)
		}
		delete(st.RouteSettings, p.sub2)
		return nil, nil
	})
	return nil, err
}

func (s *Service) deleteAccessLogSettings(ctx context.Context, _ *http.Request, p pathArgs, _ []byte) (any, error) {
	_, err := s.mutate(ctx, p.api, func(a *api, _ *change) (any, error) {
		st := a.Stages[p.sub]
		if st == nil {
			return nil, notFound("Invalid stage identifier specified")
		}
		st.AccessLogSettings = nil
		return nil, nil
	})
	return nil, err
}

func (s *Service) resetAuthorizersCache(ctx context.Context, _ *http.Request, p pathArgs, _ []byte) (any, error) {
	a, err := s.getAPI(ctx, p.api)
	if err != nil {
		return nil, err
	}
	if a.Stages[p.sub] == nil {
		return nil, notFound("Invalid stage identifier specified")
	}
	s.authCache.forgetStage(p.api, p.sub)
	return nil, nil
}

// ---- Deployments ----

type deploymentInput struct {
	Description *string `json:"description"`
	StageName   *string `json:"stageName"`
}

func (s *Service) createDeployment(ctx context.Context, _ *http.Request, p pathArgs, body []byte) (any, error) {
	var in deploymentInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := checkLen("description", deref(in.Description), 0, 1024); err != nil {
		return nil, err
	}
	return s.mutate(ctx, p.api, func(a *api, ch *change) (any, error) {
		if len(a.Routes) == 0 {
			return nil, badRequest("Unable to deploy API because no routes exist in this API")
		}
		var st *stage
		if in.StageName != nil {
			if st = a.Stages[*in.StageName]; st == nil {
				return nil, notFound("Invalid stage identifier specified")
			}
		}
		d := s.newDeployment(a, deref(in.Description), false)
		ch.putDeployments = append(ch.putDeployments, d)
		if st != nil {
			st.DeploymentId = d.DeploymentId
			st.LastUpdatedDate = d.CreatedDate
		}
		return d, nil
	})
}

func (s *Service) getDeployment(ctx context.Context, _ *http.Request, p pathArgs, _ []byte) (any, error) {
	a, err := s.getAPI(ctx, p.api)
	if err != nil {
		return nil, err
	}
	if d := a.deployments[p.sub]; d != nil {
		return d, nil
	}
	return nil, notFound("Invalid Deployment identifier specified %s", p.sub)
}

func (s *Service) getDeployments(ctx context.Context, r *http.Request, p pathArgs, _ []byte) (any, error) {
	a, err := s.getAPI(ctx, p.api)
	if err != nil {
		return nil, err
	}
	return listPage(r, a.deployments)
}

func (s *Service) updateDeployment(ctx context.Context, _ *http.Request, p pathArgs, body []byte) (any, error) {
	var in deploymentInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	return s.mutate(ctx, p.api, func(a *api, ch *change) (any, error) {
		old := a.deployments[p.sub]
		if old == nil {
			return nil, notFound("Invalid Deployment identifier specified %s", p.sub)
		}
		d := &deployment{AutoDeployed: old.AutoDeployed, CreatedDate: old.CreatedDate, DeploymentId: old.DeploymentId,
			DeploymentStatus: old.DeploymentStatus, DeploymentStatusMessage: old.DeploymentStatusMessage, Description: old.Description, snap: old.snap}
		if in.Description != nil {
			if err := checkLen("description", *in.Description, 0, 1024); err != nil {
				return nil, err
			}
			d.Description = *in.Description
		}
		ch.putDeployments = append(ch.putDeployments, d)
		return d, nil
	})
}

func (s *Service) deleteDeployment(ctx context.Context, _ *http.Request, p pathArgs, _ []byte) (any, error) {
	_, err := s.mutate(ctx, p.api, func(a *api, ch *change) (any, error) {
		if a.deployments[p.sub] == nil {
			return nil, notFound("Invalid Deployment identifier specified %s", p.sub)
		}
		for _, st := range a.Stages {
			if st.DeploymentId == p.sub && !st.AutoDeploy {
				return nil, badRequest("Active stages pointing to this deployment must be moved or deleted (stage %s)", st.StageName)
			}
		}
		ch.delDeployments = append(ch.delDeployments, p.sub)
		return nil, nil
	})
	return nil, err
}
