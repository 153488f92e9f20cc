package progress

import "context"

// ExecForTest runs a raw statement, as a tool tampering with the database
// would.
func ExecForTest(ctx context.Context, s *Store, stmt string) error {
	_, err := s.db.ExecContext(ctx, stmt)
	return err
}
