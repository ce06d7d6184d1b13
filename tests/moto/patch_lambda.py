"""An AWS::Lambda::Permission CloudFormation makes: AWS gives the statement an id of its own
(`<stack>-<logical id>-<random>`) and reports it as the resource's physical id, by which
`baken adopt --cleanup` removes it. moto adds the statement with a random id and reports no
physical id; here the id is made the AWS way and reported. Also a layer version's physical id
and a function's layers (below).
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


# AWS::Lambda::LayerVersion from CloudFormation: AWS's Ref (the physical id) is the layer
# version's ARN, and a function's `Layers` (a list of those ARNs) are attached to it
# (AWS::Lambda::LayerVersion and AWS::Lambda::Function in the CloudFormation User Guide). moto
# 5.2.5 gives the layer version no physical id (its Ref is the model) and drops `Layers`.

models.LayerVersion.physical_resource_id = property(lambda self: self.arn)

_function_from_cfn = models.LambdaFunction.create_from_cloudformation_json.__func__


def _function_with_layers(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
    fn = _function_from_cfn(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
    layers = cloudformation_json.get("Properties", {}).get("Layers")
    if layers:
        fn.layers = fn._get_layers_data(layers)
    return fn


models.LambdaFunction.create_from_cloudformation_json = classmethod(_function_with_layers)
