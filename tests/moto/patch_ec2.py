"""ModifyVpcEndpoint's PrivateDnsEnabled: AWS turns an interface endpoint's private DNS on or off
with it ("(Interface endpoint) Indicates whether a private hosted zone is associated with the
VPC", ModifyVpcEndpoint in the Amazon EC2 API Reference). moto 5.2.5 reads every other parameter
of the call and drops this one, so a drifted endpoint could not be repaired here; the patch sets
it after moto's own handling.
"""
from moto.ec2.responses import vpcs

_modify = vpcs.VPCs.modify_vpc_endpoint


def _modify_with_private_dns(self):
    result = _modify(self)
    if self._get_param("PrivateDnsEnabled") is not None:
        endpoint = self.ec2_backend.describe_vpc_endpoints(
            vpc_end_point_ids=[self._get_param("VpcEndpointId")]
        )[0]
        endpoint.private_dns_enabled = self._get_bool_param("PrivateDnsEnabled")
    return result


vpcs.VPCs.modify_vpc_endpoint = _modify_with_private_dns
