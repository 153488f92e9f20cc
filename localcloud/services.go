package localcloud

// build constructs every service and wires the calls between them.
func (c *Cloud) build() error {
	return nil
}
