package lambda

import (
	"context"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// runStream runs a DynamoDB stream mapping (not yet implemented).
func (s *Service) runStream(r *esmRunner) {
	ctx, cancel := s.runnerContext(r)
	defer cancel()
	<-ctx.Done()
}

// initialCheckpoints returns the starting positions of a new stream mapping.
func (s *Service) initialCheckpoints(ctx context.Context, m *mapping) (map[string]string, error) {
	return nil, protocol.Errorf("InvalidParameterValueException", "DynamoDB stream mappings are not implemented yet")
}
