"""moto's server, with DynamoDB's writes serialised as in DynamoDB itself.

Two more fixes for moto's speed, none for its behaviour: a transaction backs
up only the items it touches (moto deep-copies every table it names, once
per item of the transaction: seconds per write once a table holds thousands
of items), and sockets do without Nagle's delay.

DynamoDB evaluates a condition and applies the write atomically, and
TransactWriteItems is serialisable. moto's threaded server checks and
writes without a lock, so two concurrent conditional writes can both pass
under load — which would make the tests of "exactly one of two racing
events wins" fail for moto's sake, not ours. This runs moto's own server
with one lock around every DynamoDB item operation, and without Nagle's
delay on its sockets (see below).

Usage: moto_server.py -H HOST -p PORT (as moto_server).
"""

import copy
import socket
import threading

import moto.dynamodb.models as dynamodb_models
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table
from moto.server import main
from werkzeug.serving import WSGIRequestHandler


class _NoTableCopies:
    """`copy` for moto's DynamoDB module: tables are not copied (the item
    backup below replaces moto's table backup); everything else is."""

    def __getattr__(self, name):
        return getattr(copy, name)

    @staticmethod
    def deepcopy(value, memo=None):
        if isinstance(value, Table):
            return value
        return copy.deepcopy(value, memo)


dynamodb_models.copy = _NoTableCopies()
_transact = DynamoDBBackend.transact_write_items


def _transact_with_item_backup(self, transact_items):
    backup = []
    for entry in transact_items:
        op = next(iter(entry.values()), {})
        table = self.tables.get(op.get("TableName"))
        attrs = op.get("Key") or op.get("Item") or {}
        if table is None or table.hash_key_attr not in attrs:
            continue
        hash_key = DynamoType(attrs[table.hash_key_attr])
        range_key = None
        if table.range_key_attr:
            if table.range_key_attr not in attrs:
                continue
            range_key = DynamoType(attrs[table.range_key_attr])
        backup.append((table, hash_key, range_key, copy.deepcopy(table.get_item(hash_key, range_key))))
    try:
        return _transact(self, transact_items)
    except Exception:
        for table, hash_key, range_key, item in reversed(backup):
            if range_key is None:
                if item is None:
                    table.items.pop(hash_key, None)
                else:
                    table.items[hash_key] = item
            elif item is None:
                table.items[hash_key].pop(range_key, None)
            else:
                table.items[hash_key][range_key] = item
        raise


DynamoDBBackend.transact_write_items = _transact_with_item_backup

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

# werkzeug writes an answer's headers and body in separate sends; with
# Nagle's algorithm against the client's delayed ACK each request then
# stalls about 40 ms. No delay on the server's sockets.
_setup = WSGIRequestHandler.setup


def _no_delay_setup(self):
    _setup(self)
    self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


WSGIRequestHandler.setup = _no_delay_setup

if __name__ == "__main__":
    main()
