package sns

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"regexp"
	"strconv"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// The SMS sandbox's destination phone numbers of an account and region.
// AWS texts a one-time password to a number added to the sandbox; the
// local cloud sends no text messages, so any well-formed code (5 to 8
// digits, botocore's OTPCode) verifies a pending number.

const sandboxSchema = `CREATE TABLE IF NOT EXISTS sms_sandbox (account TEXT NOT NULL, region TEXT NOT NULL, number TEXT NOT NULL,
	status TEXT NOT NULL, PRIMARY KEY (account, region, number))`

var otpRE = regexp.MustCompile(`^[0-9]{5,8}$`)

// maxSandboxNumbers is how many destination numbers AWS lets an account in
// the sandbox add.
const maxSandboxNumbers = 10

type sandboxNumber struct {
	PhoneNumber string
	Status      string
}

// sandboxNumbers lists the caller's numbers, by number.
func (s *Service) sandboxNumbers(ctx context.Context) ([]sandboxNumber, error) {
	id := protocol.IdentityFrom(ctx)
	rows, err := s.db.QueryContext(ctx, `SELECT number, status FROM sms_sandbox WHERE account = ? AND region = ? ORDER BY number`, id.AccountID, id.Region)
	if err != nil {
		return nil, fmt.Errorf("list sandbox numbers: %w", err)
	}
	defer rows.Close()
	out := []sandboxNumber{}
	for rows.Next() {
		var n sandboxNumber
		if err := rows.Scan(&n.PhoneNumber, &n.Status); err != nil {
			return nil, fmt.Errorf("list sandbox numbers: %w", err)
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// sandboxStatus is the status of one of the caller's numbers, "" when it
// is not in the sandbox.
func (s *Service) sandboxStatus(ctx context.Context, number string) (string, error) {
	all, err := s.sandboxNumbers(ctx)
	for _, n := range all {
		if n.PhoneNumber == number {
			return n.Status, err
		}
	}
	return "", err
}

func (s *Service) setSandboxNumber(ctx context.Context, number, status string) error {
	id := protocol.IdentityFrom(ctx)
	return s.write(ctx, func(tx *sql.Tx) error {
		var err error
		if status == "" {
			_, err = tx.ExecContext(ctx, `DELETE FROM sms_sandbox WHERE account = ? AND region = ? AND number = ?`, id.AccountID, id.Region, number)
		} else {
			_, err = tx.ExecContext(ctx, `INSERT OR REPLACE INTO sms_sandbox (account, region, number, status) VALUES (?, ?, ?, ?)`, id.AccountID, id.Region, number, status)
		}
		return err
	})
}

func (s *Service) createSMSSandboxPhoneNumber(ctx context.Context, form url.Values) (any, error) {
	number := form.Get("PhoneNumber")
	if err := checkPhoneNumber(number); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	all, err := s.sandboxNumbers(ctx)
	if err != nil {
		return nil, err
	}
	for _, n := range all {
		if n.PhoneNumber == number {
			return struct{}{}, nil
		}
	}
	if len(all) >= maxSandboxNumbers {
		return nil, protocol.Errorf("UserError", "You have exceeded the maximum number of phone numbers (%d) in the SMS sandbox.", maxSandboxNumbers)
	}
	return struct{}{}, s.setSandboxNumber(ctx, number, "Pending")
}

func (s *Service) verifySMSSandboxPhoneNumber(ctx context.Context, form url.Values) (any, error) {
	number := form.Get("PhoneNumber")
	if err := checkPhoneNumber(number); err != nil {
		return nil, err
	}
	if !otpRE.MatchString(form.Get("OneTimePassword")) {
		return nil, invalidParameter("OneTimePassword Reason: must be 5 to 8 digits")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.inSandbox(ctx, number); err != nil {
		return nil, err
	}
	return struct{}{}, s.setSandboxNumber(ctx, number, "Verified")
}

func (s *Service) deleteSMSSandboxPhoneNumber(ctx context.Context, form url.Values) (any, error) {
	number := form.Get("PhoneNumber")
	if err := checkPhoneNumber(number); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.inSandbox(ctx, number); err != nil {
		return nil, err
	}
	return struct{}{}, s.setSandboxNumber(ctx, number, "")
}

func (s *Service) listSMSSandboxPhoneNumbers(ctx context.Context, form url.Values) (any, error) {
	if err := checkMaxResults(form.Get("MaxResults"), 100); err != nil {
		return nil, err
	}
	max := 100
	if v := form.Get("MaxResults"); v != "" {
		max, _ = strconv.Atoi(v)
	}
	s.mu.RLock()
	all, err := s.sandboxNumbers(ctx)
	s.mu.RUnlock()
	if err != nil {
		return nil, err
	}
	if tok := form.Get("NextToken"); tok != "" {
		after, err := decodeToken(tok)
		if err != nil {
			return nil, err
		}
		for len(all) > 0 && all[0].PhoneNumber <= after {
			all = all[1:]
		}
	}
	out := struct {
		PhoneNumbers members[sandboxNumber]
		NextToken    string `xml:",omitempty"`
	}{}
	if len(all) > max {
		all = all[:max]
		out.NextToken = encodeToken(all[max-1].PhoneNumber)
	}
	out.PhoneNumbers.Member = all
	return out, nil
}

// inSandbox answers ResourceNotFound unless number is in the account's SMS
// sandbox (pending or verified); s.mu is held.
func (s *Service) inSandbox(ctx context.Context, number string) error {
	st, err := s.sandboxStatus(ctx, number)
	if err != nil {
		return err
	}
	if st == "" {
		return protocol.StatusErrorf(404, "ResourceNotFound", "Phone number %s is not in the SMS sandbox", number)
	}
	return nil
}
