"""Traceability (DESIGN.md §7): products, lots, trace events, holdings, violations,
trace back and forward, the FSMA 204-style spreadsheet and GS1 EPCIS 2.0."""
