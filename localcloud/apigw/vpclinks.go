package apigw

import (
	"context"
	"net/http"
)

// vpcLink is a VpcLink on the wire. The local cloud has no VPC: a link is
// recorded with AWS's lifecycle (PENDING when created, AVAILABLE once read
// again) so scripts that wait for it behave as they do on AWS.
type vpcLink struct {
	CreatedDate          *isoTime          `json:"createdDate,omitempty"`
	Name                 string            `json:"name"`
	SecurityGroupIds     []string          `json:"securityGroupIds"`
	SubnetIds            []string          `json:"subnetIds"`
	Tags                 map[string]string `json:"tags"`
	VpcLinkId            string            `json:"vpcLinkId"`
	VpcLinkStatus        string            `json:"vpcLinkStatus"`
	VpcLinkStatusMessage string            `json:"vpcLinkStatusMessage"`
	VpcLinkVersion       string            `json:"vpcLinkVersion"`
}

const (
	vpcLinkPending   = "VPC link is provisioning ENIs"
	vpcLinkAvailable = "VPC link is ready to route traffic"
)

// shown is the link as a later read sees it: provisioned.
func (l *vpcLink) shown() vpcLink {
	out := *l
	out.VpcLinkStatus, out.VpcLinkStatusMessage = "AVAILABLE", vpcLinkAvailable
	return out
}

func vpcLinkMissing(id string) error {
	return notFound("Invalid VpcLink identifier specified %s", id)
}

type vpcLinkInput struct {
	Name             *string           `json:"name"`
	SecurityGroupIds []string          `json:"securityGroupIds"`
	SubnetIds        []string          `json:"subnetIds"`
	Tags             map[string]string `json:"tags"`
}

func (s *Service) createVpcLink(ctx context.Context, _ *http.Request, _ pathArgs, body []byte) (any, error) {
	var in vpcLinkInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if in.Name == nil {
		return nil, badRequest("name is required")
	}
	if err := checkLen("name", *in.Name, 1, 128); err != nil {
		return nil, err
	}
	if in.SubnetIds == nil {
		return nil, badRequest("subnetIds is required")
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	l := &vpcLink{CreatedDate: now(s.now()), Name: *in.Name, SecurityGroupIds: in.SecurityGroupIds, SubnetIds: in.SubnetIds,
		Tags: in.Tags, VpcLinkId: newID(6), VpcLinkStatus: "PENDING", VpcLinkStatusMessage: vpcLinkPending, VpcLinkVersion: "V2"}
	if l.SecurityGroupIds == nil {
		l.SecurityGroupIds = []string{}
	}
	if l.Tags == nil {
		l.Tags = map[string]string{}
	}
	if err := s.vpcLinks.create(ctx, keyFor(ctx, l.VpcLinkId), l, conflict("VpcLink %s already exists", l.VpcLinkId)); err != nil {
		return nil, err
	}
	return l, nil
}

func (s *Service) getVpcLink(ctx context.Context, _ *http.Request, p pathArgs, _ []byte) (any, error) {
	l := s.vpcLinks.get(keyFor(ctx, p.api))
	if l == nil {
		return nil, vpcLinkMissing(p.api)
	}
	return l.shown(), nil
}

func (s *Service) getVpcLinks(ctx context.Context, r *http.Request, _ pathArgs, _ []byte) (any, error) {
	return listOf(ctx, r, s.vpcLinks, (*vpcLink).shown)
}

func (s *Service) updateVpcLink(ctx context.Context, _ *http.Request, p pathArgs, body []byte) (any, error) {
	var in vpcLinkInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	l, err := s.vpcLinks.update(ctx, keyFor(ctx, p.api), vpcLinkMissing(p.api), func(l *vpcLink) error {
		if in.Name != nil {
			if err := checkLen("name", *in.Name, 1, 128); err != nil {
				return err
			}
			l.Name = *in.Name
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return l.shown(), nil
}

// deleteVpcLink answers 202 with an empty body, as AWS does.
func (s *Service) deleteVpcLink(ctx context.Context, _ *http.Request, p pathArgs, _ []byte) (any, error) {
	if err := s.vpcLinks.remove(ctx, keyFor(ctx, p.api), vpcLinkMissing(p.api)); err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

// checkConnection holds a VPC_LINK integration to a VPC link of the caller.
func (s *Service) checkConnection(ctx context.Context, it *integration) error {
	if it.ConnectionType == "VPC_LINK" && s.vpcLinks.get(keyFor(ctx, it.ConnectionId)) == nil {
		return badRequest("Invalid VpcLink identifier specified %s", it.ConnectionId)
	}
	return nil
}
