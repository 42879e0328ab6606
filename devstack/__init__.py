"""The local stack: the whole service on one machine, with moto standing in for AWS."""
