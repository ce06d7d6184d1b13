"""Where moto 5.2.5's DynamoDB is not AWS's:

- UpdateTable with SSESpecification: AWS switches the table's encryption in place (from the
  AWS-owned key to the AWS managed KMS key, as baken does with a table it adopts). moto ignores
  the field; here it is applied the way moto applies it at CreateTable.
- Concurrent conditional writes (below): on AWS one item's writes are serialised.
"""
from moto.dynamodb import responses

_update_table = responses.DynamoHandler.update_table


def update_table(self):
    sse = self.body.get("SSESpecification")
    if sse is not None:
        table = self.dynamodb_backend.get_table(self.body["TableName"])
        spec = dict(sse)
        if spec.get("Enabled") and "KMSMasterKeyId" not in spec:
            spec["KMSMasterKeyId"] = table._get_default_encryption_key(
                self.current_account, self.region
            )
        table.sse_specification = spec if spec.get("Enabled") else None
    return _update_table(self)


responses.DynamoHandler.update_table = update_table


# Writes to DynamoDB are atomic: a conditional write's check and its write happen as one, and of
# two conditional writes to one item at the same instant exactly one can pass ("Condition
# expressions" and "Optimistic locking with version number" in the Amazon DynamoDB Developer
# Guide). moto's server answers requests on threads, and its check-then-write is not guarded, so
# two conditional writes could both pass: baken's deploy lock held twice. Here every write runs
# alone, as a write to one item does on AWS (writes to other items waiting too is stricter than
# AWS, and costs the tests nothing).
import functools
import threading

_WRITES = threading.Lock()


def _one_at_a_time(method):
    @functools.wraps(method)
    def alone(self):
        with _WRITES:
            return method(self)

    return alone


for _name in ("put_item", "update_item", "delete_item", "batch_write_item", "transact_write_items",
              "execute_statement", "execute_transaction", "batch_execute_statement"):
    setattr(responses.DynamoHandler, _name, _one_at_a_time(getattr(responses.DynamoHandler, _name)))
