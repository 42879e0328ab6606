"""The email-automation service's shared domain package, shipped to every Lambda in one layer."""
