package sns

import (
	"context"
	"database/sql"
	"encoding/json"
	"net/url"
	"regexp"
	"strconv"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// SMS account settings and opt-outs. The local cloud sends no text
// messages, so no recipient can reply STOP: the opted-out list of an
// account is empty, as it is on a new AWS account, and the account stays in
// the SMS sandbox (whose destination numbers are in sandbox.go).

const smsSchema = `CREATE TABLE IF NOT EXISTS sms (account TEXT NOT NULL, region TEXT NOT NULL, attrs TEXT NOT NULL, PRIMARY KEY (account, region))`

type smsKey struct{ account, region string }

type smsSettings struct {
	attrs map[string]string
}

var (
	e164RE     = regexp.MustCompile(`^\+?[1-9][0-9]{1,14}$`)
	senderIDRE = regexp.MustCompile(`^[A-Za-z0-9]{1,11}$`)
	letterRE   = regexp.MustCompile(`[A-Za-z]`)
)

func (s *Service) loadSMS() error {
	rows, err := s.db.Query(`SELECT account, region, attrs FROM sms`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var k smsKey
		var attrs string
		if err := rows.Scan(&k.account, &k.region, &attrs); err != nil {
			return err
		}
		st := &smsSettings{}
		if err := json.Unmarshal([]byte(attrs), &st.attrs); err != nil {
			return err
		}
		s.sms[k] = st
	}
	return rows.Err()
}

// checkSMSAttribute validates one SetSMSAttributes attribute as SNS
// documents it.
func checkSMSAttribute(name, value string) error {
	switch name {
	case "MonthlySpendLimit":
		if n, err := strconv.Atoi(value); err != nil || n < 0 {
			return invalidParameter("MonthlySpendLimit Reason: must be a whole number of US dollars")
		}
	case "DeliveryStatusSuccessSamplingRate":
		if n, err := strconv.Atoi(value); err != nil || n < 0 || n > 100 {
			return invalidParameter("DeliveryStatusSuccessSamplingRate Reason: must be an integer from 0 to 100")
		}
	case "DefaultSenderID":
		if !senderIDRE.MatchString(value) || !letterRE.MatchString(value) {
			return invalidParameter("DefaultSenderID Reason: must be 1 to 11 alphanumeric characters with at least one letter")
		}
	case "DefaultSMSType":
		if value != "Promotional" && value != "Transactional" {
			return invalidParameter("DefaultSMSType Reason: must be Promotional or Transactional")
		}
	case "DeliveryStatusIAMRole":
		if a, ok := protocol.ParseARN(value); !ok || a.Service != "iam" {
			return invalidParameter("DeliveryStatusIAMRole Reason: must be an IAM role ARN")
		}
	case "UsageReportS3Bucket":
		if value == "" {
			return invalidParameter("UsageReportS3Bucket Reason: must name a bucket")
		}
	default:
		return invalidParameter("%s", name)
	}
	return nil
}

func (s *Service) setSMSAttributes(ctx context.Context, form url.Values) (any, error) {
	attrs := attributeEntries(form, "attributes")
	for k, v := range attrs {
		if err := checkSMSAttribute(k, v); err != nil {
			return nil, err
		}
	}
	id := protocol.IdentityFrom(ctx)
	k := smsKey{id.AccountID, id.Region}
	s.mu.Lock()
	defer s.mu.Unlock()
	next := map[string]string{}
	if cur := s.sms[k]; cur != nil {
		for a, v := range cur.attrs {
			next[a] = v
		}
	}
	for a, v := range attrs {
		next[a] = v
	}
	doc, _ := json.Marshal(next)
	if err := s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO sms (account, region, attrs) VALUES (?, ?, ?)`, k.account, k.region, string(doc))
		return err
	}); err != nil {
		return nil, err
	}
	s.sms[k] = &smsSettings{attrs: next}
	return struct{}{}, nil
}

type smsAttributesResult struct {
	Attributes struct {
		Entry []attributeEntry `xml:"entry"`
	} `xml:"attributes"`
}

func (s *Service) getSMSAttributes(ctx context.Context, form url.Values) (any, error) {
	var want []string
	for _, m := range protocol.Members(form, "attributes.member") {
		want = append(want, m[""])
	}
	id := protocol.IdentityFrom(ctx)
	s.mu.RLock()
	defer s.mu.RUnlock()
	all := map[string]string{}
	if cur := s.sms[smsKey{id.AccountID, id.Region}]; cur != nil {
		all = cur.attrs
	}
	shown := all
	if len(want) > 0 {
		shown = map[string]string{}
		for _, n := range want {
			if v, ok := all[n]; ok {
				shown[n] = v
			}
		}
	}
	var out smsAttributesResult
	out.Attributes.Entry = attributesOf(shown).Attributes.Entry
	return out, nil
}

func checkPhoneNumber(n string) error {
	if !e164RE.MatchString(n) {
		return invalidParameter("PhoneNumber Reason: input incorrectly formatted")
	}
	return nil
}

func (s *Service) checkIfPhoneNumberIsOptedOut(_ context.Context, form url.Values) (any, error) {
	if err := checkPhoneNumber(form.Get("phoneNumber")); err != nil {
		return nil, err
	}
	return struct {
		IsOptedOut bool `xml:"isOptedOut"`
	}{false}, nil
}

func (s *Service) listPhoneNumbersOptedOut(_ context.Context, form url.Values) (any, error) {
	if tok := form.Get("nextToken"); tok != "" {
		if _, err := decodeToken(tok); err != nil {
			return nil, err
		}
	}
	return struct {
		PhoneNumbers members[string] `xml:"phoneNumbers"`
	}{members[string]{Member: []string{}}}, nil
}

func (s *Service) optInPhoneNumber(_ context.Context, form url.Values) (any, error) {
	if err := checkPhoneNumber(form.Get("phoneNumber")); err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

func (s *Service) getSMSSandboxAccountStatus(context.Context, url.Values) (any, error) {
	return struct{ IsInSandbox bool }{true}, nil
}

func (s *Service) listOriginationNumbers(_ context.Context, form url.Values) (any, error) {
	if err := checkMaxResults(form.Get("MaxResults"), 30); err != nil {
		return nil, err
	}
	return struct{ PhoneNumbers members[struct{}] }{members[struct{}]{Member: []struct{}{}}}, nil
}

func checkMaxResults(v string, max int) error {
	if v == "" {
		return nil
	}
	if n, err := strconv.Atoi(v); err != nil || n < 1 || n > max {
		return invalidParameter("MaxResults Reason: must be between 1 and %d", max)
	}
	return nil
}
