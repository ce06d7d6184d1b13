"""An AWS::Lambda::Permission CloudFormation makes: AWS gives the statement an id of its own
(`<stack>-<logical id>-<random>`) and reports it as the resource's physical id, by which
`baken adopt --cleanup` removes it. moto adds the statement with a random id and reports no
physical id; here the id is made the AWS way and reported.
"""
import json
import uuid

from moto.awslambda import models

_Permission = models.Permission


@classmethod
def _create_from_cfn(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
    properties = dict(cloudformation_json["Properties"])
    statement_id = f"{resource_name}-{uuid.uuid4().hex[:12].upper()}"
    properties["StatementId"] = statement_id
    backend = models.get_backend(account_id, region_name)
    fn = backend.get_function(properties["FunctionName"])
    fn.policy.add_statement(raw=json.dumps(properties))
    permission = _Permission(region=region_name)
    permission.physical_resource_id = statement_id
    return permission


_Permission.create_from_cloudformation_json = _create_from_cfn
