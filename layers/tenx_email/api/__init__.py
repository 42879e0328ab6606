"""HTTP edge: the resolver every route function uses, the error mapping, and the API models,
one module per area of the API (base.py holds what they share)."""
