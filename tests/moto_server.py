"""moto's server, with DynamoDB's writes serialised as in DynamoDB itself.

DynamoDB evaluates a condition and applies the write atomically, and
TransactWriteItems is serialisable. moto's threaded server checks and
writes without a lock, so two concurrent conditional writes can both pass
under load — which would make the tests of "exactly one of two racing
events wins" fail for moto's sake, not ours. This runs moto's own server
with one lock around every DynamoDB item operation.

Usage: moto_server.py -H HOST -p PORT (as moto_server).
"""

import threading

from moto.dynamodb.models import DynamoDBBackend
from moto.server import main

_lock = threading.RLock()

for _name in (
    "put_item",
    "get_item",
    "query",
    "scan",
    "update_item",
    "delete_item",
    "transact_write_items",
    "transact_get_items",
    "batch_write_item",
):
    _original = getattr(DynamoDBBackend, _name)

    def _serialised(self, *args, _original=_original, **kwargs):
        with _lock:
            return _original(self, *args, **kwargs)

    setattr(DynamoDBBackend, _name, _serialised)

if __name__ == "__main__":
    main()
