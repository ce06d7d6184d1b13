"""UpdateTable with SSESpecification: AWS switches the table's encryption in place (from the
AWS-owned key to the AWS managed KMS key, as baken does with a table it adopts). moto 5.2.5 ignores
the field; here it is applied the way moto applies it at CreateTable.
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
