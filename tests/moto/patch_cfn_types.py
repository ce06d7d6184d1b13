"""Resource types the CDK app's templates declare that moto 5.2.5's CloudFormation cannot create
(it skips them, and then fails on the first Fn::GetAtt of one). Each is made as AWS makes it,
through moto's own API backends, with the physical id and attributes AWS documents:

- AWS::EC2::KeyPair (the JRA-VAN server's RDP key): CreateKeyPair with KeyName and KeyType;
  Ref is the key name; Fn::GetAtt KeyPairId and KeyFingerprint. (AWS also keeps the private key
  in Systems Manager as /ec2/keypair/<id>; nothing here reads it.)
- AWS::ApiGateway::Stage: CreateStage of StageName on the RestApiId for the DeploymentId; Ref is
  the stage name (which the invoke grants' SourceArn uses).

Sources: the CloudFormation User Guide's pages of AWS::EC2::KeyPair and AWS::ApiGateway::Stage
("Return values").
"""
from moto.apigateway.models import apigateway_backends
from moto.core.common_models import CloudFormationModel
from moto.ec2.models import ec2_backends


class _Made:
    """A resource moto's API made, held for CloudFormation. (moto finds the types it can create
    among CloudFormationModel's direct subclasses, so each type below names it as a base, and
    files each under the service its module names.)"""

    def __init__(self, physical_id, attributes):
        self._physical_id = physical_id
        self._attributes = attributes

    @property
    def physical_resource_id(self):
        return self._physical_id

    def get_cfn_attribute(self, attribute_name):
        from moto.cloudformation.exceptions import UnformattedGetAttTemplateException

        if attribute_name not in self._attributes:
            raise UnformattedGetAttTemplateException()
        return self._attributes[attribute_name]

    def is_created(self):
        return True


class KeyPair(_Made, CloudFormationModel):
    __module__ = "moto.ec2.baken_types"
    @staticmethod
    def cloudformation_name_type():
        return "KeyName"

    @staticmethod
    def cloudformation_type():
        return "AWS::EC2::KeyPair"

    @classmethod
    def has_cfn_attr(cls, attr):
        return attr in ("KeyPairId", "KeyFingerprint")

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id,
                                        region_name, **kwargs):
        props = cloudformation_json.get("Properties", {})
        key = ec2_backends[account_id][region_name].create_key_pair(
            props.get("KeyName", resource_name), props.get("KeyType", "rsa"), tags={})
        return cls(key.key_name, {"KeyPairId": key.id, "KeyFingerprint": key.key_fingerprint})

    @classmethod
    def delete_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id,
                                        region_name):
        ec2_backends[account_id][region_name].delete_key_pair(resource_name)


class Stage(_Made, CloudFormationModel):
    __module__ = "moto.apigateway.baken_types"
    @staticmethod
    def cloudformation_name_type():
        return "StageName"

    @staticmethod
    def cloudformation_type():
        return "AWS::ApiGateway::Stage"

    @classmethod
    def has_cfn_attr(cls, attr):
        return False

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id,
                                        region_name, **kwargs):
        props = cloudformation_json["Properties"]
        name = props.get("StageName", resource_name)
        # moto's Ref of its Deployment model is the model, not the id AWS's Ref gives.
        deployment = props["DeploymentId"]
        deployment = getattr(deployment, "id", deployment)
        apigateway_backends[account_id][region_name].create_stage(
            props["RestApiId"], name, deployment,
            variables=props.get("Variables"), description=props.get("Description", ""))
        return cls(name, {})
