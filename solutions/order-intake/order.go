package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// Order statuses and limits.
const (
	statusAccepted = "ACCEPTED"

	maxCustomerID = 128         // characters
	maxSKU        = 64          // characters
	maxLines      = 100         // lines per order
	maxQuantity   = 1_000_000   // per line
	maxUnitPrice  = 100_000_000 // cents per unit; with the other limits totalCents fits an int64
)

// orderLine is one line of an order.
type orderLine struct {
	SKU            string `json:"sku" dynamodbav:"sku"`
	Quantity       int64  `json:"quantity" dynamodbav:"quantity"`
	UnitPriceCents int64  `json:"unitPriceCents" dynamodbav:"unitPriceCents"`
}

// order is an item of the Orders table, and the JSON GET /orders/{orderId} answers with.
type order struct {
	OrderID          string      `json:"orderId" dynamodbav:"orderId"`
	CustomerID       string      `json:"customerId" dynamodbav:"customerId"`
	Channel          string      `json:"channel" dynamodbav:"channel"`
	Lines            []orderLine `json:"lines" dynamodbav:"lines"`
	TotalCents       int64       `json:"totalCents" dynamodbav:"totalCents"`
	Status           string      `json:"status" dynamodbav:"status"`
	CreatedAt        string      `json:"createdAt" dynamodbav:"createdAt"`
	InventoryStatus  string      `json:"inventoryStatus,omitempty" dynamodbav:"inventoryStatus,omitempty"`
	AccountingStatus string      `json:"accountingStatus,omitempty" dynamodbav:"accountingStatus,omitempty"`
}

// orderRequest is a validated POST /orders body.
type orderRequest struct {
	CustomerID string
	Channel    string
	Lines      []orderLine
}

// totalCents returns the sum of quantity x unit price over the lines.
func (r orderRequest) totalCents() int64 {
	var total int64
	for _, l := range r.Lines {
		total += l.Quantity * l.UnitPriceCents
	}
	return total
}

// fieldError says which field of a request is wrong and why; field uses the JSON path
// ("customerId", "lines[0].quantity"), or "body" when the body is not a JSON object.
type fieldError struct {
	field   string
	message string
}

func (e *fieldError) Error() string { return e.field + ": " + e.message }

// parseOrder decodes and validates a POST /orders body, stopping at the first bad field in
// the order customerId, channel, lines, then each line's sku, quantity, unitPriceCents.
// Unknown fields are ignored. Numbers must be integers written without fraction or exponent.
func parseOrder(body []byte) (orderRequest, *fieldError) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var raw map[string]any
	if err := dec.Decode(&raw); err != nil || raw == nil {
		return orderRequest{}, &fieldError{"body", "the body must be a JSON object"}
	}
	if _, err := dec.Token(); err != io.EOF {
		return orderRequest{}, &fieldError{"body", "the body must be a single JSON object"}
	}

	var req orderRequest
	customerID, ok := raw["customerId"].(string)
	if !ok || strings.TrimSpace(customerID) == "" {
		return orderRequest{}, &fieldError{"customerId", "customerId is required and must be a non-empty string"}
	}
	if len(customerID) > maxCustomerID {
		return orderRequest{}, &fieldError{"customerId", fmt.Sprintf("customerId must be at most %d characters", maxCustomerID)}
	}
	req.CustomerID = customerID

	channel, _ := raw["channel"].(string)
	if !knownChannel(channel) {
		return orderRequest{}, &fieldError{"channel", "channel must be one of web, mobile, wholesale"}
	}
	req.Channel = channel

	lines, ok := raw["lines"].([]any)
	if !ok || len(lines) == 0 {
		return orderRequest{}, &fieldError{"lines", "lines must be a non-empty array"}
	}
	if len(lines) > maxLines {
		return orderRequest{}, &fieldError{"lines", fmt.Sprintf("an order has at most %d lines", maxLines)}
	}
	for i, rl := range lines {
		line, ferr := parseLine(rl, fmt.Sprintf("lines[%d]", i))
		if ferr != nil {
			return orderRequest{}, ferr
		}
		req.Lines = append(req.Lines, line)
	}
	return req, nil
}

// parseLine validates one line; path is its JSON path, e.g. "lines[0]".
func parseLine(v any, path string) (orderLine, *fieldError) {
	m, ok := v.(map[string]any)
	if !ok {
		return orderLine{}, &fieldError{path, "each line must be an object"}
	}
	sku, ok := m["sku"].(string)
	if !ok || strings.TrimSpace(sku) == "" {
		return orderLine{}, &fieldError{path + ".sku", "sku is required and must be a non-empty string"}
	}
	if len(sku) > maxSKU {
		return orderLine{}, &fieldError{path + ".sku", fmt.Sprintf("sku must be at most %d characters", maxSKU)}
	}
	qty, ok := integer(m["quantity"])
	if !ok || qty < 1 || qty > maxQuantity {
		return orderLine{}, &fieldError{path + ".quantity", fmt.Sprintf("quantity must be an integer from 1 to %d", maxQuantity)}
	}
	price, ok := integer(m["unitPriceCents"])
	if !ok || price < 0 || price > maxUnitPrice {
		return orderLine{}, &fieldError{path + ".unitPriceCents", fmt.Sprintf("unitPriceCents must be an integer number of cents from 0 to %d", maxUnitPrice)}
	}
	return orderLine{SKU: sku, Quantity: qty, UnitPriceCents: price}, nil
}

// integer returns v as an int64 when it is a JSON integer (decoded with UseNumber).
func integer(v any) (int64, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	i, err := n.Int64()
	return i, err == nil
}

// knownChannel reports whether ch is a sales channel of the order API.
func knownChannel(ch string) bool {
	switch ch {
	case "web", "mobile", "wholesale":
		return true
	}
	return false
}
