package dynamo

import (
	"time"

	"github.com/labkit-dev/labkit/localcloud/dynamo/attr"
	"github.com/labkit-dev/labkit/localcloud/protocol"
)

type gsiUpdateReq struct {
	Create *indexInput `json:"Create"`
	Update *struct {
		IndexName             string      `json:"IndexName"`
		ProvisionedThroughput *throughput `json:"ProvisionedThroughput"`
	} `json:"Update"`
	Delete *struct {
		IndexName string `json:"IndexName"`
	} `json:"Delete"`
}

// applyGSIUpdates applies UpdateTable's GlobalSecondaryIndexUpdates, asked
// at now, to meta: a new index is CREATING (backfilling) until ready, one
// whose throughput changes UPDATING.
func applyGSIUpdates(meta *tableMeta, updates []gsiUpdateReq, now, ready time.Time) error {
	for _, u := range updates {
		switch {
		case u.Create != nil:
			names := map[string]bool{}
			for _, g := range meta.GSIs {
				names[g.IndexName] = true
			}
			for _, l := range meta.LSIs {
				names[l.IndexName] = true
			}
			if names[u.Create.IndexName] {
				return validationf("One or more parameter values were invalid: Index %s already exists", u.Create.IndexName)
			}
			check := func(ks []keyElement) error {
				for _, k := range ks {
					if meta.attrKind(k.AttributeName) == attr.Invalid {
						return validationf("One or more parameter values were invalid: Global Secondary Index key attribute %s is not defined in AttributeDefinitions", k.AttributeName)
					}
				}
				return nil
			}
			im, err := validateIndex(*u.Create, meta.BillingMode, names, check)
			if err != nil {
				return err
			}
			im.CreatingUntil = ready
			meta.GSIs = append(meta.GSIs, im)
		case u.Update != nil:
			found := false
			for i := range meta.GSIs {
				if meta.GSIs[i].IndexName == u.Update.IndexName {
					rcu, wcu, err := validateThroughput(meta.BillingMode, u.Update.ProvisionedThroughput, u.Update.IndexName)
					if err != nil {
						return err
					}
					meta.GSIs[i].provisioned.change(rcu, wcu, now, ready)
					found = true
				}
			}
			if !found {
				return protocol.Errorf("ResourceNotFoundException", "Requested resource not found: Index: %s not found", u.Update.IndexName)
			}
		case u.Delete != nil:
			found := false
			for i := range meta.GSIs {
				if meta.GSIs[i].IndexName == u.Delete.IndexName {
					meta.GSIs = append(meta.GSIs[:i:i], meta.GSIs[i+1:]...)
					found = true
					break
				}
			}
			if !found {
				return protocol.Errorf("ResourceNotFoundException", "Requested resource not found: Index: %s not found", u.Delete.IndexName)
			}
		}
	}
	return nil
}

func validateIndex(in indexInput, mode string, names map[string]bool, checkDefined func([]keyElement) error) (indexMeta, error) {
	if in.IndexName == "" || len(in.IndexName) < 3 || !tableNameRE.MatchString(in.IndexName) {
		return indexMeta{}, validationf("1 validation error detected: Value '%s' at 'indexName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+", in.IndexName)
	}
	if names[in.IndexName] {
		return indexMeta{}, validationf("One or more parameter values were invalid: Duplicate index name: %s", in.IndexName)
	}
	names[in.IndexName] = true
	if err := validateKeySchema(in.KeySchema, "keySchema"); err != nil {
		return indexMeta{}, err
	}
	if err := checkDefined(in.KeySchema); err != nil {
		return indexMeta{}, err
	}
	p, err := validateProjection(in.Projection, in.IndexName)
	if err != nil {
		return indexMeta{}, err
	}
	rcu, wcu, err := validateThroughput(mode, in.ProvisionedThroughput, in.IndexName)
	if err != nil {
		return indexMeta{}, err
	}
	return indexMeta{IndexName: in.IndexName, KeySchema: in.KeySchema, Projection: p, provisioned: provisioned{RCU: rcu, WCU: wcu}}, nil
}
