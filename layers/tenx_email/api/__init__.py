"""HTTP edge: the resolver every route function uses, the error mapping, API models."""
