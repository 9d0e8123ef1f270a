"""Intelligence: STIX 2.1 validation, patterns, identifiers, correlation and bulk import."""
