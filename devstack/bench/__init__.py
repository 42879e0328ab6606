"""`make bench` (`python -m devstack.bench`): the service's figures against their targets.

AWS calls per request and per email (counted with a botocore hook on moto), cold import time
of every handler relative to `import boto3`, the deployed layer's zipped size, a cost model per
1,000 emails relative to SES's own price, and a load run against the local stack. Targets are
reported beside the figures, never asserted: the command exits 0 whatever they show.
"""
